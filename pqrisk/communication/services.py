"""Recording risk communication (风险交流) and finding it again from the risks it concerned.

City-wide roles record and edit activities; every page user reads them. Each change is
audited with the fields it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model, QuerySet

from pqrisk.audit.services import record
from pqrisk.core.filenames import display_name

from .choices import ATTACHMENT_SUFFIXES, MAX_ATTACHMENT_BYTES
from .models import CommunicationActivity

# The plain fields a record carries, with the labels the audit trail names them by.
FIELDS = {
    "kind": "形式",
    "title": "标题",
    "held_on": "日期",
    "participants": "参与人员",
    "audience": "受众",
    "summary": "内容摘要",
    "link": "链接",
}
# The risks an activity links to, by the model they point at (``app_label.modelname``).
LINKS = {
    "warnings.warning": "warnings",
    "assessment.assessmentcase": "cases",
    "signals.signal": "signals",
    "reference.productcategory": "product_categories",
}
LINK_LABELS = {
    "warnings": "关联预警",
    "cases": "关联评估任务",
    "signals": "关联风险信号",
    "product_categories": "涉及产品类别",
}


class CommunicationError(Exception):
    """A refusal, in words the user can act on."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def may_record(user: Any) -> bool:
    """City-wide roles (市局, 评估中心, 专家) record and edit communication activities."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_city_wide", False)
    )


def check_attachment(upload: UploadedFile) -> None:
    name = upload.name or ""
    if PurePath(name).suffix.lower() not in ATTACHMENT_SUFFIXES:
        raise CommunicationError(
            f"附件“{name}”的格式不支持，请上传 {'、'.join(ATTACHMENT_SUFFIXES)} 文件。"
        )
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise CommunicationError(
            f"附件“{name}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，请压缩后再上传。"
        )


def _set_links(activity: CommunicationActivity, links: Mapping[str, Iterable[Model]]) -> list[str]:
    changed = []
    for field, objects in links.items():
        if field not in LINK_LABELS:
            raise ValueError(f"unknown link {field!r}")
        manager = getattr(activity, field)
        new = {o.pk for o in objects}
        if new != set(manager.values_list("pk", flat=True)):
            manager.set(list(new))
            changed.append(LINK_LABELS[field])
    return changed


def _attach(activity: CommunicationActivity, upload: UploadedFile) -> None:
    check_attachment(upload)
    activity.attachment_name = display_name(upload.name or "附件")
    activity.attachment.save(upload.name or "attachment", upload, save=False)


@transaction.atomic
def record_activity(
    actor: Any,
    data: Mapping[str, Any],
    links: Mapping[str, Iterable[Model]] | None = None,
    attachment: UploadedFile | None = None,
) -> CommunicationActivity:
    """Log a communication activity with the risks it concerned."""
    if not may_record(actor):
        raise CommunicationError("只有市局、评估中心和专家可以登记风险交流活动。")
    activity = CommunicationActivity(created_by=actor, **{k: data[k] for k in FIELDS if k in data})
    if attachment is not None:
        _attach(activity, attachment)
    activity.full_clean(exclude=["attachment"])
    activity.save()
    _set_links(activity, links or {})
    record(
        "create", activity, actor=actor, message=f"{activity.get_kind_display()}：{activity.title}"
    )
    return activity


@transaction.atomic
def update_activity(
    activity: CommunicationActivity,
    actor: Any,
    data: Mapping[str, Any],
    links: Mapping[str, Iterable[Model]] | None = None,
    attachment: UploadedFile | None = None,
    remove_attachment: bool = False,
) -> list[str]:
    """Change an activity; returns the labels of what changed (nothing changed: no audit)."""
    if not may_record(actor):
        raise CommunicationError("只有市局、评估中心和专家可以修改风险交流活动。")
    changed = [
        label for k, label in FIELDS.items() if k in data and getattr(activity, k) != data[k]
    ]
    for k in FIELDS:
        if k in data:
            setattr(activity, k, data[k])
    if attachment is not None:
        _attach(activity, attachment)
        changed.append("附件")
    elif remove_attachment and activity.attachment:
        activity.attachment.delete(save=False)
        activity.attachment_name = ""
        changed.append("附件")
    activity.full_clean(exclude=["attachment"])
    activity.save()
    changed += _set_links(activity, links or {})
    if changed:
        record("update", activity, actor=actor, message="修改了" + "、".join(changed))
    return changed


def activities_for(obj: Model) -> QuerySet[CommunicationActivity]:
    """The communication activities linked to a warning, an assessment case, a signal or a
    product category, newest first (for the "风险交流" list on that object's page)."""
    field = LINKS.get(obj._meta.label_lower)
    if field is None:
        raise TypeError(f"communication activities do not link to {obj._meta.label_lower}")
    return (
        CommunicationActivity.objects.filter(**{field: obj})
        .select_related("created_by")
        .order_by("-held_on", "-id")
    )
