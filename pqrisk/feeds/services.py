"""Subscribe to news feeds (网络舆情 RSS/Atom) and poll them on a schedule.

A poll fetches the feed (conditional GET), parses it and hands the items to the common ingest
path, which stores new items as ``media`` raw items, counts known ones as duplicates and keeps
a payload that is not a feed in quarantine. Whatever happens is written on the subscription;
a poll never raises, so one broken feed cannot stop the others or the beat.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.intake.choices import SourceKind
from pqrisk.intake.services import ingest_entries
from pqrisk.sources.media import feed_entries
from pqrisk.sources.records import RecordRejected

from .choices import PollStatus
from .fetch import FetchFailed, fetch_feed
from .models import DEFAULT_INTERVAL_MINUTES, FeedSubscription

log = logging.getLogger(__name__)
MANAGER_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR)
INTERNAL_ERROR_ZH = "采集时发生内部错误，详情已写入系统日志，请联系系统管理员"
POLL_FIELDS = [
    "last_polled_at",
    "last_status",
    "last_error",
    "consecutive_failures",
    "last_batch",
    "etag",
    "last_modified",
    "content_hash",
    "content_error",
]


@dataclass(frozen=True)
class PollResult:
    feed: str
    status: str  # a PollStatus value
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    changed: bool = False  # the feed had content not seen at the last poll
    message_zh: str = ""

    @property
    def failed(self) -> bool:
        return self.status == PollStatus.ERROR

    @property
    def summary_zh(self) -> str:
        if self.failed:
            text = f"{self.feed}：采集失败，{self.message_zh}"
            if self.quarantined:
                text += f"（原始内容已存入隔离区 {self.quarantined} 条）"
            return text
        if not self.changed:
            return f"{self.feed}：无更新"
        return (
            f"{self.feed}：新增 {self.accepted} 条，已采集过 {self.duplicates} 条，"
            f"隔离 {self.quarantined} 条"
        )


def add_subscription(
    *,
    name: str,
    url: str,
    user: Any = None,
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES,
    site: str = "",
) -> FeedSubscription:
    """Subscribe to a feed. Raises ValidationError (in Chinese) for a URL that is not http(s),
    a name or URL already subscribed, or an interval below the minimum. ``user`` None is the
    system (the ``pqrisk`` CLI); a person must hold a city role."""
    if user is not None:
        require_role(user, *MANAGER_ROLES)
    sub = FeedSubscription(
        name=name.strip(),
        url=url.strip(),
        site=site.strip(),
        interval_minutes=interval_minutes,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    sub.full_clean()
    sub.save()
    audit(
        "add_feed",
        sub,
        actor=user,
        to_state=PollStatus.NEW,
        message=f"添加舆情订阅源 {sub.url}，每{sub.interval_minutes}分钟采集一次",
    )
    return sub


def due_subscriptions(now: datetime | None = None, *, everything: bool = False) -> list[Any]:
    """Active subscriptions whose interval has elapsed (all active ones if ``everything``)."""
    now = now or timezone.now()
    subs = FeedSubscription.objects.filter(active=True).order_by("name", "id")
    return [s for s in subs if everything or s.is_due(now)]


def poll_due_feeds(now: datetime | None = None) -> list[PollResult]:
    """Poll every subscription that is due (the beat task)."""
    now = now or timezone.now()
    return poll_subscriptions(due_subscriptions(now), now=now)


def poll_subscriptions(
    subs: Sequence[FeedSubscription],
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[PollResult]:
    """Poll the given subscriptions one after another. One that another worker has started
    since they were loaded is skipped; one that fails in an unforeseen way is recorded as
    failed and the rest are still polled."""
    now = now or timezone.now()
    results = []
    for sub in subs:
        if _claim(sub, now):
            try:
                results.append(poll_feed(sub, now))
            except Exception:
                log.exception("feed %s (%s): poll failed unexpectedly", sub.pk, sub.url)
                sub.refresh_from_db()  # drop what the failed poll changed but did not finish
                results.append(_failed(sub, now, INTERNAL_ERROR_ZH))
        if progress:
            progress(1)
    return results


def _claim(sub: FeedSubscription, now: datetime) -> bool:
    """Mark the poll as started, unless someone else did since ``sub`` was loaded: two beat
    runs that overlap then never fetch the same feed twice. No lock is held while fetching."""
    claimed = FeedSubscription.objects.filter(pk=sub.pk, last_polled_at=sub.last_polled_at).update(
        last_polled_at=now
    )
    sub.last_polled_at = now
    return claimed == 1


def poll_feed(sub: FeedSubscription, now: datetime | None = None) -> PollResult:
    """Fetch one feed and ingest its items; record the outcome on the subscription."""
    now = now or timezone.now()
    sub.last_polled_at = now
    try:
        fetched = fetch_feed(sub.url, etag=sub.etag, last_modified=sub.last_modified)
    except FetchFailed as exc:
        log.warning("feed %s (%s): %s", sub.pk, sub.url, exc)
        return _failed(sub, now, exc.message_zh)
    if fetched.body is None:
        return _unchanged(sub, now)
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == sub.content_hash:  # a server without validators sent the same bytes again
        sub.etag, sub.last_modified = fetched.etag, fetched.last_modified
        return _unchanged(sub, now)
    entries = feed_entries(fetched.body, sub.url, sub.url)
    if not entries:  # a valid feed with no items: nothing to store, no empty batch
        sub.etag, sub.last_modified, sub.content_hash = fetched.etag, fetched.last_modified, digest
        sub.content_error = ""
        return _succeeded(sub, now, PollResult(sub.name, PollStatus.OK, changed=True))
    result = ingest_entries(
        entries, source_label=f"舆情订阅：{sub.site or sub.name}", default_source=SourceKind.MEDIA
    )
    # Only once the content is stored may the next poll skip it as unchanged.
    sub.etag, sub.last_modified, sub.content_hash = fetched.etag, fetched.last_modified, digest
    sub.last_batch_id = result.batch_id
    # parse_feed yields records, never rejections: a rejected entry is the whole payload.
    rejected = next((e.value for e in entries if isinstance(e.value, RecordRejected)), None)
    if rejected is not None:
        sub.content_error = rejected.message_zh[:500]
        return _failed(sub, now, rejected.message_zh, quarantined=result.quarantined)
    sub.content_error = ""
    FeedSubscription.objects.filter(pk=sub.pk).update(
        items_seen=F("items_seen") + len(entries), items_new=F("items_new") + result.accepted
    )
    return _succeeded(
        sub,
        now,
        PollResult(
            sub.name,
            PollStatus.OK,
            accepted=result.accepted,
            duplicates=result.duplicates,
            quarantined=result.quarantined,
            changed=True,
        ),
    )


def _unchanged(sub: FeedSubscription, now: datetime) -> PollResult:
    """Nothing new since the last full response: as good, or as bad, as that one was."""
    if sub.content_error:
        return _failed(sub, now, sub.content_error)
    return _succeeded(sub, now, PollResult(sub.name, PollStatus.OK))


def _succeeded(sub: FeedSubscription, now: datetime, result: PollResult) -> PollResult:
    failures, was_failing = sub.consecutive_failures, sub.last_status == PollStatus.ERROR
    sub.last_polled_at = now
    sub.last_status, sub.last_error, sub.consecutive_failures = PollStatus.OK, "", 0
    sub.save(update_fields=POLL_FIELDS)
    if was_failing:
        audit(
            "feed_recovered",
            sub,
            from_state=PollStatus.ERROR,
            to_state=PollStatus.OK,
            message=f"{sub.name} 恢复正常（此前连续失败{failures}次）",
        )
    return result


def _failed(
    sub: FeedSubscription, now: datetime, message_zh: str, *, quarantined: int = 0
) -> PollResult:
    """Record a failure. It is audited when it starts or its reason changes, not at every
    poll of a feed that stays down (the count of consecutive failures says how long)."""
    before, before_error = sub.last_status, sub.last_error
    sub.last_polled_at = now
    sub.last_status, sub.last_error = PollStatus.ERROR, message_zh[:500]
    sub.consecutive_failures += 1
    sub.save(update_fields=POLL_FIELDS)
    if before != PollStatus.ERROR or before_error != sub.last_error:
        audit(
            "feed_failed",
            sub,
            from_state=before,
            to_state=PollStatus.ERROR,
            message=f"{sub.name}：{message_zh}",
            detail={"url": sub.url, "quarantined": quarantined},
        )
    return PollResult(sub.name, PollStatus.ERROR, quarantined=quarantined, message_zh=message_zh)
