"""Wiring: roles exist as groups, scheduled tasks exist and are routed, settings switch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from pqrisk.accounts.choices import Role
from pqrisk.celery import app

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group() -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.label for r in Role} <= names


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_scheduled_pipeline_task_runs_eagerly() -> None:
    from pqrisk.screening.tasks import run_pipeline

    assert run_pipeline.delay().get() == {
        "duplicate": 0,
        "noise": 0,
        "reference": 0,
        "pending_assessment": 0,
        "assessed": 0,
        "warned": 0,
        "new": 0,
        "joined": 0,
        "escalated": 0,
    }


def _settings_in_subprocess(env: dict[str, str], expr: str) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='pqrisk.settings.dev'; "
        f"django.setup(); from django.conf import settings as s; print({expr})"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_no_environment_means_sqlite_and_eager_celery(tmp_path) -> None:
    env = {"PQRISK_VAR_DIR": str(tmp_path)}
    engine = _settings_in_subprocess(
        env, "(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    assert engine == "('django.db.backends.sqlite3', True)"


def test_database_url_switches_to_postgresql_and_broker(tmp_path) -> None:
    env = {
        "PQRISK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    out = _settings_in_subprocess(
        env, "(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    assert out == "('django.db.backends.postgresql', False)"
