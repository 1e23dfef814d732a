# Shared by scripts/test and scripts/serve: find Odoo, find or start PostgreSQL,
# write an Odoo configuration. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDON=order_mgmt_procedure
PYTHON=${PYTHON:-python3}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

odoo_importable() {
    "$PYTHON" -c 'import odoo.release as r, sys; sys.exit(r.version_info[0] != 19)' >/dev/null 2>&1
}

# OCA's Job Queue (queue_job) and what it imports are installed in Python.
queue_job_importable() {
    "$PYTHON" -c 'import importlib.metadata as m, openupgradelib, requests; m.distribution("odoo-addon-queue_job")' >/dev/null 2>&1
}

# pg_ctl and initdb are not on PATH on Debian; take the newest installed server.
pg_bindir() {
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "PostgreSQL server binaries (initdb, pg_ctl) not found; install PostgreSQL 13+ or set PGHOST/PGPORT/PGUSER" >&2
        return 1
    fi
    echo "$dir"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: when we are root, the cluster belongs to
# an unprivileged account.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_OWNER" -- "$@"
    else
        "$@"
    fi
}

# start_cluster DIR: init (if needed) and start a cluster in DIR on a free
# loopback port, superuser "odoo" with trust auth (Odoo refuses "postgres").
# Sets DB_HOST DB_PORT DB_USER DB_PASSWORD and PG_CLUSTER_DIR.
start_cluster() {
    local dir=$1 bindir
    bindir=$(pg_bindir) || return 1
    PG_OWNER=${PG_OWNER:-nobody}
    mkdir -p "$dir"
    chmod 755 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir/data"
        [ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$dir/data"
        as_pg_owner "$bindir/initdb" -D "$dir/data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    mkdir -p "$dir/run"
    [ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$dir/run"
    DB_PORT=$(free_port)
    as_pg_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/run/postgresql.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $DB_PORT -k $dir/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
        || { cat "$dir/run/postgresql.log" >&2; return 1; }
    DB_HOST=127.0.0.1
    DB_USER=odoo
    DB_PASSWORD=
    PG_CLUSTER_DIR=$dir
    PG_STARTED_BY_US=1
}

stop_cluster() {
    if [ -n "${PG_STARTED_BY_US:-}" ]; then
        as_pg_owner "$(pg_bindir)/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        PG_STARTED_BY_US=
    fi
}

# Use the server the environment names (an Odoo configuration in ODOO_RC, or
# the PG* variables), else start our own.
use_configured_or_start_cluster() {
    if [ -n "${ODOO_RC:-}" ] && [ -f "$ODOO_RC" ]; then
        log "Using the database server of the Odoo configuration $ODOO_RC"
    elif [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]; then
        DB_HOST=${PGHOST:-127.0.0.1}
        DB_PORT=${PGPORT:-5432}
        DB_USER=${PGUSER:-$(id -un)}
        DB_PASSWORD=${PGPASSWORD:-}
        log "Using the PostgreSQL server of the PG* variables: $DB_USER@$DB_HOST:$DB_PORT"
    else
        start_cluster "$1"
        log "Started a PostgreSQL cluster in $1 on 127.0.0.1:$DB_PORT"
    fi
}

# write_odoo_config FILE DATA_DIR: an Odoo configuration for this checkout.
# An existing Odoo configuration (ODOO_RC) is the base when given.
write_odoo_config() {
    local file=$1 data_dir=$2
    {
        if [ -n "${ODOO_RC:-}" ] && [ -f "$ODOO_RC" ]; then
            grep -v -E '^\s*(addons_path|data_dir|http_interface)\s*=' "$ODOO_RC"
        else
            echo "[options]"
            echo "db_host = $DB_HOST"
            echo "db_port = $DB_PORT"
            echo "db_user = $DB_USER"
            [ -n "${DB_PASSWORD:-}" ] && echo "db_password = $DB_PASSWORD"
        fi
        echo "addons_path = $ROOT"
        echo "data_dir = $data_dir"
        echo "http_interface = 127.0.0.1"
    } >"$file"
}
