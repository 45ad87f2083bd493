#!/usr/bin/env bash
# A throwaway PostgreSQL server for the history store's tests and benchmarks
# (Tests/RescindHistoryTests, RescindHistoryBench; docs/history.md):
#
#   eval "$(Scripts/postgres-test-server.sh start DIR)"   # prints `export RESCIND_TEST_POSTGRES_URL=…`
#   Scripts/postgres-test-server.sh stop DIR
#
# `start` initdb's a cluster into DIR/data (DIR is created; it must not hold one yet),
# listening on 127.0.0.1 only, on a free port, with a Unix socket in DIR and trust
# authentication (loopback only, a test server), creates the database `rescind_test`
# and prints the URL as a shell export. `stop` stops it (fast shutdown) and removes DIR;
# it does nothing when no server runs there, so it is safe in an EXIT trap.
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user
# (Debian's package creates it) or, when there is none, as a `rescind-pg` system user
# made here. The server's binaries are found on PATH or in /usr/lib/postgresql/*/bin;
# when missing, and as root, Debian's `postgresql` package is installed.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

# The directory of initdb/pg_ctl/createdb, installing the server when it is missing.
find_bin() {
    local bin
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        bin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
        [ -x "$bin/createdb" ] && { echo "$bin"; return; }
    fi
    for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$bin/pg_ctl" ] && [ -x "$bin/initdb" ] && { echo "$bin"; return; }
    done
    [ "$(id -u)" -eq 0 ] || { echo "postgres-test-server: no initdb/pg_ctl and not root to install them" >&2; exit 1; }
    echo "postgres-test-server: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$bin/pg_ctl" ] && { echo "$bin"; return; }
    done
    echo "postgres-test-server: postgresql installed but no pg_ctl found" >&2
    exit 1
}

# Runs a command as the server's user (as root: that user; otherwise: ourselves).
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$server_user" -- "$@"
    else
        "$@"
    fi
}

pick_user() {
    if [ "$(id -u)" -ne 0 ]; then
        server_user=$(id -un)
    elif id postgres >/dev/null 2>&1; then
        server_user=postgres
    else
        id rescind-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rescind-pg
        server_user=rescind-pg
    fi
}

# A TCP port nothing listens on now (the kernel's choice for an ephemeral bind).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$action" in
start)
    bin=$(find_bin)
    pick_user
    [ ! -e "$dir/data" ] || { echo "postgres-test-server: $dir/data exists" >&2; exit 1; }
    mkdir -p "$dir"
    chmod 755 "$dir"
    [ "$(id -u)" -ne 0 ] || chown "$server_user" "$dir"
    as_server_user "$bin/initdb" -D "$dir/data" -U rescind --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # A port can be taken between the check and the start: try a few.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null; then
            echo "$port" >"$dir/port"
            break
        fi
        [ "$attempt" -lt 5 ] || { cat "$dir/server.log" >&2; exit 1; }
    done
    as_server_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U rescind rescind_test
    echo "export RESCIND_TEST_POSTGRES_URL='postgres://rescind@127.0.0.1:$port/rescind_test?sslmode=disable'"
    ;;
stop)
    [ -d "$dir/data" ] || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        bin=$(find_bin)
        pick_user
        as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*) usage ;;
esac
