#!/usr/bin/env bash
# A private PostgreSQL cluster in a directory of our own; never touches the system service.
#   pg.sh start DIR PORT   create the cluster if missing (trust auth, loopback only) and start it
#   pg.sh stop DIR         stop it (fast shutdown)
# PG_OPTIONS adds server settings, e.g. PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements" to profile a benchmark.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?data directory}")
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$BIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    if as_owner "$BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "PostgreSQL already running in $dir"; exit 0
    fi
    as_owner "$BIN/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on} -c max_connections=${PG_MAX_CONNECTIONS:-200} ${PG_OPTIONS:-}" start >/dev/null \
      || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    echo "PostgreSQL listening on 127.0.0.1:$port (data $dir)"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
