"""The warning's lifecycle: comments on rejection, reasons for lifting, versions on update,
and the publication clock with its reminders (the clock is passed in: a frozen ``now``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.warnings.models import WarningReminder
from pqrisk.warnings.services import (
    WarningError,
    act_on_warning,
    approve_warning,
    check_publication_deadlines,
    overdue_warnings,
    update_warning,
)
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db


def _warning(status: str = "in_review", level: WarningLevel = WarningLevel.ORANGE) -> Any:
    return f.warning(f.risk_info(PUDONG, title="浦东电热水壶抽查不合格"), level, status=status)


def test_a_rejection_needs_comments_and_goes_back_to_draft(alice: Any) -> None:
    warning = _warning()
    with pytest.raises(WarningError, match="退回须填写修改意见"):
        act_on_warning(warning, "reject", alice)
    warning.refresh_from_db()
    assert warning.status == "in_review"
    warning = act_on_warning(warning, "reject", alice, note="请补充检验报告编号")
    assert warning.status == "rejected"
    warning = act_on_warning(warning, "revise", alice, note="已补充")
    assert warning.status == "draft"


def test_lifting_needs_a_reason_which_is_kept(alice: Any) -> None:
    warning = _warning(status="published")
    with pytest.raises(WarningError, match="解除预警须说明理由"):
        act_on_warning(warning, "lift", alice, note="  ")
    act_on_warning(warning, "lift", alice, note="企业已完成召回，抽检合格")
    warning.refresh_from_db()
    assert (warning.status, warning.lift_reason) == ("lifted", "企业已完成召回，抽检合格")
    assert warning.lifted_at is not None


def test_an_update_keeps_the_old_text_as_a_version(alice: Any) -> None:
    warning = _warning(status="published")
    old_title, old_body = warning.title, warning.body
    with pytest.raises(WarningError, match="须说明"):
        update_warning(warning, alice, body="新的内容")
    update_warning(warning, alice, body="涉事批次扩大至20260301批", note="扩大涉事批次")
    warning.refresh_from_db()
    assert warning.version == 2 and warning.body == "涉事批次扩大至20260301批"
    (kept,) = warning.versions.all()
    assert (kept.number, kept.title, kept.body) == (1, old_title, old_body)
    event = AuditEvent.objects.filter(object_id=str(warning.pk), action="update").get()
    assert event.detail == {"version": 2, "previous_version": 1, "changed": ["内容"]}
    act_on_warning(warning, "update", alice, note="补充消费者应对措施")
    warning.refresh_from_db()
    assert warning.version == 3 and warning.versions.count() == 2


def test_an_unpublished_warning_is_reminded_then_listed_as_overdue(alice: Any) -> None:
    warning = approve_warning(_warning(level=WarningLevel.YELLOW), alice)
    deadline = warning.publish_deadline
    assert deadline is not None and warning.approved_at is not None
    window = deadline - warning.approved_at
    early = warning.approved_at + window / 2
    assert check_publication_deadlines(early) == {"due_soon": 0, "overdue": 0}
    soon = deadline - window / 10
    assert check_publication_deadlines(soon) == {"due_soon": 1, "overdue": 0}
    assert check_publication_deadlines(soon) == {"due_soon": 0, "overdue": 0}  # once only
    assert not overdue_warnings(soon).exists()
    late = deadline + timedelta(minutes=1)
    assert check_publication_deadlines(late) == {"due_soon": 0, "overdue": 1}
    assert list(overdue_warnings(late)) == [warning]
    reminder = WarningReminder.objects.get(warning=warning, kind="overdue")
    assert reminder.sent_at is not None and "alice" in reminder.recipients
    assert "已超过发布时限" in reminder.message
    actions = set(
        AuditEvent.objects.filter(object_id=str(warning.pk)).values_list("action", flat=True)
    )
    assert {"remind", "overdue"} <= actions
    act_on_warning(warning, "publish", alice)
    assert not overdue_warnings(late).exists()


def test_the_warning_list_shows_the_overdue_ones(alice: Any, client: Any) -> None:
    from django.urls import reverse

    from pqrisk.web.tests.test_pages import login

    warning = approve_warning(_warning(level=WarningLevel.RED), alice)
    assert warning.publish_deadline is not None
    warning.publish_deadline = warning.approved_at  # the red hour has passed
    warning.save(update_fields=["publish_deadline"])
    check_publication_deadlines()
    login(client, alice)
    page = client.get(reverse("web:warning_list")).content.decode()
    assert "逾期未发布" in page and "已逾期" in page
    detail = client.get(reverse("web:warning_detail", args=[warning.pk])).content.decode()
    assert "发布提醒" in detail and "已超过发布时限" in detail


def test_a_draft_is_edited_until_it_goes_to_review(alice: Any, bob: Any, charlie: Any) -> None:
    from pqrisk.warnings.drafts import edit_draft

    warning = _warning(status="draft")
    with pytest.raises(WarningError, match="区局只能修改本区"):
        edit_draft(warning, charlie, title="新标题", body="", modes=["internal_notice"])
    with pytest.raises(WarningError, match="预警方式"):
        edit_draft(warning, bob, title="新标题", body="", modes=["fax"])
    warning = edit_draft(
        warning, bob, title="浦东电热水壶触电风险", body="请立即自查", modes=["internal_notice"]
    )
    assert (warning.title, warning.body) == ("浦东电热水壶触电风险", "请立即自查")
    event = AuditEvent.objects.get(object_type="warnings.warning", action="edit")
    assert "标题" in event.message and "内容" in event.message
    warning = act_on_warning(warning, "submit", bob)
    with pytest.raises(WarningError, match="只有草稿或被退回"):
        edit_draft(warning, alice, title="再改", body="", modes=["internal_notice"])


def test_document_numbers_are_fixed_at_approval_and_survive_a_deletion(alice: Any) -> None:
    from pqrisk.warnings.documents import warning_document
    from pqrisk.warnings.models import Warning

    first = approve_warning(_warning(level=WarningLevel.YELLOW), alice)
    second = approve_warning(_warning(level=WarningLevel.YELLOW), alice)
    first.refresh_from_db()
    second.refresh_from_db()
    numbers = [*first.document_numbers.values(), *second.document_numbers.values()]
    assert len(numbers) == len(set(numbers)) == 2
    kept = second.document_numbers["internal_notice"]
    assert warning_document(second, WarningMode.INTERNAL_NOTICE).number == kept
    first.tasks.all().delete()  # an approved warning is otherwise kept by its disposal
    Warning.objects.filter(pk=first.pk).delete()
    second.refresh_from_db()
    assert warning_document(second, WarningMode.INTERNAL_NOTICE).number == kept
    second = act_on_warning(second, "publish", alice)
    second = update_warning(
        second, alice, modes=["internal_notice", "consumer_advisory"], note="增加消费提示"
    )
    assert set(second.document_numbers) == {"internal_notice", "consumer_advisory"}
    assert second.document_numbers["internal_notice"] == kept
