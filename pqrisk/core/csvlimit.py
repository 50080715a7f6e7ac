"""The csv module's cell-size limit, raised for one read and then put back.

The limit is the whole process's (``csv.field_size_limit``): a command or task that raises
it for good silently lifts intake's refusal of an oversized cell in the same worker.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator


@contextlib.contextmanager
def csv_field_limit(limit: int) -> Iterator[None]:
    """Cells up to ``limit`` characters inside the block (never lower than the limit now)."""
    before = csv.field_size_limit(max(csv.field_size_limit(), limit))
    try:
        yield
    finally:
        csv.field_size_limit(before)
