#!/usr/bin/env bash
# Back up the PostgreSQL database (DATABASE_URL) and the uploaded files (MEDIA_ROOT) into a
# timestamped directory under DEST with a manifest (sha256 of each part, row count of every
# table, sha256 of every uploaded file). See docs/backup.md.
#
#   DATABASE_URL=postgresql://… scripts/backup.sh DEST [--keep 14] [--media-root DIR]
#
# The settings module (DJANGO_SETTINGS_MODULE, default pqrisk.settings.dev) and PQRISK_VAR_DIR
# decide MEDIA_ROOT unless --media-root is given. Exit status 0 only for a complete backup.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PQRISK_PYTHON:-$root/.venv/bin/python}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m pqrisk.backup_cli backup "$@"
