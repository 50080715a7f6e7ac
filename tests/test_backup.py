"""Backups: scripts/backup.sh and scripts/restore.sh on a real PostgreSQL database.

The story: dana opens an assessment case from two screened complaints and attaches a lab
report (an uploaded file). A backup is taken, restored into a new database and a new
directory, and what comes back is checked against the live data: every table's rows and
every uploaded file's checksum. A damaged backup is refused before anything is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from psycopg import sql

from pqrisk.assessment.cases import add_evidence, open_case
from pqrisk.assessment.models import CaseEvidence
from pqrisk.backup_cli import MANIFEST, table_counts
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import ingest_objects
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.tests.records import complaint, screened

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

pytestmark = [
    pytest.mark.skipif(
        not POSTGRES,
        reason="backups are pg_dump / pg_restore: run with DATABASE_URL=postgresql://…",
    ),
    # pg_dump reads committed rows only; serialized_rollback restores the reference data
    # (districts, catalogue, role groups) that the flush after a transactional test empties.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FIRE = "我家买的暖风机使用时突然起火，烧毁窗帘，差点酿成火灾，品牌是暖阳牌。"
REPORT = b"%PDF-1.4\n% lab report of the heater sample\n" + bytes(range(256)) * 8


def _url(dbname: str) -> str:
    """A postgresql:// URL of ``dbname`` on the test database's server (the form
    DATABASE_URL takes)."""
    params = connection.get_connection_params()
    user = quote(params.get("user") or "postgres")
    password = f":{quote(params['password'])}" if params.get("password") else ""
    host, port = params.get("host") or "127.0.0.1", params.get("port") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{quote(dbname)}"


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "DJANGO_SETTINGS_MODULE": "pqrisk.settings.test",
    }
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hung pg_dump should fail the test, not the CI job
    )


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def case_with_upload(dana: Any) -> CaseEvidence:
    infos = screened(complaint("BK-1", FIRE), complaint("BK-2", FIRE.replace("窗帘", "沙发")))
    case = open_case(dana, risk_infos=infos)
    return add_evidence(
        case,
        dana,
        kind="lab_result",
        title="暖风机样品检验报告",
        file=SimpleUploadedFile("检验报告.pdf", REPORT, "application/pdf"),
    )


@pytest.fixture
def some_data() -> str:
    """Two raw items and one uploaded file (enough for the refusals)."""
    ingest_objects([complaint("BK-3", FIRE), complaint("BK-4", FIRE)], source_label="测试")
    return default_storage.save("cases/2026/11/检验报告.pdf", ContentFile(REPORT))


def _live_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor)


def test_a_backup_restores_into_a_new_database_with_the_same_rows_and_files(
    case_with_upload: CaseEvidence, tmp_path: Path, restored_name: str
) -> None:
    media = Path(settings.MEDIA_ROOT)
    stored = media / case_with_upload.file.name
    assert stored.read_bytes() == REPORT

    made = _run("backup.sh", str(tmp_path / "backups"), "--media-root", str(media))
    assert made.returncode == 0, made.stderr
    [backup] = (tmp_path / "backups").iterdir()
    assert backup.name.startswith("pqrisk-backup-") and "备份完成" in made.stdout
    manifest = json.loads((backup / MANIFEST).read_text())
    live = _live_counts()
    assert manifest["tables"] == live
    assert live["screening_riskinfo"] == 2 and live["assessment_caseevidence"] >= 1
    assert manifest["media_files"][case_with_upload.file.name]["sha256"] == (
        hashlib.sha256(REPORT).hexdigest()
    )
    assert "password" not in json.dumps(manifest["database"])

    target = tmp_path / "restored-media"
    back = _run("restore.sh", str(backup), "--database", restored_name, "--media-root", str(target))
    assert back.returncode == 0, back.stderr
    assert "恢复完成并已核对" in back.stdout

    # Checked here again, independently of the script's own verification.
    with psycopg.connect(_url(restored_name)) as conn, conn.cursor() as cursor:
        assert table_counts(cursor) == live
        cursor.execute("SELECT file FROM assessment_caseevidence WHERE kind = 'lab_result'")
        files = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT external_id FROM intake_rawitem ORDER BY external_id")
        items = [row[0] for row in cursor.fetchall()]
    assert files == [case_with_upload.file.name]
    assert items == ["BK-1", "BK-2"]
    assert (target / case_with_upload.file.name).read_bytes() == REPORT
    assert RiskInfo.objects.count() == 2  # the live database is untouched


def test_a_damaged_backup_is_refused_before_anything_is_restored(
    some_data: str, tmp_path: Path, restored_name: str
) -> None:
    made = _run("backup.sh", str(tmp_path), "--media-root", settings.MEDIA_ROOT)
    assert made.returncode == 0, made.stderr
    [backup] = tmp_path.glob("pqrisk-backup-*")
    with (backup / "media.tar").open("r+b") as fh:
        fh.seek(700)
        fh.write(b"tampered")

    back = _run(
        "restore.sh", str(backup), "--database", restored_name, "--media-root", str(tmp_path / "m")
    )
    assert back.returncode != 0
    assert "media.tar 的校验值与清单不符" in back.stderr
    with psycopg.connect(_url("postgres")) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restored_name])
        assert found.fetchone() is None
    assert not (tmp_path / "m").exists()


def test_restore_will_not_overwrite_an_existing_database(some_data: str, tmp_path: Path) -> None:
    made = _run("backup.sh", str(tmp_path), "--media-root", settings.MEDIA_ROOT)
    assert made.returncode == 0, made.stderr
    [backup] = tmp_path.glob("pqrisk-backup-*")
    live = connection.settings_dict["NAME"]

    back = _run("restore.sh", str(backup), "--database", live, "--media-root", str(tmp_path / "m"))
    assert back.returncode != 0
    assert f"数据库 {live} 已存在" in back.stderr
    assert RawItem.objects.count() == 2
