"""The near-duplicate index of screened items, kept on disk and checked against the database.

The database is the truth: an item is in the index when its RiskInfo is of a free-text source
(``NEAR_DUP_KINDS``) and has screened text. The file (``PQRISK_SCREENING_DIR/neardup.npz``
with ``neardup.json`` beside it) is a cache of that, so a run does not re-hash every item:

- ``neardup.json`` names the database's ``IndexState`` token the file was built for, the
  highest risk information id it has seen (``info_mark``; risk information is written only
  by screening runs, one at a time, so ids are committed in order) and its item count;
- on load, a file for another token (another database, a restored backup, rows rolled back)
  or whose count disagrees with the database is discarded and the index rebuilt from the
  stored texts; items screened after the mark (by another process, or after a crash before
  the file was saved) are added in order — so the index always ends up equal to the
  database's;
- one screening run at a time (``screening_lock``): on PostgreSQL an advisory lock, so
  workers on several machines wait for each other; on SQLite a file lock.

Within a process the index stays in memory between runs and is only topped up: the
count is checked when the file is loaded, not on every run (a failed run drops the memory).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from pqrisk.core.screening.neardup import NearDupIndex, NearDupIndexError
from pqrisk.intake.choices import SourceKind

from .models import IndexState, RiskInfo

log = logging.getLogger(__name__)

INDEX_FILE = "neardup.npz"
META_FILE = "neardup.json"
LOCK_FILE = "screening.lock"
# Free-text sources are checked for near-duplicates (see Screener.NEAR_DUP_SOURCES); the
# others come from forms and templates, where only an identical text is a duplicate.
NEAR_DUP_KINDS = (SourceKind.MEDIA, SourceKind.COMPLAINT, SourceKind.STATION)
_ADVISORY_KEY = 0x70717269736B  # "pqrisk": one screening run at a time per database
_CATCH_UP_BATCH = 2000


@dataclass
class IndexCache:
    index: NearDupIndex
    token: str
    info_mark: int = 0  # highest risk information id the index has seen
    saved_at: float | None = None  # when this process last wrote the file (monotonic)


_cached: IndexCache | None = None


def state_dir() -> Path:
    return Path(settings.PQRISK_SCREENING_DIR)


def indexed_infos() -> QuerySet[RiskInfo]:
    """The risk information the index holds (or must hold)."""
    return RiskInfo.objects.filter(source_kind__in=NEAR_DUP_KINDS).exclude(screened_text="")


@contextlib.contextmanager
def screening_lock(wait: bool = True) -> Iterator[bool]:
    """Hold the one screening run of this database: blocks until the running one ends, or
    with ``wait=False`` yields False at once when another run holds it."""
    with database_lock(_ADVISORY_KEY, LOCK_FILE, wait=wait) as held:
        yield held


@contextlib.contextmanager
def database_lock(key: int, file_name: str, *, wait: bool = True) -> Iterator[bool]:
    """A lock per database: on PostgreSQL the advisory lock ``key`` (held by workers on
    every machine), on SQLite a file lock in the screening folder. Yields whether it is held."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            if wait:
                cur.execute("SELECT pg_advisory_lock(%s)", [key])
                held = True
            else:
                cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
                held = bool(cur.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / file_name).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fh, fcntl.LOCK_UN)


def database_token() -> str:
    """This database's screening token (made on first use): what per-database caches of a
    process are keyed by, so that another database, or a test's rolled-back one, starts anew."""
    state = IndexState.objects.order_by("id").first()
    if state is None:
        state = IndexState.objects.create(token=uuid.uuid4())
    return str(state.token)


def _new_index() -> NearDupIndex:
    return NearDupIndex(threshold=settings.PQRISK_NEARDUP_THRESHOLD)


def _load_file(token: str) -> IndexCache | None:
    folder = state_dir()
    try:
        meta = json.loads((folder / META_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("token") != token:
        return None
    try:
        index = NearDupIndex.load(folder / INDEX_FILE, threshold=settings.PQRISK_NEARDUP_THRESHOLD)
    except (OSError, NearDupIndexError) as exc:
        log.warning("near-duplicate index file not used, rebuilding: %s", exc)
        return None
    if len(index) != meta.get("items") or not isinstance(meta.get("info_mark"), int):
        log.warning("near-duplicate index file and its description disagree, rebuilding")
        return None
    return IndexCache(index, token, meta["info_mark"])


def synced_index() -> IndexCache:
    """The index, equal to the database's screened items (call under ``screening_lock``)."""
    global _cached
    token = database_token()
    cache = _cached if _cached is not None and _cached.token == token else None
    if cache is None and (cache := _load_file(token)) is not None:
        held = indexed_infos().filter(id__lte=cache.info_mark).count()
        if held != len(cache.index):
            log.warning(
                "near-duplicate index holds %d items, the database %d: rebuilding",
                len(cache.index),
                held,
            )
            cache = None
    if cache is None:
        cache = IndexCache(_new_index(), token)
    added = catch_up(cache)
    if added:
        log.info("near-duplicate index: %d stored items added", added)
    _cached = cache
    return cache


def catch_up(cache: IndexCache) -> int:
    """Add the stored items screened after the mark, in the order they were screened."""
    rows = (
        indexed_infos()
        .filter(id__gt=cache.info_mark)
        .order_by("id")
        .values_list("id", "raw_item_id", "screened_text")
    )
    batch: list[tuple[str, str]] = []
    added = 0
    for info_id, raw_id, text in rows.iterator(chunk_size=_CATCH_UP_BATCH):
        batch.append((str(raw_id), text))
        cache.info_mark = max(cache.info_mark, info_id)
        if len(batch) == _CATCH_UP_BATCH:
            cache.index.check_and_add_many(batch, cleaned=True)
            added += len(batch)
            batch = []
    if batch:
        cache.index.check_and_add_many(batch, cleaned=True)
        added += len(batch)
    return added


def forget() -> None:
    """Drop the in-memory index (after a failed chunk: it may hold items the database lost)."""
    global _cached
    _cached = None


# The file is only a cache: written at most this often by a process that screens every few
# seconds (a crash costs re-hashing the items screened since, from the database).
SAVE_EVERY = 60.0


def save_if_due(cache: IndexCache) -> None:
    """``save`` unless this process wrote the file less than ``SAVE_EVERY`` seconds ago."""
    if cache.saved_at is None or time.monotonic() - cache.saved_at >= SAVE_EVERY:
        save(cache)


def save(cache: IndexCache) -> None:
    """Write the index, then its description (a crash between leaves them disagreeing, and
    the next load rebuilds)."""
    folder = state_dir()
    cache.index.save(folder / INDEX_FILE)
    meta: dict[str, Any] = {
        "token": cache.token,
        "info_mark": cache.info_mark,
        "items": len(cache.index),
        **cache.index.params(),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{META_FILE}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(meta, fh)
        os.replace(tmp, folder / META_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cache.saved_at = time.monotonic()
