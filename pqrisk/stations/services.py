"""Manage monitoring stations (监测站) and receive their reports.

Only the city bureau (市局管理员, 市局监管处) registers a station, changes its status or its
token; every change is audited with the state before and after. A station's API calls are
admitted here: a suspended or retired station is refused, each station has a daily quota and a
per-minute rate limit, and its records may only claim the source kinds it is allowed.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.models import AuditEvent
from pqrisk.audit.services import record as audit
from pqrisk.intake.body import BodyRejected, read_records_body
from pqrisk.intake.choices import SourceKind
from pqrisk.intake.models import IngestBatch, RawItem
from pqrisk.intake.services import IngestResult, ingest_entries
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.sources.readers import Entry
from pqrisk.sources.records import RecordRejected

from . import quality
from .choices import REFUSAL_BY_STATUS, STATUS_TRANSITIONS, StationKind, StationStatus
from .models import DEFAULT_DAILY_QUOTA, DEFAULT_INTERVAL_HOURS, MonitoringStation

MANAGER_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR)
# Calls per station per minute: far above any honest batch rhythm, low enough that a runaway
# client cannot crowd out the others.
RATE_LIMIT_PER_MINUTE = 60
CONFIRMED_STATES = (RiskInfoStatus.ASSESSED, RiskInfoStatus.WARNED)


class StationRefused(Exception):
    """A station's call that is not admitted; ``status`` is the HTTP status to answer and
    ``retry_after`` the seconds until trying again makes sense (the Retry-After of a 429)."""

    def __init__(self, status: int, message_zh: str, retry_after: int | None = None) -> None:
        super().__init__(message_zh)
        self.status = status
        self.message_zh = message_zh
        self.retry_after = retry_after


def _require_manager(user: Any) -> None:
    """City roles only. ``None`` is the system acting from the shell (``pqrisk`` CLI, tasks):
    whoever runs it already holds the server."""
    if user is None:
        return
    try:
        require_role(user, *MANAGER_ROLES)
    except PermissionDenied:
        raise PermissionDenied("只有市局管理员或市局监管处可以管理监测站") from None


# ---------------------------------------------------------------- management


@transaction.atomic
def register_station(
    *,
    name: str,
    kind: str,
    user: Any,
    district: Any = None,
    contact: str = "",
    expected_interval_hours: int = DEFAULT_INTERVAL_HOURS,
    daily_quota: int = DEFAULT_DAILY_QUOTA,
    allowed_sources: Sequence[str] = (),
    rate_limit_per_minute: int | None = None,
) -> tuple[MonitoringStation, str]:
    """Register a station and issue its first token; return both (the token only this once)."""
    _require_manager(user)
    if kind not in StationKind.values:
        raise ValueError(f"未知的监测站类型：{kind}")
    unknown = set(allowed_sources) - set(SourceKind.values)
    if unknown:
        raise ValueError(f"未知的来源类型：{'、'.join(sorted(unknown))}")
    station = MonitoringStation(
        name=name,
        kind=kind,
        district=district,
        contact=contact,
        expected_interval_hours=expected_interval_hours,
        daily_quota=daily_quota,
        allowed_sources=list(allowed_sources),
        rate_limit_per_minute=rate_limit_per_minute,
        registered_by=user if getattr(user, "is_authenticated", False) else None,
    )
    token = station.issue_token()
    station.save()
    audit(
        "register_station",
        station,
        actor=user,
        to_state=station.status,
        message=f"登记监测站（{station.get_kind_display()}），"
        f"签发接口令牌（前缀 {station.token_prefix}）",
    )
    return station, token


@transaction.atomic
def set_station_status(station: MonitoringStation, status: str, user: Any, reason: str) -> None:
    """Suspend, resume or retire a station, with the reason on the audit trail."""
    _require_manager(user)
    station = MonitoringStation.objects.select_for_update().get(pk=station.pk)
    before = station.status
    if status not in STATUS_TRANSITIONS.get(before, {}):
        raise ValueError(
            f"监测站当前为“{station.get_status_display()}”，不能改为“{StationStatus(status).label}”"
            if status in StationStatus.values
            else f"未知的状态：{status}"
        )
    if not reason.strip():
        raise ValueError("请填写变更原因")
    station.status = status
    station.save(update_fields=["status"])
    audit(
        "set_status",
        station,
        actor=user,
        from_state=before,
        to_state=status,
        message=f"{StationStatus(before).label} → {StationStatus(status).label}：{reason.strip()}",
    )


@transaction.atomic
def issue_station_token(station: MonitoringStation, user: Any = None) -> str:
    """Replace the station's token and return the new one; only its hash is kept, so this is
    the one moment it can be shown. The old token stops working at once."""
    _require_manager(user)
    token = station.issue_token()
    station.save(update_fields=["token_prefix", "token_hash"])
    audit(
        "issue_token",
        station,
        actor=user,
        message=f"签发新的接口令牌（前缀 {station.token_prefix}），原令牌作废",
    )
    return token


@transaction.atomic
def revoke_station_token(station: MonitoringStation, user: Any) -> None:
    """Void the station's token without issuing another: its calls get 401 until re-issued."""
    _require_manager(user)
    old_prefix = station.token_prefix
    station.token_prefix = station.token_hash = ""
    station.save(update_fields=["token_prefix", "token_hash"])
    audit(
        "revoke_token",
        station,
        actor=user,
        message=f"作废接口令牌（前缀 {old_prefix or '无'}），重新签发前不能报送",
    )


# ---------------------------------------------------------------- reports


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of tomorrow in the bureau's time zone (quotas reset at midnight)."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def records_today(station: MonitoringStation, now: datetime | None = None) -> int:
    """Records the station submitted today, whatever became of them."""
    start, _ = day_bounds(now or timezone.now())
    total = IngestBatch.objects.filter(station=station, received_at__gte=start).aggregate(
        n=Sum(F("accepted") + F("duplicates") + F("quarantined"))
    )["n"]
    return int(total or 0)


def rate_limit(station: MonitoringStation) -> int:
    """Calls a minute the station may make: its own limit, else the platform's."""
    return station.rate_limit_per_minute or RATE_LIMIT_PER_MINUTE


def _check_rate(station: MonitoringStation, now: datetime) -> None:
    key = f"pqrisk:station-calls:{station.pk}:{int(now.timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        calls = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        calls = 1
    limit = rate_limit(station)
    if calls > limit:
        # The window is the calendar minute: the next one starts this many seconds from now.
        retry_after = 60 - int(now.timestamp()) % 60
        raise StationRefused(
            429,
            f"调用过于频繁：本监测站每分钟最多调用{limit}次，请{retry_after}秒后再试",
            retry_after,
        )


def admit_call(station: MonitoringStation, now: datetime | None = None) -> None:
    """Refuse a station that is not active (403) or calls too often (429)."""
    if station.status != StationStatus.ACTIVE:
        raise StationRefused(403, REFUSAL_BY_STATUS[StationStatus(station.status)])
    _check_rate(station, now or timezone.now())


def _check_quota(station: MonitoringStation, count: int, now: datetime) -> None:
    used = records_today(station, now)
    if used + count > station.daily_quota:
        _, reset = day_bounds(now)
        raise StationRefused(
            429,
            f"超出每日报送上限：每日最多{station.daily_quota}条，今日已报送{used}条，"
            f"本次{count}条未接收；额度于{reset:%Y-%m-%d %H:%M}（北京时间）重置",
            max(1, math.ceil((reset - now).total_seconds())),
        )


def _station_entries(station: MonitoringStation, records: Iterable[Any]) -> Iterator[Entry]:
    """Records as the station's own: stored with source "station" and ids prefixed with the
    station (two stations never collide, and a token cannot write as another station). The
    kind of information the station claims is kept in the details, if it is allowed one."""
    allowed = set(station.allowed_sources)
    label = f"监测站：{station.name}"
    for i, r in enumerate(records, start=1):
        raw = json.dumps(r, ensure_ascii=False, default=str)[:200_000]
        value: Any = r
        if isinstance(r, dict):
            claimed = r.get("source")
            value = {**r, "source": SourceKind.STATION}
            if r.get("external_id"):
                value["external_id"] = f"S{station.pk}-{r['external_id']}"
            if claimed and claimed != SourceKind.STATION:
                if allowed and claimed not in allowed:
                    value = RecordRejected(
                        "invalid_value",
                        f"本监测站未获准报送来源类型“{claimed}”的信息，"
                        f"允许的类型：{'、'.join(sorted(allowed))}",
                        f"station may not report source {claimed!r}",
                    )
                elif isinstance(details := r.get("details") or {}, dict):
                    value["details"] = {**details, "reported_source": claimed}
        yield Entry(f"{label}#{i}", raw, value)


def read_station_body(
    station: MonitoringStation, raw: bytes, now: datetime | None = None
) -> list[Any]:
    """The records of a station's call, from its body (read as any records body is, by
    ``pqrisk.intake.body``): a body that cannot be read is kept in quarantine in a batch of
    the station and the call refused with 400 naming that batch. It counts against the daily
    quota as one record, so a quota already used up refuses it (429) and keeps nothing."""

    def within_quota() -> None:
        locked = MonitoringStation.objects.select_for_update().get(pk=station.pk)
        _check_quota(locked, 1, now or timezone.now())

    try:
        body = read_records_body(
            raw,
            source_label=f"监测站：{station.name}",
            default_source=SourceKind.STATION,
            station=station,
            reads_source=False,
            before_keeping=within_quota,
        )
    except BodyRejected as exc:
        raise StationRefused(exc.status, f"{exc.message_zh}，请更正后重新报送") from None
    return body.records


def receive_station_report(
    station: MonitoringStation, records: Sequence[Any], now: datetime | None = None
) -> IngestResult:
    """Ingest a station's records within its daily quota and note when it last reported.

    The station row is locked while counting and storing so that two parallel calls cannot
    both slip under the quota (PostgreSQL; SQLite serialises writes anyway)."""
    now = now or timezone.now()
    with transaction.atomic():
        station = MonitoringStation.objects.select_for_update().get(pk=station.pk)
        _check_quota(station, len(records), now)
        result = ingest_entries(
            _station_entries(station, records),
            source_label=f"监测站：{station.name}",
            default_source=SourceKind.STATION,
            station=station,
        )
        MonitoringStation.objects.filter(pk=station.pk).update(last_report_at=now)
    return result


# ---------------------------------------------------------------- health


def find_stale_stations(now: datetime | None = None) -> list[MonitoringStation]:
    """Active stations with no report within their expected interval (or never, registered
    longer ago than that). Each gets a "stale" audit event at most once per interval."""
    now = now or timezone.now()
    stale = [
        s for s in MonitoringStation.objects.filter(status=StationStatus.ACTIVE) if s.is_stale(now)
    ]
    for station in stale:
        interval = timedelta(hours=station.expected_interval_hours)
        since = max(station.reporting_due_since(), now - interval)
        already = AuditEvent.objects.filter(
            action="stale",
            object_type=station._meta.label_lower,
            object_id=str(station.pk),
            at__gte=since,
        ).exists()
        if not already:
            last = station.last_report_at
            audit(
                "stale",
                station,
                message=f"已超过{station.expected_interval_hours}小时未报送（最近报送："
                f"{timezone.localtime(last):%Y-%m-%d %H:%M}）"
                if last
                else f"登记后超过{station.expected_interval_hours}小时仍未报送",
            )
    return stale


def refresh_station_scores(now: datetime | None = None) -> dict[int, float]:
    """Recompute every station's quality score over the last 90 days; store and return them
    by station id."""
    now = now or timezone.now()
    since = now - timedelta(days=quality.WINDOW_DAYS)
    batches = IngestBatch.objects.filter(station__isnull=False, received_at__gte=since)
    totals = {
        row["station"]: row
        for row in batches.values("station").annotate(
            accepted=Sum("accepted"), duplicates=Sum("duplicates"), quarantined=Sum("quarantined")
        )
    }
    ages: dict[int, list[float]] = {}
    for station_id, at in batches.values_list("station", "received_at"):
        ages.setdefault(station_id, []).append((now - at).total_seconds() / 3600)
    items = {
        row["station"]: row
        for row in RawItem.objects.filter(station__isnull=False, received_at__gte=since)
        .values("station")
        .annotate(
            n=Count("id"),
            confirmed=Count("risk_info", filter=Q(risk_info__status__in=CONFIRMED_STATES)),
        )
    }
    scores: dict[int, float] = {}
    for station in MonitoringStation.objects.all():
        t = totals.get(station.pk, {})
        accepted, dups, quarantined = (
            t.get("accepted") or 0,
            t.get("duplicates") or 0,
            t.get("quarantined") or 0,
        )
        window_h = min(
            quality.WINDOW_DAYS * 24.0, (now - station.registered_at).total_seconds() / 3600
        )
        it = items.get(station.pk, {})
        score = quality.quality_score(
            timeliness=quality.timeliness(
                ages.get(station.pk, []), window_h, station.expected_interval_hours
            ),
            completeness=quality.share(accepted, accepted + quarantined),
            confirmed_share=quality.share(it.get("confirmed", 0), it.get("n", 0)),
            duplicate_share=quality.share(dups, accepted + dups + quarantined),
        )
        MonitoringStation.objects.filter(pk=station.pk).update(score=score)
        scores[station.pk] = score
    return scores


# ---------------------------------------------------------------- network health (pages)


@dataclass(frozen=True)
class NetworkSummary:
    total: int
    by_status: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    stale: list[MonitoringStation]


def network_summary(now: datetime | None = None) -> NetworkSummary:
    """Counts by status and kind, and the active stations overdue with their reports."""
    now = now or timezone.now()
    stations = list(MonitoringStation.objects.select_related("district"))
    by_status = Counter(s.status for s in stations)
    by_kind = Counter(s.kind for s in stations)
    return NetworkSummary(
        total=len(stations),
        by_status=[(c.label, by_status.get(c.value, 0)) for c in StationStatus],
        by_kind=[(c.label, by_kind.get(c.value, 0)) for c in StationKind],
        stale=[s for s in stations if s.is_stale(now)],
    )


def stations_with_activity(now: datetime | None = None) -> QuerySet[MonitoringStation]:
    """Stations annotated with ``n_items`` (records ever accepted) and ``used_today``
    (records submitted today, counted against the daily quota)."""
    start, _ = day_bounds(now or timezone.now())
    items = (
        RawItem.objects.filter(station=OuterRef("pk"))
        .values("station")
        .annotate(n=Count("id"))
        .values("n")
    )
    today = (
        IngestBatch.objects.filter(station=OuterRef("pk"), received_at__gte=start)
        .values("station")
        .annotate(n=Sum(F("accepted") + F("duplicates") + F("quarantined")))
        .values("n")
    )
    return MonitoringStation.objects.select_related("district").annotate(
        n_items=Coalesce(Subquery(items), 0), used_today=Coalesce(Subquery(today), 0)
    )
