"""Exact de-duplication of collected items (reposts of the same text).

Two items are duplicates when their fingerprints are equal: the same words after markup,
width, spacing and punctuation are removed (``pqrisk.core.text.normalize.fingerprint_text``).
Near-duplicates (edited reposts) are a later, separate step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pqrisk.core.text.normalize import fingerprint_text


def content_hash(title: str, text: str) -> str:
    """SHA-256 (hex, 64 characters) of the fingerprint of title and text."""
    return hashlib.sha256(fingerprint_text(title, text).encode("utf-8")).hexdigest()


def dedup_exact(items: Iterable[tuple[str, str]]) -> list[int | None]:
    """For each (title, text): the index of the first earlier item with the same content
    hash, or None for the first of its kind."""
    first: dict[str, int] = {}
    out: list[int | None] = []
    for i, (title, text) in enumerate(items):
        h = content_hash(title, text)
        out.append(first.get(h))
        first.setdefault(h, i)
    return out
