"""Helpers of the 长三角 sharing stories: two bureaus in one test database.

Zhejiang (浙江省市场监督管理局, ZJAMR) signs packages with its own key; Shanghai (SHAMR, this
platform) registers Zhejiang's public key and imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pqrisk.accounts.models import User
from pqrisk.exchange import yrd
from pqrisk.exchange.keys import own_public_key
from pqrisk.exchange.models import ExchangePackage, Partner
from pqrisk.warnings.models import Warning

ZHEJIANG = {"name": "浙江省市场监督管理局", "code": "ZJAMR", "contact": "风险监测处"}


@contextmanager
def as_zhejiang(settings: Any, tmp_path: Path, key: str = "zjamr.pem") -> Iterator[None]:
    """Act as Zhejiang's platform: its code and name, its own key."""
    before = settings.PQRISK_EXCHANGE_KEY_FILE, settings.PQRISK_EXCHANGE_PRODUCER
    settings.PQRISK_EXCHANGE_KEY_FILE = str(tmp_path / "keys" / key)
    settings.PQRISK_EXCHANGE_PRODUCER = ZHEJIANG
    try:
        yield
    finally:
        settings.PQRISK_EXCHANGE_KEY_FILE, settings.PQRISK_EXCHANGE_PRODUCER = before


def zhejiang_exports(
    settings: Any, tmp_path: Path, warning: Warning, user: User, n: int = 1
) -> list[ExchangePackage]:
    with as_zhejiang(settings, tmp_path):
        return [yrd.export_package(warning, user=user) for _ in range(n)]


def zhejiang_public_key(settings: Any, tmp_path: Path) -> str:
    with as_zhejiang(settings, tmp_path):
        return own_public_key(create=True)


def register_zhejiang(settings: Any, tmp_path: Path, user: User) -> Partner:
    return yrd.register_partner(
        code="ZJAMR",
        name="浙江省市场监管局",
        province="浙江省",
        public_key=zhejiang_public_key(settings, tmp_path),
        user=user,
    )


def write(tmp_path: Path, row: ExchangePackage, text: str | None = None) -> Path:
    path = tmp_path / (row.file_name or "package.json")
    path.write_text(row.content if text is None else text, encoding="utf-8")
    return path
