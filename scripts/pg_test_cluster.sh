#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks (Debian's `postgresql` package).
#   scripts/pg_test_cluster.sh start STATE_DIR [--durable]
#   scripts/pg_test_cluster.sh stop STATE_DIR
#   scripts/pg_test_cluster.sh restart STATE_DIR [DOWN_SECONDS]
# start: initdb in a new temporary directory and start the server on 127.0.0.1 (a free port)
# and on a Unix socket in that directory; trust authentication for the superuser `vigil`.
# Creates the database vigil_test. Writes STATE_DIR/uri (postgresql://vigil@127.0.0.1:PORT,
# no database: append /DBNAME) and STATE_DIR/data_dir. Without --durable the server does not fsync (tests: fast, and nothing
# survives anyway); benchmarks pass --durable to measure committed writes.
# PostgreSQL refuses to run as root: as root, the server runs as the unprivileged `nobody`.
# stop: stops the server and removes its directory. Both are idempotent.
# restart: stops the server as an administrator would (fast: clients are disconnected, open
# transactions rolled back), keeps it down DOWN_SECONDS (default 0), starts it again on the
# same port with the same settings and data (tests of clients that must survive it).
# With VIGIL_TEST_POSTGRES=off, both do nothing (the PostgreSQL tests skip, saying so).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop STATE_DIR [--durable] | restart STATE_DIR [DOWN_SECONDS]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
action=$1
state=$2
option=${3:-}  # start: --durable; restart: DOWN_SECONDS

if [[ "${VIGIL_TEST_POSTGRES:-}" == "off" ]]; then
  echo "pg_test_cluster: VIGIL_TEST_POSTGRES=off: no server started"
  exit 0
fi

bindir=$(pg_config --bindir 2>/dev/null || true)
if [[ ! -x "$bindir/initdb" ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [[ ! -x "$bindir/initdb" ]]; then
  echo "pg_test_cluster: PostgreSQL server binaries not found (install Debian's postgresql:" \
    "scripts/bootstrap.sh), or set VIGIL_TEST_POSTGRES=off to skip the PostgreSQL tests" >&2
  exit 1
fi

# Runs a command as the server's user.
as_server() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"
  else
    "$@"
  fi
}

stop() {
  [[ -f "$state/data_dir" ]] || return 0
  local dir
  dir=$(cat "$state/data_dir")
  if [[ -d "$dir/data" ]]; then
    as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state/data_dir" "$state/uri"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  stop
  mkdir -p "$state"
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pg-XXXXXX")
  echo "$dir" >"$state/data_dir"
  chmod 755 "$dir"
  [[ $(id -u) -ne 0 ]] || chown nobody "$dir"
  if ! as_server "$bindir/initdb" -D "$dir/data" -U vigil --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "pg_test_cluster: initdb failed" >&2
    exit 1
  fi
  local settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir"
  settings+=" -c max_connections=300 -c shared_buffers=256MB"
  if [[ "$option" != "--durable" ]]; then
    settings+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    if as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port $settings" start >/dev/null 2>&1; then
      echo "-p $port $settings" >"$dir/server.opts"  # for restart
      # One database for all tests; each test store is a schema in it (fast to create).
      "$bindir/createdb" -h 127.0.0.1 -p "$port" -U vigil vigil_test
      echo "postgresql://vigil@127.0.0.1:$port" >"$state/uri"
      echo "pg_test_cluster: PostgreSQL running at postgresql://vigil@127.0.0.1:$port ($dir)"
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  echo "pg_test_cluster: the server did not start" >&2
  exit 1
}

restart() {
  local dir down=${option:-0}
  dir=$(cat "$state/data_dir")
  as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  sleep "$down"
  if ! as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "$(cat "$dir/server.opts")" start >/dev/null 2>&1; then
    cat "$dir/server.log" >&2 || true
    echo "pg_test_cluster: the server did not start again" >&2
    exit 1
  fi
}

case "$action" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  *) usage ;;
esac
