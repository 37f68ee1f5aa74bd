#!/usr/bin/env bash
# A throwaway PostgreSQL server for keyward's tests, from the OS packages: its own data
# directory, listening on 127.0.0.1 only, password authentication. .ci/run starts one for the
# whole suite; the outage tests stop and restart one of their own.
#
#   cluster.sh start DIR [PORT] initialise DIR on first use, start on PORT (default: a free
#                               one), print the connection URL
#   cluster.sh stop DIR         stop it (fast shutdown: open sessions are ended)
set -euo pipefail

pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z "$dir" ]]; then
    echo "cluster.sh: no PostgreSQL server found (apt-get install postgresql, or set PG_BIN)" >&2
    exit 1
  fi
  echo "$dir"
}

# The server refuses to run as root, so under root (CI) it runs as the postgres user.
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

start() {
  local dir=$1 port=${2:-} bin
  bin=$(pg_bin)
  if [[ -z "$port" ]]; then port=$(free_port); fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [[ $(id -u) == 0 ]]; then chown postgres: "$dir"; fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$dir/password"
    if [[ $(id -u) == 0 ]]; then chown postgres: "$dir/password"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" \
      --auth-host=scram-sha-256 --auth-local=peer --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  fi
  # fsync off: the data is thrown away, and the tests only ever stop the server cleanly.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off -c full_page_writes=off" \
    start >/dev/null
  echo "postgres://postgres:$(cat "$dir/password")@127.0.0.1:$port/postgres"
}

stop() {
  as_owner "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null
}

case "${1:-}" in
  start) start "$2" "${3:-}" ;;
  stop) stop "$2" ;;
  *) echo "usage: cluster.sh start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
