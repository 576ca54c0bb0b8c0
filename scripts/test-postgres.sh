#!/usr/bin/env bash
# Starts or stops a private PostgreSQL server for the tests, listening only on 127.0.0.1.
#
#   scripts/test-postgres.sh start DIR [PORT]   initializes DIR/data when missing, starts the
#                                               server and prints the CASUALTY_TEST_DATABASE_URL
#                                               line to export
#   scripts/test-postgres.sh stop DIR           stops the server started in DIR
#
# The cluster trusts every local connection (`initdb --auth=trust`), so it is for tests only.
# The tests create a database per test through the URL's user, `casualty`, a superuser of the
# cluster. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
# system user, which the Debian `postgresql` package creates. PORT defaults to 55432.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
command=$1
dir=$2
port=${3:-55432}

# Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<version>/bin.
find_bin() {
    local tool=$1 candidate
    if command -v "$tool" >/dev/null 2>&1; then
        command -v "$tool"
        return
    fi
    for candidate in /usr/lib/postgresql/*/bin/"$tool"; do
        if [[ -x $candidate ]]; then
            echo "$candidate"
            return
        fi
    done
    echo "test-postgres: error: '$tool' not found on PATH or in /usr/lib/postgresql/*/bin; install the Debian package postgresql" >&2
    exit 1
}

# Runs a command as the server's user: the caller, or `postgres` when the caller is root.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

initdb_bin=$(find_bin initdb)
pg_ctl_bin=$(find_bin pg_ctl)

case $command in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        as_server_user "$initdb_bin" --pgdata="$dir/data" --username=casualty --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log"
    fi
    # `-k` puts the Unix socket in DIR rather than /run/postgresql, which may not exist.
    as_server_user "$pg_ctl_bin" --pgdata="$dir/data" --log="$dir/server.log" --wait \
        -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null
    echo "export CASUALTY_TEST_DATABASE_URL=postgres://casualty@127.0.0.1:$port/postgres"
    ;;
stop)
    as_server_user "$pg_ctl_bin" --pgdata="$dir/data" --wait --mode=fast stop >/dev/null
    ;;
*)
    usage
    ;;
esac
