#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for the scale-out set-up (make scale, the scale-out tests).
#   scripts/services.sh start   install from Debian if missing, start both, print the URLs
#   scripts/services.sh stop    stop both (data stays in $SERVICES_DIR)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="${SERVICES_DIR:-$ROOT/var/services}"
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
PG_DIR="$SERVICES_DIR/postgres"
REDIS_DIR="$SERVICES_DIR/redis"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_missing() {
  local packages=()
  [ -n "$(pg_bin)" ] || packages+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  if [ ${#packages[@]} -gt 0 ]; then
    echo "Installing ${packages[*]} from Debian packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
}

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; chmod 700 "$PG_DIR"; fi
  if ! as_postgres "test -w '$PG_DIR'"; then
    echo "User postgres cannot write $PG_DIR: set SERVICES_DIR to a folder it can reach (e.g. under /tmp)." >&2
    exit 1
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    as_postgres "'$bin/initdb' -D '$PG_DIR/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null"
  fi
  if ! as_postgres "'$bin/pg_ctl' -D '$PG_DIR/data' status" >/dev/null 2>&1; then
    as_postgres "'$bin/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/postgres.log' -w -t 60 \
      -o \"-p $PG_PORT -c listen_addresses=127.0.0.1 -k '$PG_DIR'\" start" >/dev/null
  fi
  for db in wallet_tracker wallet_knowledge; do
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
  done
}

start_redis() {
  mkdir -p "$REDIS_DIR"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDIS_DIR" \
      --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no
    for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
}

case "${1:-}" in
  start)
    install_missing
    start_postgres
    start_redis
    echo "TRACKER_STORE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/wallet_tracker"
    echo "KNOWLEDGE_DB_URL=postgresql://postgres@127.0.0.1:$PG_PORT/wallet_knowledge"
    echo "LOCK_STORE_URL=redis://127.0.0.1:$REDIS_PORT/1"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$PG_DIR/data/PG_VERSION" ]; then
      as_postgres "'$bin/pg_ctl' -D '$PG_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
    fi
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
