#!/usr/bin/env bash
# Starts the production backends the tests exercise — RabbitMQ, MariaDB, PostgreSQL,
# memcached, and an S3 server (moto, from the test venv) — each on its own loopback port with its own data directory, and only
# when it is not already running. Stops them by PID with `stop`.
#
#   scripts/backends.sh start      start what is not running, drop old test databases,
#                                  print the env file path
#   scripts/backends.sh stop       stop what this script started
#   scripts/backends.sh env        print the env file path
#
# The env file exports FERRO_TEST_* URLs for the test suites. Any backend that cannot
# be started fails the script loudly.
set -euo pipefail

DIR=${FERRO_BACKENDS_DIR:-/var/tmp/ferrostack-backends}
RABBIT_PORT=${FERRO_RABBIT_PORT:-5682}
RABBIT_DIST_PORT=$((RABBIT_PORT + 20000))
RABBIT_NODE=ferro@localhost
MYSQL_PORT=${FERRO_MYSQL_PORT:-3316}
PG_PORT=${FERRO_PG_PORT:-5442}
MEMCACHED_PORT=${FERRO_MEMCACHED_PORT:-11222}
S3_PORT=${FERRO_S3_PORT:-5011}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

log() { echo "backends: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

alive() { [ -f "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2 tries=${3:-120}
  for _ in $(seq "$tries"); do port_open "$port" && return 0; sleep 0.5; done
  die "$name did not open port $port; see $DIR/$name/log"
}

rabbitmqctl() {
  HOME="$DIR/rabbitmq" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$RABBIT_NODE" "$@"
}

start_rabbitmq() {
  local d=$DIR/rabbitmq
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || die "rabbitmq-server is not installed (scripts/deps.sh)"
  mkdir -p "$d/mnesia" "$d/log"
  if alive "$d/pid" && port_open "$RABBIT_PORT"; then return; fi
  log "starting RabbitMQ on 127.0.0.1:$RABBIT_PORT"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$RABBIT_PORT" > "$d/rabbitmq.conf"
  echo "[]." > "$d/enabled_plugins"
  HOME=$d RABBITMQ_NODENAME=$RABBIT_NODE RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT \
    RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/pid \
    RABBITMQ_CONFIG_FILE=$d/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins \
    setsid /usr/lib/rabbitmq/bin/rabbitmq-server > "$d/log/console.log" 2>&1 < /dev/null &
  wait_port "$RABBIT_PORT" rabbitmq
  rabbitmqctl await_startup --timeout 60 || die "RabbitMQ did not start; see $d/log"
}

start_mariadb() {
  local d=$DIR/mariadb
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || die "mariadb-server is not installed (scripts/deps.sh)"
  mkdir -p "$d"
  if alive "$d/pid" && port_open "$MYSQL_PORT"; then return; fi
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --no-defaults --user=root --datadir="$d/data" --auth-root-authentication-method=socket > "$d/install.log" 2>&1 \
      || die "mariadb-install-db failed; see $d/install.log"
  fi
  setsid /usr/sbin/mariadbd --no-defaults --user=root --datadir="$d/data" --port="$MYSQL_PORT" \
    --bind-address=127.0.0.1 --socket="$d/sock" --pid-file="$d/pid" --log-error="$d/log" \
    --innodb-flush-log-at-trx-commit=2 --max-connections=500 < /dev/null > /dev/null 2>&1 &
  wait_port "$MYSQL_PORT" mariadb
  mariadb --no-defaults --socket="$d/sock" -uroot -e \
    "CREATE USER IF NOT EXISTS 'ferro'@'127.0.0.1' IDENTIFIED BY 'ferro';
     GRANT ALL PRIVILEGES ON *.* TO 'ferro'@'127.0.0.1' WITH GRANT OPTION;" \
    || die "could not create the MariaDB test user"
}

start_postgres() {
  local d=$DIR/postgres
  [ -n "$PG_BIN" ] || die "PostgreSQL is not installed (scripts/deps.sh)"
  mkdir -p "$d"
  chown postgres: "$d"
  if alive "$d/data/postmaster.pid" && port_open "$PG_PORT"; then return; fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    runuser -u postgres -- "$PG_BIN/initdb" -D "$d/data" -U postgres --auth=trust > "$d/initdb.log" 2>&1 \
      || die "initdb failed; see $d/initdb.log"
  fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/log" -w -t 60 start \
    -o "-p $PG_PORT -k $d -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off" > /dev/null \
    || die "PostgreSQL did not start; see $d/log"
}

start_memcached() {
  local d=$DIR/memcached
  command -v memcached >/dev/null || die "memcached is not installed (scripts/deps.sh)"
  mkdir -p "$d"
  if alive "$d/pid" && port_open "$MEMCACHED_PORT"; then return; fi
  log "starting memcached on 127.0.0.1:$MEMCACHED_PORT"
  memcached -d -u root -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -P "$d/pid" \
    || die "memcached did not start"
  wait_port "$MEMCACHED_PORT" memcached
}

start_s3() {
  local d=$DIR/s3
  mkdir -p "$d"
  if alive "$d/pid" && port_open "$S3_PORT"; then return; fi
  bash "$ROOT/scripts/venv.sh"
  log "starting the moto S3 server on 127.0.0.1:$S3_PORT"
  setsid "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" > "$d/log" 2>&1 < /dev/null &
  echo $! > "$d/pid"
  wait_port "$S3_PORT" s3
}

# Drops the per-test databases (ferro_t_*) earlier runs left behind.
cleanup() {
  local my=(mariadb --no-defaults --socket="$DIR/mariadb/sock" -uroot -N)
  "${my[@]}" -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'ferro\\_t\\_%'" |
    while read -r db; do "${my[@]}" -e "DROP DATABASE \`$db\`"; done
  local pg=(psql -h "$DIR/postgres" -p "$PG_PORT" -U postgres -At -d postgres)
  "${pg[@]}" -c "SELECT datname FROM pg_database WHERE datname LIKE 'ferro\\_t\\_%'" |
    while read -r db; do "${pg[@]}" -q -c "DROP DATABASE \"$db\"" > /dev/null; done
}

write_env() {
  cat > "$DIR/env" <<ENV
export FERRO_TEST_RABBIT_URL=rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/
export FERRO_TEST_RABBITMQCTL="env HOME=$DIR/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -q -n $RABBIT_NODE"
export FERRO_TEST_MYSQL_URL=mysql://ferro:ferro@127.0.0.1:$MYSQL_PORT
export FERRO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT
export FERRO_TEST_MEMCACHED=127.0.0.1:$MEMCACHED_PORT
export FERRO_TEST_S3_URL=http://127.0.0.1:$S3_PORT
ENV
  echo "$DIR/env"
}

stop_pid() {
  local name=$1 pidfile=$2
  if alive "$pidfile"; then
    log "stopping $name"
    kill "$(head -1 "$pidfile")"
  fi
}

case ${1:-start} in
  start)
    mkdir -p "$DIR"
    start_rabbitmq
    start_mariadb
    start_postgres
    start_memcached
    start_s3
    cleanup
    write_env
    ;;
  env) write_env ;;
  stop)
    stop_pid rabbitmq "$DIR/rabbitmq/pid"
    stop_pid mariadb "$DIR/mariadb/pid"
    [ -f "$DIR/postgres/data/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/postgres/data" -m fast stop > /dev/null || true
    stop_pid memcached "$DIR/memcached/pid"
    stop_pid s3 "$DIR/s3/pid"
    ;;
  *) die "usage: $0 start|stop|env" ;;
esac
