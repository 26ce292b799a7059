#!/usr/bin/env bash
# Benchmark: search latency at CONNECTIONS concurrent clients over the
# documents of bench/sync.sh's table (ROWS rows synced first, then each
# query kind — common word, two words, rare word, phrase, prefix, no match —
# for DURATION with wrk), on the embedded or the PostgreSQL store.
#
#   bench/search.sh                       # 1,000,000 documents, embedded store
#   STORE=postgres bench/search.sh        # the PostgreSQL store
#   ROWS=100000 DURATION=5s KINDS="common rare" bench/search.sh
#
# Loopback only. Needs psql, curl and wrk (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export SEARCH_BENCH=1 CONNECTIONS=${CONNECTIONS:-32} DURATION=${DURATION:-10s}
exec bench/sync.sh
