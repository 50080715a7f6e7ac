"""Bulletins (《产品质量安全资讯》): draft from the period's data, edit, submit, publish, and
keep every saved state as a version with its documents.

Who: the assessment centre (analyst) and the city bureau draft and edit drafts; the city
supervisor (市局监管处) returns or publishes an issue in review, and may still correct it
there. A published issue is frozen: its last version, with its .docx and PDF made at
publication, is what is distributed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from pqrisk.accounts.scoping import workflow_roles
from pqrisk.audit.services import record
from pqrisk.core.workflow import TransitionNotAllowed
from pqrisk.documents.pdf import pdf_unavailable
from pqrisk.reference.models import HazardType, ProductCategory

from . import documents
from .choices import (
    BULLETIN_MACHINE,
    DRAFTER_ROLES,
    EDITABLE_STATES,
    PUBLISHER_ROLES,
    SECTION_HEADINGS,
    BulletinKind,
    BulletinStatus,
)
from .drafting import default_title, draft_sections, section_rows
from .gather import Scope, chinese_day, gather, period_label
from .models import Bulletin, BulletinVersion
from .periods import previous_period

DEFAULT_ISSUER = "上海市市场监督管理局"
MAX_PERIOD_DAYS = 366
NUMBER_ATTEMPTS = 5


class BulletinError(ValueError):
    """What cannot be done, in words for the user (``message_zh``)."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- who may do what


def _roles(user: Any) -> frozenset[str]:
    return workflow_roles(user)


def may_draft(user: Any) -> bool:
    return bool(_roles(user) & (DRAFTER_ROLES | {"system"}))


def may_edit(bulletin: Bulletin, user: Any) -> bool:
    if bulletin.status == BulletinStatus.DRAFT:
        return may_draft(user)
    if bulletin.status == BulletinStatus.IN_REVIEW:
        return bool(_roles(user) & PUBLISHER_ROLES)
    return False


def available_actions(bulletin: Bulletin, user: Any) -> list[tuple[str, str]]:
    """(action, label) the user may take now."""
    return [(t.action, t.label) for t in BULLETIN_MACHINE.available(bulletin.status, _roles(user))]


def visible_bulletins(user: Any) -> QuerySet[Bulletin]:
    """City-wide roles see every issue; a district officer sees published issues only."""
    qs = Bulletin.objects.select_related("created_by", "approved_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_city_wide:
        return qs
    if user.district_id is not None and "district_officer" in user.role_codes:
        return qs.filter(status=BulletinStatus.PUBLISHED)
    return qs.none()


def published_bulletins() -> QuerySet[Bulletin]:
    """Published issues, newest first: what may be listed to the public."""
    return Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).order_by("-published_at", "-id")


def published_version(bulletin: Bulletin) -> BulletinVersion | None:
    return bulletin.versions.filter(published=True).order_by("-number").first()


# ---------------------------------------------------------------- drafting


@dataclass(frozen=True)
class BulletinRequest:
    kind: str
    start: date
    end: date
    theme: str = ""
    category: ProductCategory | None = None
    hazard: HazardType | None = None
    title: str = ""


def _validate(req: BulletinRequest) -> None:
    if req.kind not in BulletinKind.values:
        raise BulletinError(f"未知的资讯类型“{req.kind}”")
    if req.end < req.start:
        raise BulletinError("截止日期不能早于起始日期")
    if (req.end - req.start).days + 1 > MAX_PERIOD_DAYS:
        raise BulletinError(f"统计期间不能超过 {MAX_PERIOD_DAYS} 天")
    if req.kind == BulletinKind.THEMATIC and not (req.theme or "").strip():
        raise BulletinError("专刊须填写专题名称")
    if req.kind != BulletinKind.THEMATIC:
        existing = Bulletin.objects.filter(
            kind=req.kind, period_start=req.start, period_end=req.end
        ).first()
        if existing is not None:
            raise BulletinError(
                f"该期间的{BulletinKind(req.kind).label}已存在（{existing.issue_label}），"
                "请打开原稿修改或重新生成数据"
            )


def create_bulletin(user: Any, req: BulletinRequest) -> Bulletin:
    """Draft an issue: gather the period's data, draft each section, number it (期号, per
    kind and year) and keep version 1."""
    if not may_draft(user):
        raise PermissionDenied("只有评估中心和市局可以起草资讯")
    _validate(req)
    scope = Scope(req.start, req.end, req.category, req.hazard)
    data = gather(scope)
    theme = (req.theme or "").strip()
    title = (req.title or "").strip() or default_title(req.kind, data, theme)
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                number = (
                    Bulletin.objects.filter(kind=req.kind, year=req.start.year).aggregate(
                        n=Max("number")
                    )["n"]
                    or 0
                ) + 1
                bulletin = Bulletin.objects.create(
                    kind=req.kind,
                    period_start=req.start,
                    period_end=req.end,
                    theme=theme,
                    product_category=req.category,
                    hazard=req.hazard,
                    title=title[:200],
                    year=req.start.year,
                    number=number,
                    sections=section_rows(data),
                    data=data,
                    data_generated_at=timezone.now(),
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                )
                save_version(bulletin, user, "起草")
                record(
                    "create",
                    bulletin,
                    actor=user,
                    to_state=bulletin.status,
                    message=f"{bulletin.issue_label} {bulletin.title}",
                )
                return bulletin
        except IntegrityError:
            # Another issue took the number (or the period) at the same moment: look again.
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            _validate(req)
    raise AssertionError("unreachable")


def _require_editable(bulletin: Bulletin, user: Any) -> None:
    if bulletin.status not in EDITABLE_STATES:
        raise BulletinError("资讯已发布，不能再修改")
    if not may_edit(bulletin, user):
        raise PermissionDenied(
            "待审核的资讯只能由市局监管处修改"
            if bulletin.status == BulletinStatus.IN_REVIEW
            else "只有评估中心和市局可以修改资讯"
        )


@transaction.atomic
def edit_bulletin(
    bulletin: Bulletin, user: Any, *, title: str, texts: dict[str, str], note: str = ""
) -> BulletinVersion | None:
    """Save a person's edit of the title and section texts as a new version; None when
    nothing changed."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    _require_editable(bulletin, user)
    title = (title or "").strip()
    if not title:
        raise BulletinError("标题不能为空")
    unknown = set(texts) - set(SECTION_HEADINGS)
    if unknown:
        raise BulletinError(f"未知的栏目：{'、'.join(sorted(unknown))}")
    sections = []
    for section in bulletin.sections:
        text = texts.get(section["key"], section["text"])
        sections.append({**section, "text": _clean_text(text)})
    if title == bulletin.title and sections == bulletin.sections:
        return None
    bulletin.title = title[:200]
    bulletin.sections = sections
    bulletin.save(update_fields=["title", "sections", "updated_at"])
    version = save_version(bulletin, user, note or "修改内容")
    record("edit", bulletin, actor=user, message=f"保存为第{version.number}版")
    return version


def _clean_text(text: str) -> str:
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


@transaction.atomic
def regenerate(bulletin: Bulletin, user: Any) -> tuple[BulletinVersion | None, list[str]]:
    """Gather the period's data again (late reports, new signals …) and re-draft the sections
    nobody edited; edited ones keep their text. Returns the new version (None when nothing
    changed) and the headings of the sections kept as edited."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    _require_editable(bulletin, user)
    data = gather(_scope(bulletin))
    drafted = draft_sections(data)
    kept = []
    sections = []
    for section in bulletin.sections:
        new = drafted[section["key"]]
        if section["text"] == section["drafted"]:
            sections.append({**section, "text": new, "drafted": new})
        else:
            kept.append(section["heading"])
            sections.append({**section, "drafted": new})
    bulletin.data_generated_at = timezone.now()
    if data == bulletin.data and sections == bulletin.sections:
        bulletin.save(update_fields=["data_generated_at"])
        return None, kept
    bulletin.data = data
    bulletin.sections = sections
    bulletin.save(update_fields=["data", "sections", "data_generated_at", "updated_at"])
    version = save_version(bulletin, user, "重新生成数据")
    record("regenerate", bulletin, actor=user, message=f"保存为第{version.number}版")
    return version, kept


def _scope(bulletin: Bulletin) -> Scope:
    return Scope(
        bulletin.period_start, bulletin.period_end, bulletin.product_category, bulletin.hazard
    )


# ---------------------------------------------------------------- workflow


@transaction.atomic
def act_on_bulletin(bulletin: Bulletin, action: str, user: Any, note: str = "") -> Bulletin:
    """Submit (提交审核), return (退回修改) or publish (审核发布) an issue."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    try:
        transition = BULLETIN_MACHINE.apply(bulletin.status, action, _roles(user))
    except TransitionNotAllowed as exc:
        raise BulletinError(exc.message_zh) from exc
    if action == "return" and not note.strip():
        raise BulletinError("退回修改须写明理由")
    before = bulletin.status
    bulletin.status = transition.target
    now = timezone.now()
    if action == "submit":
        bulletin.submitted_at = now
    if action == "publish":
        bulletin.published_at = now
        bulletin.approved_by = user if getattr(user, "is_authenticated", False) else None
    bulletin.save()
    if action == "publish":
        version = save_version(bulletin, user, "发布版", published=True)
        make_files(version)
    record(
        action,
        bulletin,
        actor=user,
        from_state=before,
        to_state=bulletin.status,
        message=note.strip(),
    )
    return bulletin


# ---------------------------------------------------------------- versions and documents


def issuer() -> str:
    return str(getattr(settings, "PQRISK_DOCUMENT_ISSUER", DEFAULT_ISSUER))


def version_content(bulletin: Bulletin) -> dict[str, Any]:
    """Everything the documents print, as JSON: a version keeps it, so its documents can be
    made again exactly."""
    day = timezone.localdate(bulletin.published_at) if bulletin.published_at else None
    theme = "、".join(
        t
        for t in (
            bulletin.theme,
            bulletin.product_category.name if bulletin.product_category else "",
            bulletin.hazard.name if bulletin.hazard else "",
        )
        if t
    )
    return {
        "title": bulletin.title,
        "kind": bulletin.kind,
        "kind_label": BulletinKind(bulletin.kind).label,
        "issue": bulletin.issue_label,
        "year": bulletin.year,
        "number": bulletin.number,
        "issuer": issuer(),
        "date": chinese_day(day or timezone.localdate()),
        "period": period_label(bulletin.period_start, bulletin.period_end),
        "theme": theme,
        "status": bulletin.status,
        "sections": [
            {"key": s["key"], "heading": s["heading"], "text": s["text"]} for s in bulletin.sections
        ],
        "data": bulletin.data,
    }


def save_version(
    bulletin: Bulletin, user: Any, note: str, *, published: bool = False
) -> BulletinVersion:
    content = version_content(bulletin)
    last = bulletin.versions.aggregate(n=Max("number"))["n"] or 0
    return BulletinVersion.objects.create(
        bulletin=bulletin,
        number=last + 1,
        status=bulletin.status,
        published=published,
        content=content,
        content_hash=documents.content_hash(content),
        note=note[:300],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


FORMATS = {"docx": documents.DOCX_TYPE, "pdf": "application/pdf"}


def version_file(version: BulletinVersion, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, file name, content type) of a version's document, made on first request and
    kept with the version from then on."""
    if fmt not in FORMATS:
        raise BulletinError(f"未知的文件格式“{fmt}”")
    field = version.docx_file if fmt == "docx" else version.pdf_file
    name = documents.filename(version.content, fmt)
    if field:
        with field.open("rb") as handle:
            return handle.read(), name, FORMATS[fmt]
    if fmt == "pdf" and (reason := pdf_unavailable()):
        raise BulletinError(reason)
    data = render(version.content, fmt)
    field.save(f"v{version.number}-{version.content_hash[:12]}.{fmt}", ContentFile(data))
    return data, name, FORMATS[fmt]


def render(content: dict[str, Any], fmt: str) -> bytes:
    return documents.render_docx(content) if fmt == "docx" else documents.render_pdf(content)


def make_files(version: BulletinVersion) -> list[str]:
    """Make and keep the version's .docx and (when WeasyPrint can) PDF; the formats made."""
    made = []
    for fmt in FORMATS:
        if fmt == "pdf" and pdf_unavailable():
            continue
        version_file(version, fmt)
        made.append(fmt)
    return made


# ---------------------------------------------------------------- scheduled drafts


def draft_periodic(kind: str, today: date | None = None) -> Bulletin | None:
    """Draft last week's or last month's issue unless it exists (the scheduled job)."""
    if kind not in (BulletinKind.WEEKLY, BulletinKind.MONTHLY):
        raise BulletinError("只有周刊和月刊可以自动起草")
    start, end = previous_period(kind, today or timezone.localdate())
    if Bulletin.objects.filter(kind=kind, period_start=start, period_end=end).exists():
        return None
    return create_bulletin(None, BulletinRequest(kind=kind, start=start, end=end))
