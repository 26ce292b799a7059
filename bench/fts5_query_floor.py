#!/usr/bin/env python3
"""What an FTS5 search costs SQLite itself, with no Inlet code in the way:
ROWS documents shaped like bench/sync.sh's (title "customer N", ~250 bytes of
words w0..w4999), indexed by FTS5 (title, body), then one client timing the
query kinds of bench/search.lua — each ranked by bm25 with the title weighted
100:1, the first 20 hits, and the count of all matches, as Inlet asks.

The single-client time of a kind bounds any server on FTS5: with C clients
sharing K cores, a request waits about C/K of them, so p99 < 25 ms at 32
clients on 2 cores needs a query well under 1.6 ms of CPU.

    python3 bench/fts5_query_floor.py           # 1,000,000 documents
    ROWS=200000 QUERIES=100 python3 bench/fts5_query_floor.py
"""
import os
import random
import sqlite3
import statistics
import tempfile
import time

ROWS = int(os.environ.get("ROWS", "1000000"))
QUERIES = int(os.environ.get("QUERIES", "50"))


def words(i):
    return " ".join("w%d" % (((i % 1000) * 7919 + j * 104729) % 5000) for j in range(1, 41))


def kinds():
    def phrase():
        k, j = random.randint(0, 999), random.randint(1, 39)
        a = (k * 7919 + j * 104729) % 5000
        b = (k * 7919 + (j + 1) * 104729) % 5000
        return f'"w{a} w{b}"'

    return {
        "common": lambda: "w%d" % random.randint(0, 4999),
        "two_words": lambda: "w%d w%d" % (random.randint(0, 4999), random.randint(0, 4999)),
        "rare": lambda: str(random.randint(1, ROWS)),
        "phrase": phrase,
        "prefix": lambda: "w%d*" % random.randint(10, 49),
        "none": lambda: "zq%d" % random.randint(0, 999999),
    }


def timed(c, sql, arg):
    start = time.perf_counter()
    c.execute(sql, (arg,)).fetchall()
    return (time.perf_counter() - start) * 1000


def main():
    random.seed(1)
    with tempfile.TemporaryDirectory() as d:
        c = sqlite3.connect(os.path.join(d, "t.db"), isolation_level=None)
        c.executescript("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE VIRTUAL TABLE f USING fts5 (title, body, content='', tokenize='ascii');""")
        c.execute("BEGIN")
        c.executemany("INSERT INTO f (rowid, title, body) VALUES (?, ?, ?)",
                      ((i, f"customer {i}", words(i)) for i in range(1, ROWS + 1)))
        c.execute("COMMIT")
        c.execute("INSERT INTO f (f) VALUES ('optimize')")
        rank = "SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f, 100.0, 1.0) LIMIT 20"
        count = "SELECT count(*) FROM f WHERE f MATCH ?"
        print(f"documents {ROWS}, one client, {QUERIES} queries a kind, index optimized")
        print(f"{'kind':10} {'top 20 p50':>11} {'p99':>8} {'count p50':>10} {'matches':>9}")
        for kind, make in kinds().items():
            qs = [make() for _ in range(QUERIES)]
            top = sorted(timed(c, rank, q) for q in qs)
            cnt = sorted(timed(c, count, q) for q in qs)
            matches = statistics.median(c.execute(count, (q,)).fetchone()[0] for q in qs[:10])
            p99 = top[min(len(top) - 1, int(len(top) * 0.99))]
            print(f"{kind:10} {statistics.median(top):9.2f}ms {p99:6.2f}ms "
                  f"{statistics.median(cnt):8.2f}ms {matches:9.0f}")


main()
