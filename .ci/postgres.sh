#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, on 127.0.0.1 only.
#
#   .ci/postgres.sh start DIR   initialise DIR, start a server there, print its URL
#   .ci/postgres.sh stop DIR    stop it (DIR can then be deleted)
#
# Installs Debian's postgresql package when initdb is missing and we are root. PostgreSQL
# refuses to run as root, so as root the server runs as the "postgres" user (made by the
# package); any other user runs it as themselves. Trust authentication on 127.0.0.1 and a
# socket inside DIR: nothing listens beyond this machine, and the data is disposable
# (fsync off, unless POSTGRES_FSYNC=on: the inbox benchmark measures real commits).
set -euo pipefail

command=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then
        found=$(dirname "$(command -v initdb)")
    fi
    printf '%s' "$found"
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

bin=$(find_bin)
if [ -z "$bin" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "PostgreSQL is not installed (no initdb) and only root can install it" >&2
        exit 1
    fi
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(find_bin)
fi

case "$command" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log"
    # A free port, chosen by the kernel (the server binds it a moment later).
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${POSTGRES_FSYNC:-off} -c synchronous_commit=${POSTGRES_FSYNC:-off} -c full_page_writes=${POSTGRES_FSYNC:-off} -c max_connections=200" \
        >/dev/null
    printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
