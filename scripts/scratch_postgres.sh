#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on a unix socket (no TCP) for the PostgreSQL store tests and print
# the URL to export as GOVGUIDE_TEST_POSTGRES_URL. Prints nothing when PostgreSQL is not installed.
# Usage: eval "$(bash scripts/scratch_postgres.sh start DIR)"; ...; bash scripts/scratch_postgres.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || exit 0
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "'$bin/initdb' -D '$dir/db' -A trust -U postgres -E UTF8 >/dev/null"
    as_pg "'$bin/pg_ctl' -D '$dir/db' -l '$dir/log' -w -o \"-c listen_addresses='' -k '$dir'\" start >/dev/null"
    as_pg "'$bin/createdb' -h '$dir' -U postgres govguide_test"
    echo "export GOVGUIDE_TEST_POSTGRES_URL='postgresql+psycopg://postgres@/govguide_test?host=$dir'"
    ;;
  stop)
    as_pg "'$bin/pg_ctl' -D '$dir/db' -m fast -w stop >/dev/null" || true
    ;;
esac
