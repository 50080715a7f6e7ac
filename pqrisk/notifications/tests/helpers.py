"""What the notification tests share: frank, the city bureau's administrator, and a webhook
receiver that answers with a given series of statuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.warnings.tests.test_delivery import Endpoint


class ScriptedEndpoint(Endpoint):
    """A local webhook receiver answering its POSTs with ``statuses`` in turn (the last one
    from then on)."""

    def __init__(self, *statuses: int) -> None:
        self._script = list(statuses) or [200]
        super().__init__()

    @property
    def status(self) -> int:
        return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    @status.setter
    def status(self, value: int) -> None:
        """Endpoint's constructor sets one status; the script wins."""


@pytest.fixture
def frank(db: Any) -> User:
    return make_user("frank", Role.CITY_ADMIN)


@pytest.fixture
def endpoint() -> Iterator[ScriptedEndpoint]:
    e = ScriptedEndpoint(200)
    yield e
    e.close()


@pytest.fixture
def mail_settings(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PQRISK_BASE_URL = "https://pqrisk.example.cn"
    settings.PQRISK_WEBHOOK_SECRET = "test-secret"


def with_email(user: User, address: str) -> User:
    user.email = address
    user.save(update_fields=["email"])
    return user
