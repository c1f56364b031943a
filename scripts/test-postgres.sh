#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start` creates and starts it, `url` prints the URL of its
# admin database, `stop` stops it and deletes it. Typical use:
#
#     scripts/test-postgres.sh start
#     CAMPAIGN_TEST_POSTGRES=$(scripts/test-postgres.sh url) swift test
#     scripts/test-postgres.sh stop
#
# The cluster listens on a unix socket only (no TCP port, so nothing else on the machine can reach it or
# collide with it), trusts every local user but one (`campaign_password_check`, which must give its password,
# so the tests can check how a refused password is reported), and trades durability for speed (fsync off):
# it holds nothing but test data. It lives in a folder under /tmp named after this checkout, so two checkouts
# on one machine get two clusters. initdb refuses to run as root, so as root the cluster runs as the
# `postgres` user (CI runs as root); otherwise it runs as the calling user.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="/tmp/campaign-postgres-$(id -u)-$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
data="$dir/data"
superuser=campaign

# The server's programs: pg_config names their folder where postgresql-common installed it; else the newest
# /usr/lib/postgresql/<version>/bin (Debian's layout); else PATH.
find_bindir() {
    local candidate
    if command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir 2>/dev/null || true)"
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
            echo "$candidate"
            return
        fi
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
            echo "$candidate"
            return
        fi
    done
    candidate="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
        echo "$candidate"
        return
    fi
    echo "test-postgres.sh: no initdb/pg_ctl found; install Debian's postgresql package (scripts/setup.sh does)" >&2
    exit 1
}

# Runs a server program as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url() {
    echo "postgres://$superuser@/postgres?host=$dir"
}

running() {
    [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
    if running; then
        url
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    # --no-sync and fsync=off: a test cluster need not survive a power cut; initdb plus start take ~1.2 s.
    as_owner "$bindir/initdb" -D "$data" -U "$superuser" --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    # First match wins: the one role that must send a password, then everyone else trusted. Local (socket)
    # lines only, as the server listens on no TCP address.
    cat >"$data/pg_hba.conf" <<'EOF'
local all campaign_password_check scram-sha-256
local all all trust
EOF
    # max_connections 300: the tests run in parallel, each open store may hold a pool of up to 6 connections.
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -s start \
        -o "-k $dir -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=300" ||
        {
            cat "$dir/server.log" >&2
            exit 1
        }
    url
}

stop() {
    if [ -f "$data/PG_VERSION" ]; then
        as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w -s stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

bindir="$(find_bindir)"
case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        if ! running; then
            echo "test-postgres.sh: no cluster is running for this checkout; run scripts/test-postgres.sh start" >&2
            exit 1
        fi
        url
        ;;
    *)
        echo "usage: scripts/test-postgres.sh start|stop|url" >&2
        exit 2
        ;;
esac
