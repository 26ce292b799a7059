#!/usr/bin/env bash
# Benchmark: GET /api/v1/source-connections with a search filter and a sort
# over 100,000 connections in one organization, at 64 concurrent connections,
# beside GET /healthz in the same run, on both store backends.
#
#   bench/list.sh                 # both backends
#   BACKENDS=sqlite bench/list.sh # one backend
#   ROWS=100000 DURATION=15s CONNECTIONS=64 SEARCH=ledger bench/list.sh
#
# Loopback only. Needs wrk, sqlite3 and psql (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SEARCH=${SEARCH:-ledger}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=${PORT:-18480}
. bench/lib.sh
need wrk wrk
need sqlite3 sqlite3
need bc bc
DROP_DBS+=(inlet_bench)

# Realistic names: team-system-env-N, so a search term matches a few percent of rows.
TEAMS='["payments","search","growth","platform","identity","risk","data","mobile","web","infra","billing-ops","support","sales","finance","legal","hr","ads","maps","media","labs"]'
SYSTEMS='["orders","ledger","catalog","users","events","sessions","invoices","inventory","shipments","reviews","audit","metrics","pricing","carts","refunds","coupons","accounts","messages","tickets","profiles","reports","feeds","tokens","alerts","jobs"]'
ENVS='["prod","staging","dev","qa"]'

# The row shape both engines insert, from a CTE "w" of (i, team, sys, env).
INSERT_ROWS="INSERT INTO connections (org_id, collection_id, source_type, name, sort_name, description,
  settings, config, secret_fields, tags, status, created_at, updated_at)
SELECT 1, 1 + (i % 10), CASE i % 3 WHEN 0 THEN 'postgresql' WHEN 1 THEN 'mysql' ELSE 'csv' END,
  team || '-' || sys || '-' || env || '-' || i, lower(team || '-' || sys || '-' || env || '-' || i),
  'The ' || sys || ' store of the ' || team || ' team (' || env || ')',
  '{\"host\":\"db.internal\",\"port\":5432,\"database\":\"app\",\"username\":\"reader\"}', '{}', '[]', '[]',
  CASE i % 7 WHEN 0 THEN 'failed' ELSE 'active' END, 1700000000000 + i * 1000, 1700000000000 + i * 1000
FROM w"

seed_sqlite() {
  sqlite3 "$1" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS),
w AS (SELECT i,
  json_extract('$TEAMS', '\$[' || (i % 20) || ']') AS team,
  json_extract('$SYSTEMS', '\$[' || ((i / 20) % 25) || ']') AS sys,
  json_extract('$ENVS', '\$[' || ((i / 500) % 4) || ']') AS env FROM n)
$INSERT_ROWS;
ANALYZE;
SQL
}

seed_postgres() {
  psql "$1" -q <<SQL
WITH w AS (SELECT i,
  ('$TEAMS'::jsonb ->> (i % 20)) AS team,
  ('$SYSTEMS'::jsonb ->> ((i / 20) % 25)) AS sys,
  ('$ENVS'::jsonb ->> ((i / 500) % 4)) AS env FROM generate_series(1, $ROWS) AS i)
$INSERT_ROWS;
-- VACUUM flushes the GIN pending list, as autovacuum does in steady state.
VACUUM ANALYZE;
SQL
}

LIST="http://127.0.0.1:$PORT/api/v1/source-connections?search=$SEARCH&sortBy=name&sortOrder=asc&pageSize=20"
for BACKEND in $BACKENDS; do
  fresh_store inlet_bench
  t0=$(date +%s.%N)
  if [ "$BACKEND" = sqlite ]; then seed_sqlite "$WORK/data/inlet.db"; else seed_postgres "$URL"; fi
  printf '%-10s loaded %s connections in %.1f s\n' "$BACKEND" "$ROWS" "$(echo "$(date +%s.%N) - $t0" | bc)"
  start_server "$URL"
  total=$(curl -fs -H "Authorization: Bearer $KEY" "$LIST" | sed -E 's/.*"totalItems":([0-9]+).*/\1/')
  printf '%-10s search=%s matches %s rows\n' "$BACKEND" "$SEARCH" "$total"
  measure "GET /healthz" "http://127.0.0.1:$PORT/healthz"
  health=$(cat "$WORK/last_rps")
  measure "GET list (search+sort)" "$LIST" "Authorization: Bearer $KEY"
  list=$(cat "$WORK/last_rps")
  printf '%-10s list/healthz = %.1f%%\n' "$BACKEND" "$(echo "100 * $list / $health" | bc -l)"
  measure "GET list, cache-cold" "http://127.0.0.1:$PORT" bench/cold.lua
  stop_server
done
