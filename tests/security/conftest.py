"""The access matrix's world: built once per module inside a transaction that is rolled back
at the end, so the matrix's hundreds of cases share one set of rows and leave nothing behind.
Each test still runs in its own savepoint (pytest-django's ``db``), so a POST that gets
through changes nothing for the next case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from .world import World, build


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        built = build()
        yield built
        transaction.set_rollback(True)
