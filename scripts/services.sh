#!/usr/bin/env bash
# Start the local services the tests need when they are configured and not running.
# PostgreSQL only when DATABASE_URL points at it; Redis / RabbitMQ when their URLs are set.
set -euo pipefail

wait_port() {  # host port seconds
  for _ in $(seq 1 "$3"); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 1
  done
  return 1
}

case "${DATABASE_URL:-}" in
  postgres*)
    if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
      echo "starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable" >&2; exit 1; }
    ;;
esac

case "${CELERY_BROKER_URL:-}${REDIS_URL:-}" in
  *redis*)
    if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
      echo "starting Redis"
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
      wait_port 127.0.0.1 6379 20 || { echo "Redis did not start" >&2; exit 1; }
    fi
    ;;
esac

case "${CELERY_BROKER_URL:-}" in
  amqp*)
    if ! wait_port 127.0.0.1 5672 1; then
      echo "starting RabbitMQ"
      rabbitmq-server -detached
      wait_port 127.0.0.1 5672 60 || { echo "RabbitMQ did not start" >&2; exit 1; }
    fi
    ;;
esac
exit 0
