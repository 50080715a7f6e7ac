from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Receipts and result files go to a temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
