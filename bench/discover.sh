#!/usr/bin/env bash
# Benchmark: schema discovery of a PostgreSQL database with 1,000 tables and
# 20,000 columns, through POST /api/v1/source-connections/{id}/schema/refresh.
#
#   bench/discover.sh                 # TABLES=1000 COLUMNS=20 RUNS=10
#
# Loopback only. Prints each refresh's wall time, then the median, next to
# the time PostgreSQL itself spends on the three catalog queries.
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-1000}
COLUMNS=${COLUMNS:-20}
RUNS=${RUNS:-10}
PORT=${PORT:-18481}
DB=inlet_bench_discover

. bench/lib.sh
DROP_DBS+=("$DB")

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null
psql "$PG_ADMIN" -qc "CREATE DATABASE $DB"
URL="${PG_ADMIN%/*}/$DB"
psql "$URL" -q <<SQL
DO \$\$
DECLARE t int; cols text;
BEGIN
  FOR t IN 1..$TABLES LOOP
    SELECT string_agg(format('c%s %s', c, CASE c % 4 WHEN 0 THEN 'bigint' WHEN 1 THEN 'text' WHEN 2 THEN 'numeric(12,2)' ELSE 'timestamptz DEFAULT now()' END), ', ')
      INTO cols FROM generate_series(2, $COLUMNS) AS c;
    EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, %s)', t, cols);
  END LOOP;
END \$\$;
ANALYZE;
SQL

INLET_DATA_DIR="$WORK/data" INLET_LISTEN="127.0.0.1:$PORT" INLET_BOOTSTRAP_API_KEY="$KEY" INLET_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
H="Authorization: Bearer $KEY"
curl -fs -H "$H" -H 'content-type: application/json' -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/v1/collections" >/dev/null
ID=$(curl -fs -H "$H" -H 'content-type: application/json' -d "{\"collectionId\":\"col_1\",\"sourceShortName\":\"postgresql\",\"name\":\"wide\",
  \"credentials\":{\"host\":\"127.0.0.1\",\"port\":5432,\"database\":\"$DB\",\"username\":\"postgres\",\"password\":\"x\",\"sslmode\":\"disable\"}}" \
  "http://127.0.0.1:$PORT/api/v1/source-connections" | sed -E 's/.*"id":"(sc_[0-9]+)".*/\1/')

times=()
for i in $(seq 1 "$RUNS"); do
  t=$(curl -fs -o "$WORK/schema.json" -w '%{time_total}' -X POST -H "$H" "http://127.0.0.1:$PORT/api/v1/source-connections/$ID/schema/refresh")
  times+=("$t")
done
tables=$(grep -o '"kind":"table"' "$WORK/schema.json" | wc -l)
columns=$(grep -o '"dataType"' "$WORK/schema.json" | wc -l)
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'discovered %s tables, %s columns; schema JSON %s bytes\n' "$tables" "$columns" "$(wc -c <"$WORK/schema.json")"
printf 'refresh wall time over %s runs (s): %s\n' "$RUNS" "${times[*]}"
printf 'median refresh: %s s\n' "$median"

# The database's share: the same three catalog queries, timed by PostgreSQL.
psql "$URL" -qAt <<'SQL' | awk '/^Time:/ {sum += $2} END {printf "PostgreSQL time for the catalog queries: %.1f ms\n", sum}'
\timing on
\o /dev/null
SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_toast%';
SELECT n.nspname, c.relname, c.relkind, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\_toast%';
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\_toast%';
SQL
