"""Shared fixtures: the bureau's people, as stories name them.

alice is the city supervisor (市局监管处), dana the assessment centre analyst, bob a Pudong
district officer and charlie a Jiading district officer; eve has no role at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from hypothesis import settings as hypothesis_settings

from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.reference.models import District

PUDONG = "310115"
JIADING = "310114"

# No wall-clock limits in tests (the machines are noisy): Hypothesis's per-example deadline
# is off, so a slow example under load is not reported as a failure.
hypothesis_settings.register_profile("pqrisk", deadline=None)
hypothesis_settings.load_profile("pqrisk")


def make_user(username: str, role: Role | None, district_code: str | None = None) -> User:
    user = User.objects.create_user(username=username, password="correct-horse-battery")
    if district_code:
        user.district = District.objects.get(code=district_code)
        user.save()
    if role is not None:
        user.groups.add(Group.objects.get(name=role.label))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def alice(db: Any) -> User:
    return make_user("alice", Role.CITY_SUPERVISOR)


@pytest.fixture
def dana(db: Any) -> User:
    return make_user("dana", Role.ANALYST)


@pytest.fixture
def bob(db: Any) -> User:
    return make_user("bob", Role.DISTRICT_OFFICER, PUDONG)


@pytest.fixture
def charlie(db: Any) -> User:
    return make_user("charlie", Role.DISTRICT_OFFICER, JIADING)


@pytest.fixture
def eve(db: Any) -> User:
    return make_user("eve", None)


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Threads of the live server (browser tests) can leave a PostgreSQL session open after
    the test; end them so that the test database can be dropped at the end of the run."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
