#!/usr/bin/env bash
# Benchmark: the organization-wide reads of the console and the API over a
# large organization — 100,000 connections, 300,000 jobs (one in 50 failed)
# and 300,000 audit events — on both store backends, at 16 concurrent
# connections:
#   GET /api/v1/jobs?status=failed   the failed jobs, newest first
#   GET /api/v1/jobs                 every job, newest first (with its count)
#   GET /api/v1/audit-events?action= one action's events
#   GET /                            the console's overview (a session cookie):
#                                    counts by status, newest connections,
#                                    failed and recent jobs
#
#   bench/overview.sh                    # both backends
#   BACKENDS=sqlite bench/overview.sh    # one backend
#   ROWS=100000 JOBS=300000 DURATION=10s CONNECTIONS=16 bench/overview.sh
#
# Loopback only. Needs wrk, sqlite3 and psql (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
JOBS=${JOBS:-300000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=${PORT:-18481}
. bench/lib.sh
need wrk wrk
need sqlite3 sqlite3
need bc bc
DROP_DBS+=(inlet_bench_overview)

# Rows both engines insert from a CTE "n" of i = 1..N. Connection ids start
# at 1 (the tables are empty when seeded); the collections exist already.
SEED_CONNECTIONS="INSERT INTO connections (org_id, collection_id, source_type, name, sort_name, description,
  settings, config, secret_fields, tags, status, created_at, updated_at)
SELECT 1, 1 + (i % 10), 'postgresql', 'db-' || i, 'db-' || i, '', '{}', '{}', '[]', '[]',
  CASE i % 7 WHEN 0 THEN 'failed' WHEN 1 THEN 'pending' ELSE 'active' END,
  1700000000000 + i * 1000, 1700000000000 + i * 1000 FROM n WHERE i <= $ROWS"
SEED_JOBS="INSERT INTO jobs (org_id, connection_id, kind, triggered_by, status, attempts, max_attempts,
  run_after, error_code, error_message, created_at, started_at, finished_at, updated_at)
SELECT 1, 1 + (i % $ROWS), 'sync', 'schedule', CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'completed' END, 1, 3,
  1700000000000 + i * 1000,
  CASE WHEN i % 50 = 0 THEN 'connection_refused' END, CASE WHEN i % 50 = 0 THEN 'the source refused the connection' END,
  1700000000000 + i * 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000 + 5000, 1700000000000 + i * 1000 + 5000
FROM n WHERE i <= $JOBS"
SEED_AUDIT="INSERT INTO audit_events (org_id, at, actor_key_id, actor_key_name, action, object_type, object_id, summary)
SELECT 1, 1700000000000 + i * 1000, 1, 'bench',
  CASE i % 3 WHEN 0 THEN 'connection.updated' WHEN 1 THEN 'job.started' ELSE 'connection.tested' END,
  CASE i % 3 WHEN 1 THEN 'job' ELSE 'connection' END, 'sc_' || (1 + i % $ROWS), '{}'
FROM n WHERE i <= $JOBS"

seed_sqlite() {
  sqlite3 "$1" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $JOBS) $SEED_CONNECTIONS;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $JOBS) $SEED_JOBS;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $JOBS) $SEED_AUDIT;
ANALYZE;
SQL
}

seed_postgres() {
  psql "$1" -q <<SQL
WITH n AS (SELECT generate_series(1, $JOBS) AS i) $SEED_CONNECTIONS;
WITH n AS (SELECT generate_series(1, $JOBS) AS i) $SEED_JOBS;
WITH n AS (SELECT generate_series(1, $JOBS) AS i) $SEED_AUDIT;
VACUUM ANALYZE;
SQL
}

API="http://127.0.0.1:$PORT/api/v1"
for BACKEND in $BACKENDS; do
  fresh_store inlet_bench_overview
  t0=$(date +%s.%N)
  if [ "$BACKEND" = sqlite ]; then seed_sqlite "$WORK/data/inlet.db"; else seed_postgres "$URL"; fi
  printf '%-10s loaded %s connections, %s jobs, %s audit events in %.1f s\n' \
    "$BACKEND" "$ROWS" "$JOBS" "$JOBS" "$(echo "$(date +%s.%N) - $t0" | bc)"
  start_server "$URL"
  # A console session: the cookie the sign-in form sets.
  cookie=$(curl -fs -o /dev/null -D - --data-urlencode "key=$KEY" "http://127.0.0.1:$PORT/sign-in" \
    | sed -nE 's/^set-cookie: (inlet_session=[^;]+).*/\1/ip')
  failed=$(curl -fs -H "Authorization: Bearer $KEY" "$API/jobs?status=failed&pageSize=1" \
    | sed -E 's/.*"totalItems":([0-9]+).*/\1/')
  printf '%-10s %s failed jobs\n' "$BACKEND" "$failed"
  measure "GET /healthz" "http://127.0.0.1:$PORT/healthz"
  measure "GET jobs?status=failed" "$API/jobs?status=failed" "Authorization: Bearer $KEY"
  measure "GET jobs (all, counted)" "$API/jobs" "Authorization: Bearer $KEY"
  measure "GET audit-events?action=" "$API/audit-events?action=connection.updated" "Authorization: Bearer $KEY"
  measure "GET / (console overview)" "http://127.0.0.1:$PORT/" "Cookie: $cookie"
  stop_server
done
