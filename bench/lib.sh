# Shared by the benchmark scripts (sourced from the repository root): the
# tools they need, the release build, a work directory, a bootstrap key,
# cleanup on exit of the server they start and the databases they list in
# DROP_DBS, and (for scripts that set PORT, THREADS, CONNECTIONS, DURATION
# and BACKEND) starting the server and measuring a URL with wrk.

PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
KEY="inl_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need psql postgresql-client

cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/inlet
WORK=$(mktemp -d)
SERVER_PID=""
DROP_DBS=()
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  for db in "${DROP_DBS[@]}"; do
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # database url
  INLET_DATA_DIR="$WORK/data" INLET_DATABASE_URL="$1" INLET_LISTEN="127.0.0.1:$PORT" \
  INLET_BOOTSTRAP_API_KEY="$KEY" INLET_RATE_LIMIT_PER_MINUTE=100000000 INLET_LOG="${INLET_LOG:-info}" \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}

stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

measure() { # label, url, [header | lua script]
  local out
  if [ $# -ge 3 ] && [[ $3 == *.lua ]]; then
    out=$(INLET_BENCH_KEY="$KEY" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$3" "$2")
  elif [ $# -ge 3 ]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$3" "$2")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  fi
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%-10s %-28s %12s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "$BACKEND" "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
  echo "$rps" > "$WORK/last_rps"
}

# fresh_store DATABASE: an empty store for $BACKEND — a SQLite file under
# $WORK, or the PostgreSQL database DATABASE, dropped and created — with 10
# collections made through the API; sets URL. The server is stopped after,
# so the caller can seed tables directly.
fresh_store() {
  rm -rf "$WORK/data"
  case $BACKEND in
    sqlite) URL="sqlite:$WORK/data/inlet.db" ;;
    postgres)
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
      psql "$PG_ADMIN" -qc "CREATE DATABASE $1" >/dev/null
      URL="${PG_ADMIN%/*}/$1" ;;
    *) echo "unknown backend $BACKEND"; exit 1 ;;
  esac
  start_server "$URL"
  for c in $(seq 1 10); do
    curl -fs -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
      -d "{\"name\":\"collection $c\"}" "http://127.0.0.1:$PORT/api/v1/collections" >/dev/null
  done
  stop_server
}
