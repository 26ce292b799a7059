#!/usr/bin/env python3
"""What SQLite FTS5 itself costs: inserts ROWS documents shaped like
bench/sync.sh's (a JSON row, ~250 bytes of words, a title, a hash) into the
same schema Inlet uses (WAL, synchronous=NORMAL, external-content FTS5 kept
by a trigger), 1,000 rows a transaction, rows generated before the clock
starts. Prints rows/s without the full-text index, with it kept by the
trigger, and with FTS5 given its best case: one INSERT ... SELECT per
10,000-row transaction, or one 'rebuild' after everything is loaded. The
last two bound what any loader that keeps an FTS5 index can reach here.

    python3 bench/fts5_floor.py            # 200,000 rows
    ROWS=1000000 python3 bench/fts5_floor.py
"""
import hashlib
import json
import os
import sqlite3
import tempfile
import time

ROWS = int(os.environ.get("ROWS", "200000"))
BATCH = 1000


def rows():
    out = []
    for i in range(1, ROWS + 1):
        words = " ".join("w%d" % (((i % 1000) * 7919 + j * 104729) % 5000) for j in range(1, 41))
        data = json.dumps({"id": i, "name": f"customer {i}", "body": words, "amount": i * 1.25})
        text = f"{i}\ncustomer {i}\n{words}\n{i * 1.25}"
        out.append((1, 1, "public.t", str(i), f"customer {i}", data, text,
                    hashlib.sha256(data.encode()).hexdigest(), 1, 0))
    return out


def load(data, fts, batch=BATCH, mode="trigger"):
    with tempfile.TemporaryDirectory() as d:
        c = sqlite3.connect(os.path.join(d, "t.db"), isolation_level=None)
        c.executescript("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=16384;
            CREATE TABLE documents (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,
              connection_id INTEGER NOT NULL, stream TEXT NOT NULL, key TEXT NOT NULL,
              title TEXT NOT NULL, data TEXT NOT NULL, text TEXT NOT NULL,
              content_hash TEXT NOT NULL, seen_pass INTEGER, synced_at INTEGER NOT NULL,
              UNIQUE (connection_id, stream, key));""")
        if fts:
            trigger = "" if mode != "trigger" else """
                CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
                  INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
                END;"""
            c.executescript("""
                CREATE VIRTUAL TABLE documents_fts USING fts5 (title, text, content='documents',
                  content_rowid='id', tokenize='unicode61 remove_diacritics 2');
                INSERT INTO documents_fts (documents_fts, rank) VALUES ('automerge', 16);""" + trigger)
        start = time.perf_counter()
        for b in range(0, len(data), batch):
            c.execute("BEGIN IMMEDIATE")
            c.executemany(
                "INSERT INTO documents (org_id, connection_id, stream, key, title, data, text, "
                "content_hash, seen_pass, synced_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                data[b:b + batch])
            if fts and mode == "select":
                c.execute("INSERT INTO documents_fts (rowid, title, text) SELECT id, title, text "
                          "FROM documents WHERE id > ? AND id <= ?", (b, b + batch))
            c.execute("COMMIT")
        if fts and mode == "rebuild":
            c.execute("INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')")
        return len(data) / (time.perf_counter() - start)


data = rows()
print(f"rows                 {ROWS}")
print(f"SQLite, no index     {load(data, False):8.0f} rows/s")
print(f"SQLite + FTS5        {load(data, True):8.0f} rows/s")
print(f"FTS5, 10k per insert {load(data, True, 10000, 'select'):8.0f} rows/s")
print(f"FTS5, one rebuild    {load(data, True, 10000, 'rebuild'):8.0f} rows/s")
