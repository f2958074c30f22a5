#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on a free port, for tests, the demo and benchmarks.
#   scripts/pg-cluster.sh start DIR   creates DIR, starts a server there, writes DIR/env
#   scripts/pg-cluster.sh stop DIR    stops it and removes DIR
# DIR/env sets PGHOST (the socket directory), PGPORT, PGUSER and PGDATABASE for psql.
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail
source "$(dirname "$0")/common.sh"

cmd=${1:?start|stop}
dir=${2:?cluster directory}
bindir=$(pg_config --bindir)

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    mkdir -p "$dir"
    chmod 755 "$dir"
    if is_root; then chown postgres: "$dir"; fi
    as_server_user "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    port=$(free_port)
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
max_wal_size = 8GB
checkpoint_timeout = 30min
CONF
    if ! as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
        cat "$dir/server.log" >&2
        exit 1
    fi
    cat >"$dir/env" <<ENV
export PGHOST='$dir' PGPORT=$port PGUSER=postgres PGDATABASE=postgres
ENV
    ;;
stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
