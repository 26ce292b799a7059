# Shared by the benchmark scripts (sourced from the repository root): the
# tools they need, the release build, a work directory, a bootstrap key, and
# cleanup on exit of the server they start and the databases they list in
# DROP_DBS.

PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
KEY="inl_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need psql postgresql-client

cargo build --release --quiet
BIN=target/release/inlet
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
