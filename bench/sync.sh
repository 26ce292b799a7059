#!/usr/bin/env bash
# Benchmark: sync a PostgreSQL table of ROWS rows (5 columns, ~250 bytes of
# text a row) into Inlet's store, beside `COPY (SELECT * FROM t) TO STDOUT`
# of the same table in the same run as the ceiling. Prints rows/s of both,
# the ratio, the server's peak RSS, and the time of an unchanged re-sync.
#
#   bench/sync.sh                        # 1,000,000 rows, embedded store
#   ROWS=10000000 bench/sync.sh          # the flat-memory check
#   STORE=postgres bench/sync.sh         # the PostgreSQL store
#   BATCH=2000 bench/sync.sh             # INLET_SYNC_BATCH_SIZE
#   PROFILE=1 bench/sync.sh              # perf profile of the first sync (perf.txt)
#   PROFILE=resync bench/sync.sh         # ... of the unchanged re-sync
#   PROFILE=search bench/search.sh       # ... of the search requests
#   KEEP_STORE=1 STORE=postgres bench/sync.sh   # keep inlet_bench_store to inspect
#
# Loopback only. Needs psql and curl (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
STORE=${STORE:-sqlite}
BATCH=${BATCH:-1000}
PORT=${PORT:-18481}
SRC=inlet_bench_src

. bench/lib.sh
need curl curl
need bc bc
[ -z "${SEARCH_BENCH:-}" ] || need wrk wrk
DROP_DBS+=("$SRC")
[ -n "${KEEP_STORE:-}" ] || DROP_DBS+=(inlet_bench_store)

echo "==> seeding $ROWS rows"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" >/dev/null
psql "$PG_ADMIN" -qc "CREATE DATABASE $SRC" >/dev/null
SRC_URL="postgres://postgres@127.0.0.1:5432/$SRC"
psql "$SRC_URL" -q >/dev/null <<SQL
CREATE TABLE t (id bigint PRIMARY KEY, name text, body text, amount numeric(12,2), at timestamptz);
-- About 250 bytes of words a row, from a 5,000-word vocabulary.
CREATE TABLE vocab AS SELECT k, array_to_string(ARRAY(
  SELECT 'w' || ((k * 7919 + j * 104729) % 5000) FROM generate_series(1, 40) j), ' ') AS words
FROM generate_series(0, 999) k;
INSERT INTO t SELECT g, 'customer ' || g, v.words, g * 1.25, now() - g * interval '1 second'
FROM generate_series(1, $ROWS) g JOIN vocab v ON v.k = g % 1000;
DROP TABLE vocab;
VACUUM ANALYZE t;
SQL

now() { date +%s.%N; }
t0=$(now)
psql "$SRC_URL" -qc "COPY (SELECT * FROM t) TO STDOUT" > /dev/null
t1=$(now)
copy_secs=$(echo "$t1 - $t0" | bc -l)

DB_URL="sqlite:$WORK/inlet.db"
if [ "$STORE" = postgres ]; then
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS inlet_bench_store WITH (FORCE)" >/dev/null
  psql "$PG_ADMIN" -qc "CREATE DATABASE inlet_bench_store" >/dev/null
  DB_URL="postgres://postgres@127.0.0.1:5432/inlet_bench_store"
fi
start_inlet() {
  INLET_DATA_DIR="$WORK" INLET_DATABASE_URL="$DB_URL" INLET_LISTEN="127.0.0.1:$PORT" \
    INLET_BOOTSTRAP_API_KEY="$KEY" INLET_SYNC_BATCH_SIZE="$BATCH" INLET_LOG=warn \
    INLET_RATE_LIMIT_PER_MINUTE=100000000 \
    "$BIN" serve >> "${SERVER_LOG:-$WORK/server.log}" 2>&1 &
  SERVER_PID=$!
}
start_inlet
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

api() { curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@"; }
COL=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/v1/collections" | sed 's/.*"id":"\(col_[0-9]*\)".*/\1/')
CONN=$(api -d "{\"collectionId\":\"$COL\",\"sourceShortName\":\"postgresql\",\"name\":\"bench\",
  \"credentials\":{\"host\":\"127.0.0.1\",\"port\":5432,\"database\":\"$SRC\",\"username\":\"postgres\",\"password\":\"x\",\"sslmode\":\"disable\"}}" \
  "http://127.0.0.1:$PORT/api/v1/source-connections" | sed 's/.*"id":"\(sc_[0-9]*\)".*/\1/')
# A passing test makes it active, so its documents are searched (bench/search.sh).
api -X POST "http://127.0.0.1:$PORT/api/v1/source-connections/$CONN/test" >/dev/null

sync() { # prints seconds
  local id start end status
  start=$(now)
  id=$(api -X POST "http://127.0.0.1:$PORT/api/v1/source-connections/$CONN/run" | sed 's/.*"syncId":"\(sync_[0-9]*\)".*/\1/')
  while :; do
    status=$(api "http://127.0.0.1:$PORT/api/v1/jobs/$id" | sed 's/.*"status":"\([a-z]*\)".*/\1/')
    case $status in completed) break ;; failed|cancelled) echo "sync $status" >&2; api "http://127.0.0.1:$PORT/api/v1/jobs/$id" >&2; exit 1 ;; esac
    sleep 0.2
  done
  end=$(now)
  # Searchable: this node's index has applied everything the job wrote.
  local seq
  seq=$(api "http://127.0.0.1:$PORT/api/v1/jobs/$id" | sed -n 's/.*"indexSeq":\([0-9]*\).*/\1/p')
  if [ -n "$seq" ]; then
    until api -G --data-urlencode "q=zzznothing" --data-urlencode "after=$seq" \
      "http://127.0.0.1:$PORT/api/v1/collections/$COL/search" >/dev/null; do :; done
  fi
  echo "$end - $start" | bc -l > "$WORK/last_sync"
  echo "$(now) - $start" | bc -l > "$WORK/last_searchable"
  cat "$WORK/last_sync"
}

cpu() { awk '{print ($14 + $15) / 100}' "/proc/$SERVER_PID/stat"; }
cpu0=$(cpu)
echo "==> first sync"
PERF_PID=""
if [ "${PROFILE:-}" = 1 ]; then
  perf record -F 499 -g -p "$SERVER_PID" -o "$WORK/perf.data" >/dev/null 2>&1 &
  PERF_PID=$!
fi
first=$(sync)
first_searchable=$(cat "$WORK/last_searchable")
if [ -n "$PERF_PID" ]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  { perf report -i "$WORK/perf.data" --no-children --percent-limit 1.5 --stdio -g none 2>/dev/null
    perf report -i "$WORK/perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null; } | grep -v '^$' > perf.txt
  echo "profile written to perf.txt"
fi
cpu1=$(cpu)
echo "==> unchanged re-sync"
if [ "${PROFILE:-}" = resync ]; then
  perf record -F 499 -g -p "$SERVER_PID" -o "$WORK/perf.data" >/dev/null 2>&1 &
  PERF_PID=$!
fi
second=$(sync)
cpu2=$(cpu)
if [ -n "$PERF_PID" ] && [ "${PROFILE:-}" = resync ]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  { perf report -i "$WORK/perf.data" --no-children --percent-limit 1.5 --stdio -g none 2>/dev/null
    perf report -i "$WORK/perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null; } | grep -v '^$' > perf.txt
  echo "profile written to perf.txt"
fi
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
anon_kb=$(awk '/RssAnon/ {print $2}' "/proc/$SERVER_PID/status")
file_kb=$(awk '/RssFile/ {print $2}' "/proc/$SERVER_PID/status")

printf '\nrows                %d\n' "$ROWS"
printf 'store               %s (batch %d)\n' "$STORE" "$BATCH"
printf 'COPY                %.2f s  %8.0f rows/s\n' "$copy_secs" "$(echo "$ROWS / $copy_secs" | bc -l)"
printf 'first sync          %.2f s  %8.0f rows/s  (%.1f%% of COPY)\n' "$first" "$(echo "$ROWS / $first" | bc -l)" "$(echo "100 * $copy_secs / $first" | bc -l)"
printf 'first searchable    %.2f s  %8.0f rows/s  (%.1f%% of COPY; index caught up, from the job start)\n' "$first_searchable" "$(echo "$ROWS / $first_searchable" | bc -l)" "$(echo "100 * $copy_secs / $first_searchable" | bc -l)"
printf 'unchanged re-sync   %.2f s  %8.0f rows/s  (%.1fx faster than the first)\n' "$second" "$(echo "$ROWS / $second" | bc -l)" "$(echo "$first / $second" | bc -l)"
printf 'server CPU          %.1f s first, %.1f s re-sync\n' "$(echo "$cpu1 - $cpu0" | bc -l)" "$(echo "$cpu2 - $cpu1" | bc -l)"
printf 'server peak RSS     %d MB (now: %d MB heap, %d MB mapped store file)\n' "$((peak_kb / 1024))" "$((anon_kb / 1024))" "$((file_kb / 1024))"

# Rebuild: the same server started again without its index directory
# builds it from the store; time until /readyz answers 200.
if [ -z "${SKIP_REBUILD:-}" ]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK/index"
  rb0=$(now)
  start_inlet
  until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.2; done
  rb=$(echo "$(now) - $rb0" | bc -l)
  printf 'index rebuild       %.2f s  %8.0f docs/s  (from the start of the process; peak RSS %d MB)\n' "$rb" "$(echo "$ROWS / $rb" | bc -l)" "$(( $(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status") / 1024 ))"
fi

# bench/search.sh: search latency over the synced documents.
if [ -n "${SEARCH_BENCH:-}" ]; then
  [ "$STORE" = postgres ] && psql "$DB_URL" -qc "VACUUM ANALYZE documents" >/dev/null
  printf '\nsearch, %d clients, %s per kind (GET …/collections/{id}/search?q=…&limit=20)\n' "$CONNECTIONS" "$DURATION"
  du -sh "$WORK/index" | awk '{print "index on disk       " $1}'
  for q in w123 '"w1 w2"' 'w10*' 'w1*' customer '"customer 1"' 'customer w123'; do
    printf 'sample: %-12s total %s\n' "$q" "$(api -G --data-urlencode "q=$q" "http://127.0.0.1:$PORT/api/v1/collections/$COL/search" | sed 's/.*"total":\([0-9]*\).*/\1/')"
  done
  printf '%-10s %10s %10s %10s %10s\n' kind req/s p50 p99 errors
  if [ "${PROFILE:-}" = search ]; then
    perf record -F 499 -g -p "$SERVER_PID" -o "$WORK/perf.data" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  for kind in ${KINDS:-every two_every common two_words rare phrase phrase_most prefix prefix_most none}; do
    out=$(QUERY_KIND=$kind ROWS=$ROWS INLET_BENCH_KEY=$KEY INLET_BENCH_COLLECTION=$COL \
      wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s bench/search.lua "http://127.0.0.1:$PORT" 2>"$WORK/wrk.err")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -c '^status' "$WORK/wrk.err" || true)
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    errors=$((errors + ${non2xx:-0}))
    printf '%-10s %10s %10s %10s %10s\n' "$kind" "$rps" "$p50" "$p99" "$errors"
  done
  if [ "${PROFILE:-}" = search ]; then
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true
    { perf report -i "$WORK/perf.data" --no-children --percent-limit 1.5 --stdio -g none 2>/dev/null
      perf report -i "$WORK/perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null; } | grep -v '^$' > perf.txt
    echo "profile written to perf.txt"
  fi
fi
