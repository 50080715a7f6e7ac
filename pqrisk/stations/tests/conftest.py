from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and quotas count calls in the cache: each test starts from none."""
    cache.clear()
    yield
    cache.clear()
