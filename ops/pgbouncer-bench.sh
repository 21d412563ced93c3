#!/usr/bin/env bash
# A PgBouncer in transaction mode in front of a Slipline database, for `ctl bench workers`
# only (not a runtime dependency). It listens on a Unix socket in DIR and nowhere else (no TCP),
# accepts up to 2,000 clients, and opens at most POOL_SIZE server connections.
#
#   ops/pgbouncer-bench.sh start [DIR]   # prints the workers' connection string and the pooler's pid
#   ops/pgbouncer-bench.sh stop [DIR]
#
# The target is SLIPLINE_DATABASE_URL, else the embedded database (`ctl db url`, CTL=path to ctl).
# Through transaction pooling a session is not one server backend: LISTEN, session advisory
# locks and session SETs do not hold, so only the simulated workers (claim/complete) go through
# it; the harness's coordinator (leader lock, LISTEN) connects directly.
set -euo pipefail
cmd=${1:-}
dir=${2:-/tmp/slipline-pgbouncer}
port=${PORT:-6432}
case $cmd in
  start) ;;
  stop)
    [ -f "$dir/pgbouncer.pid" ] && kill -TERM "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    exit 0 ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 64 ;;
esac

"$(dirname "$0")/apt-install.sh" pgbouncer
ctl=${CTL:-.build/release/ctl}
url=${SLIPLINE_DATABASE_URL:-$("$ctl" db url)}
# Where the server is, asked of the server itself (Unix socket directory or address, port).
IFS='|' read -r user db host srvport < <(psql "$url" -Atc \
  "SELECT current_user, current_database(), coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port')")

mkdir -p "$dir"
chmod 0700 "$dir"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
$db = host=$host port=$srvport dbname=$db user=$user

[pgbouncer]
listen_addr =
unix_socket_dir = $dir
unix_socket_mode = 0700
listen_port = $port
listen_backlog = 4096
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = ${POOL_SIZE:-16}
max_db_connections = ${POOL_SIZE:-16}
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
echo "\"$user\" \"\"" > "$dir/users.txt"

# PgBouncer refuses to run as root: as root, run it as the embedded cluster's service account.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  chown -R slipline "$dir"
  as_user=(-u slipline)
fi
ulimit -n 8192
pgbouncer -d "${as_user[@]}" "$dir/pgbouncer.ini"
for _ in $(seq 50); do [ -S "$dir/.s.PGSQL.$port" ] && break; sleep 0.1; done
psql "host=$dir port=$port dbname=$db user=$user" -Atc "SELECT 1" >/dev/null
echo "workers: host=$dir port=$port dbname=$db user=$user"
echo "pid: $(cat "$dir/pgbouncer.pid")"
