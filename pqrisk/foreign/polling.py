"""Poll a folder and URLs for foreign-alert exports (EU Safety Gate, US CPSC).

Configuration (Django settings, or the environment variable of the same name):

- ``PQRISK_FOREIGN_INBOX``: a folder. Each file in it is loaded once and then moved to
  ``processed/`` (something was accepted or known already) or ``failed/`` (nothing could be
  accepted, or the file could not be read), with a sidecar ``<name>.result.txt`` that says
  what happened. A file name already in the target gets a time stamp added. A file still
  being written must be named ``.name`` or ``name.part`` / ``.tmp`` until it is complete: such
  files are left alone.
- ``PQRISK_FOREIGN_URLS``: http(s) URLs of exports (a list, or one string separated by
  commas or whitespace). Each is fetched with the feed fetcher (time and size limits,
  conditional GET): the ETag and Last-Modified of the last answer are sent back, and a body
  whose SHA-256 equals the last one is not loaded again.

A poll never raises for one bad file or URL: what went wrong is written in the sidecar or on
the URL's ``ForeignFeedState`` and audited.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from pqrisk.audit.services import record as audit
from pqrisk.feeds.fetch import FetchFailed, fetch_feed

from .choices import PollState
from .models import ForeignFeedState
from .services import ingest_foreign_file

log = logging.getLogger(__name__)
# Exports of a year of Safety Gate alerts are a few megabytes; fifty is a mistake or an attack.
MAX_EXPORT_BYTES = 50 * 1024 * 1024
SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".xlsx")
SIDECAR = ".result.txt"
# A file still being copied in: writers name it so (or start it with a dot) until it is whole.
IN_PROGRESS = (".part", ".partial", ".tmp", ".crdownload", ".filepart")
INTERNAL_ERROR_ZH = "读取时发生内部错误，详情已写入系统日志，请联系系统管理员"


def inbox_dir() -> Path | None:
    value = getattr(settings, "PQRISK_FOREIGN_INBOX", None) or os.environ.get(
        "PQRISK_FOREIGN_INBOX", ""
    )
    return Path(value) if value else None


def configured_urls() -> list[str]:
    value: Any = getattr(settings, "PQRISK_FOREIGN_URLS", None) or os.environ.get(
        "PQRISK_FOREIGN_URLS", ""
    )
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [str(u).strip() for u in value if str(u).strip()]


@dataclass(frozen=True)
class PollOutcome:
    where: str  # file name or URL
    state: str  # ok / unchanged / error
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    message_zh: str = ""


def _unique(target: Path) -> Path:
    if not target.exists():
        return target
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return target.with_name(f"{target.stem}.{stamp}{target.suffix}")


def _move(path: Path, folder: Path, message: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _unique(folder / path.name)
    shutil.move(str(path), target)
    target.with_name(target.name + SIDECAR).write_text(message + "\n", encoding="utf-8")
    return target


def poll_inbox(folder: Path | None = None, user: Any = None) -> list[PollOutcome]:
    """Load every file waiting in the inbox folder once and move it out."""
    folder = folder or inbox_dir()
    if folder is None:
        return []
    if not folder.is_dir():
        log.warning("foreign inbox %s is not a folder", folder)
        return [PollOutcome(str(folder), PollState.ERROR, message_zh=f"收件文件夹不存在：{folder}")]
    outcomes = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.name.endswith(SIDECAR) or path.suffix.lower() in IN_PROGRESS:
            continue  # our own notes, and files still being written
        if path.suffix.lower() not in SUFFIXES:
            kind = path.suffix or "（无扩展名）"
            message = f"不支持的文件类型：{kind}（支持 .csv .json .jsonl .xlsx）"
            _move(path, folder / "failed", message)
            outcomes.append(PollOutcome(path.name, PollState.ERROR, message_zh=message))
            continue
        try:
            result = ingest_foreign_file(path, user=user)
        except Exception:
            log.exception("foreign inbox: loading %s failed", path)
            _move(path, folder / "failed", INTERNAL_ERROR_ZH)
            outcomes.append(PollOutcome(path.name, PollState.ERROR, message_zh=INTERNAL_ERROR_ZH))
            continue
        message = f"批次 {result.batch_id}：{result.summary_zh}"
        ok = result.accepted > 0 or result.duplicates > 0 or result.quarantined == 0
        _move(path, folder / ("processed" if ok else "failed"), message)
        outcomes.append(
            PollOutcome(
                path.name,
                PollState.OK if ok else PollState.ERROR,
                result.accepted,
                result.duplicates,
                result.quarantined,
                message,
            )
        )
    return outcomes


def _suffix_for(url: str, body: bytes) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    if suffix in SUFFIXES:
        return suffix
    if body.startswith(b"PK\x03\x04"):
        return ".xlsx"  # a zip: the table saved as a workbook
    head = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return ".json" if head.startswith((b"{", b"[")) else ".csv"


def poll_url(url: str, user: Any = None) -> PollOutcome:
    """Fetch one export URL and load it unless it is unchanged since the last poll."""
    key = hashlib.sha256(url.encode()).hexdigest()
    state, _ = ForeignFeedState.objects.get_or_create(url_hash=key, defaults={"url": url[:1000]})
    state.last_polled_at = timezone.now()
    fields = ["last_polled_at", "last_status", "last_error"]
    try:
        fetched = fetch_feed(
            url, etag=state.etag, last_modified=state.last_modified, max_bytes=MAX_EXPORT_BYTES
        )
    except FetchFailed as exc:
        state.last_status, state.last_error = PollState.ERROR, exc.message_zh[:500]
        state.save(update_fields=fields)
        audit(
            "foreign_poll",
            state,
            actor=user,
            to_state=PollState.ERROR,
            message=f"{url[:200]}：{exc.message_zh}",
        )
        return PollOutcome(url, PollState.ERROR, message_zh=exc.message_zh)
    if fetched.body is None:
        state.last_status, state.last_error = PollState.UNCHANGED, ""
        state.save(update_fields=fields)
        return PollOutcome(url, PollState.UNCHANGED, message_zh="无更新（304）")
    digest = hashlib.sha256(fetched.body).hexdigest()
    state.etag, state.last_modified = fetched.etag, fetched.last_modified
    fields += ["etag", "last_modified"]
    if digest == state.content_hash:
        state.last_status, state.last_error = PollState.UNCHANGED, ""
        state.save(update_fields=fields)
        return PollOutcome(url, PollState.UNCHANGED, message_zh="内容与上次相同，未重复载入")
    name = Path(urlsplit(url).path).name or urlsplit(url).hostname or "export"
    with tempfile.TemporaryDirectory(prefix="pqrisk-foreign-") as tmp:
        path = Path(tmp) / f"download{_suffix_for(url, fetched.body)}"
        path.write_bytes(fetched.body)
        try:
            result = ingest_foreign_file(path, user=user, source_label=f"境外通报：{name}"[:300])
        except Exception:
            log.exception("foreign poll: loading %s failed", url)
            state.last_status, state.last_error = PollState.ERROR, INTERNAL_ERROR_ZH
            state.save(update_fields=fields)
            return PollOutcome(url, PollState.ERROR, message_zh=INTERNAL_ERROR_ZH)
    state.content_hash = digest
    state.last_status, state.last_error = PollState.OK, ""
    state.last_batch_id = result.batch_id
    state.save(update_fields=[*fields, "content_hash", "last_batch"])
    audit(
        "foreign_poll",
        state,
        actor=user,
        to_state=PollState.OK,
        message=f"{url[:200]}：{result.summary_zh}",
        detail={"batch": result.batch_id},
    )
    return PollOutcome(
        url, PollState.OK, result.accepted, result.duplicates, result.quarantined, result.summary_zh
    )


def poll_urls(urls: list[str] | None = None, user: Any = None) -> list[PollOutcome]:
    return [poll_url(u, user) for u in (configured_urls() if urls is None else urls)]


def poll_once(
    folder: Path | None = None, urls: list[str] | None = None, user: Any = None
) -> dict[str, int]:
    """The inbox and the URLs, once; totals for the task's result."""
    outcomes = [*poll_inbox(folder, user), *poll_urls(urls, user)]
    return {
        "sources": len(outcomes),
        "failed": sum(o.state == PollState.ERROR for o in outcomes),
        "unchanged": sum(o.state == PollState.UNCHANGED for o in outcomes),
        "accepted": sum(o.accepted for o in outcomes),
        "duplicates": sum(o.duplicates for o in outcomes),
        "quarantined": sum(o.quarantined for o in outcomes),
    }
