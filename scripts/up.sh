#!/usr/bin/env bash
# `make up`: the bureau-server shape on this machine. PostgreSQL and Redis are started by
# scripts/services.sh when they are installed and down; the database is created when missing;
# then `pqrisk serve --workers N` migrates and supervises gunicorn, N workers and beat
# (Ctrl-C stops them all). Everything can be overridden from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pqrisk}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-pqrisk.settings.dev}"
WORKERS="${WORKERS:-2}"
CONCURRENCY="${CONCURRENCY:-2}"
PORT="${PORT:-8000}"

scripts/services.sh

case "$DATABASE_URL" in
  postgres*)
    name="${DATABASE_URL##*/}"
    name="${name%%\?*}"
    server="${DATABASE_URL%/*}/postgres"
    if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
      echo "创建数据库 $name"
      psql "$server" -qc "CREATE DATABASE \"$name\""
    fi
    ;;
esac

exec .venv/bin/pqrisk serve --workers "$WORKERS" --concurrency "$CONCURRENCY" --port "$PORT" "$@"
