#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW database on the server of
# DATABASE_URL and an empty uploaded-files directory, then check every table's row count and
# every file's sha256 against the backup's manifest. See docs/backup.md.
#
#   DATABASE_URL=postgresql://… scripts/restore.sh BACKUP_DIR --database NAME --media-root DIR
#                                                  [--replace]
#
# The parts are checked against the manifest before anything is touched; a mismatch after
# the restore exits non-zero with the differences.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PQRISK_PYTHON:-$root/.venv/bin/python}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m pqrisk.backup_cli restore "$@"
