"""The quarantine: a rejected row is kept, corrected and replayed, or dismissed with a reason.

alice (市局监管处) and dana (评估中心) resolve quarantined records; bob, a district officer,
and eve, with no role, may not. Every resolution, and every failed attempt, is audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.cli import main
from pqrisk.core.uscc import complete_uscc
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.intake.quarantine import (
    QuarantineError,
    dismiss,
    draft_of,
    replay,
)
from pqrisk.intake.services import ingest_file, parsed_of
from pqrisk.sources.readers import Entry
from pqrisk.sources.records import RecordRejected

pytestmark = pytest.mark.django_db

BAD_CSV = Path(__file__).resolve().parents[3] / "samples" / "complaint" / "bad.csv"
# In bad.csv: row 4 (B03) has a cell too many, row 5 (B04) an unknown complaint channel
# (微信) and row 6 (B05) a credit code whose check digit is wrong.
TOO_MANY_CELLS, BAD_CHANNEL, BAD_USCC = "bad.csv:4", "bad.csv:5", "bad.csv:6"
GOOD_USCC = complete_uscc("91310112MA1G00123")


@pytest.fixture
def rejected(db: Any) -> dict[str, QuarantinedItem]:
    """The rejected rows of the complaint sample, by location."""
    result = ingest_file(BAD_CSV, source="complaint")
    assert (result.accepted, result.quarantined) == (2, 3)
    return {q.location: q for q in QuarantinedItem.objects.all()}


def corrected(item: QuarantinedItem, **changes: Any) -> dict[str, Any]:
    """The draft a person starts from, with their corrections."""
    return {**json.loads(draft_of(item)), **changes}


def open_items() -> int:
    return QuarantinedItem.objects.filter(resolved=False).count()


# ---------------------------------------------------------------- what is kept


def test_a_row_that_parsed_keeps_its_parsed_record(rejected: dict[str, QuarantinedItem]) -> None:
    parsed = rejected[BAD_USCC].parsed
    assert parsed is not None
    assert parsed["external_id"] == "TS-2026-B05"
    assert parsed["enterprise_uscc"] == "91310112MA1G00123X"
    assert parsed["details"]["投诉渠道"] == "网络平台"
    assert rejected[TOO_MANY_CELLS].parsed is None  # never parsed: the raw row is kept


def test_parsed_of_keeps_only_what_any_database_stores() -> None:
    assert parsed_of(Entry("a:1", "{}", RecordRejected("malformed", "坏", "bad"))) is None
    assert parsed_of(Entry("a:1", "[1]", [1])) is None
    assert parsed_of(Entry("a:1", "", {"title": "电\x00暖器"})) == {"title": "电暖器"}
    when = datetime(2026, 3, 5, 8, 30)
    assert parsed_of(Entry("a.xlsx:2", "", {"occurred_at": when})) == {
        "occurred_at": "2026-03-05T08:30:00"
    }
    assert parsed_of(Entry("a:1", "", {"title": "\udc80"})) is None
    assert parsed_of(Entry("a:1", "", {"text": "长" * 300_000})) is None


def test_the_draft_of_a_row_with_a_cell_too_many_is_under_canonical_keys(
    rejected: dict[str, QuarantinedItem],
) -> None:
    draft = json.loads(draft_of(rejected[TOO_MANY_CELLS]))
    assert draft["external_id"] == "TS-2026-B03"
    assert draft["district"] == "浦东新区"
    assert "null" not in draft  # the stray cell belongs to no column
    assert "多余的一列" in rejected[TOO_MANY_CELLS].content  # but the raw row keeps it


def test_the_draft_of_a_broken_json_line_is_the_line_itself() -> None:
    item = QuarantinedItem.objects.create(
        location="x.jsonl:2", content='{"title": "漏电"', reason="malformed", message="坏"
    )
    assert draft_of(item) == '{"title": "漏电"'


# ---------------------------------------------------------------- replay


def test_a_corrected_row_is_replayed_and_the_item_resolved(
    rejected: dict[str, QuarantinedItem], alice: User
) -> None:
    item = rejected[BAD_USCC]
    outcome = replay(item, corrected(item, enterprise_uscc=GOOD_USCC), alice, "核对营业执照")
    assert outcome.accepted and not outcome.duplicate
    raw = RawItem.objects.get(external_id="TS-2026-B05")
    assert raw.payload["enterprise_uscc"] == GOOD_USCC
    assert raw.batch is not None and raw.batch.source_label == f"隔离区重放 #{item.pk}"
    assert raw.batch.submitted_by == alice
    item.refresh_from_db()
    assert (item.resolved, item.resolution, item.replayed_item) == (True, "replayed", raw)
    assert (item.resolved_by, item.resolution_note) == (alice, "核对营业执照")
    assert item.resolved_at is not None
    event = AuditEvent.objects.get(
        action="quarantine_replay", object_type="intake.quarantineditem", object_id=str(item.pk)
    )
    assert (event.actor, event.from_state, event.to_state) == (alice, "quarantined", "replayed")
    assert event.detail["before"]["resolved"] is False
    assert event.detail["after"]["replayed_item_id"] == raw.pk
    assert event.detail["record"]["enterprise_uscc"] == GOOD_USCC
    assert "已重新导入" in outcome.summary_zh and "核对营业执照" in event.message
    assert open_items() == 2


def test_a_row_with_a_cell_too_many_is_replayed_from_its_draft(
    rejected: dict[str, QuarantinedItem], dana: User
) -> None:
    outcome = replay(rejected[TOO_MANY_CELLS], corrected(rejected[TOO_MANY_CELLS]), dana)
    assert outcome.accepted, outcome.summary_zh
    assert RawItem.objects.filter(external_id="TS-2026-B03").exists()


def test_a_still_bad_record_leaves_the_item_open_with_the_new_reason(
    rejected: dict[str, QuarantinedItem], alice: User
) -> None:
    item = rejected[BAD_CHANNEL]
    batches = IngestBatch.objects.count()
    outcome = replay(item, corrected(item, district="火星区"), alice)
    assert not outcome.accepted
    assert outcome.reason == "unknown_district" and "火星区" in outcome.message_zh
    assert "行政区无法识别" in outcome.summary_zh
    item.refresh_from_db()
    assert not item.resolved and item.reason == "invalid_value"  # the original reason stays
    assert QuarantinedItem.objects.count() == 3 and open_items() == 3
    assert IngestBatch.objects.count() == batches  # nothing half-done
    event = AuditEvent.objects.get(action="quarantine_replay_rejected")
    assert event.detail["reason"] == "unknown_district" and event.actor == alice


def test_a_replay_reusing_a_stored_id_is_rejected_without_a_second_item(
    rejected: dict[str, QuarantinedItem], alice: User
) -> None:
    """Intake's own checks beyond the record (an id already stored with other content) reject
    it too; their quarantined copy is rolled back, the original item stays the only one."""
    item = rejected[BAD_USCC]
    batches, raws = IngestBatch.objects.count(), RawItem.objects.count()
    fixed = corrected(item, enterprise_uscc=GOOD_USCC, external_id="TS-2026-B01")
    outcome = replay(item, fixed, alice)
    assert not outcome.accepted and "已存在且内容不同" in outcome.message_zh
    assert QuarantinedItem.objects.count() == 3 and open_items() == 3
    assert (IngestBatch.objects.count(), RawItem.objects.count()) == (batches, raws)


def test_a_replay_identical_to_a_stored_record_links_it(alice: User) -> None:
    ingest_file(BAD_CSV, source="complaint")
    ingest_file(BAD_CSV, source="complaint")  # the same bad rows, quarantined again
    first, second = QuarantinedItem.objects.filter(location=BAD_USCC).order_by("pk")
    assert replay(first, corrected(first, enterprise_uscc=GOOD_USCC), alice).accepted
    outcome = replay(second, corrected(second, enterprise_uscc=GOOD_USCC), alice)
    assert outcome.accepted and outcome.duplicate
    second.refresh_from_db()
    assert second.replayed_item == RawItem.objects.get(external_id="TS-2026-B05")
    assert "相同" in outcome.summary_zh


def test_a_resolved_item_cannot_be_resolved_again(
    rejected: dict[str, QuarantinedItem], alice: User, dana: User
) -> None:
    item = rejected[BAD_USCC]
    replay(item, corrected(item, enterprise_uscc=GOOD_USCC), alice)
    with pytest.raises(QuarantineError, match="不能再次处理"):
        replay(item, corrected(item, enterprise_uscc=GOOD_USCC), dana)
    with pytest.raises(QuarantineError, match="alice"):
        dismiss(item, dana, "重复")
    assert (
        AuditEvent.objects.filter(
            object_type="intake.quarantineditem", object_id=str(item.pk)
        ).count()
        == 1
    )


# ---------------------------------------------------------------- dismiss


def test_dismissing_needs_a_reason_and_is_audited(
    rejected: dict[str, QuarantinedItem], dana: User
) -> None:
    item = rejected[BAD_CHANNEL]
    with pytest.raises(QuarantineError, match="须填写理由"):
        dismiss(item, dana, "   ")
    item.refresh_from_db()
    assert not item.resolved
    dismiss(item, dana, "投诉人已撤回投诉")
    item.refresh_from_db()
    assert (item.resolution, item.resolution_note, item.resolved_by) == (
        "dismissed",
        "投诉人已撤回投诉",
        dana,
    )
    event = AuditEvent.objects.get(action="quarantine_dismiss")
    assert (event.from_state, event.to_state) == ("quarantined", "dismissed")
    assert "投诉人已撤回投诉" in event.message


def test_resolved_and_resolution_cannot_disagree(rejected: dict[str, QuarantinedItem]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        QuarantinedItem.objects.filter(pk=rejected[BAD_CHANNEL].pk).update(resolved=True)


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["bob", "eve", "expert"])
def test_only_city_staff_resolve_quarantined_records(
    rejected: dict[str, QuarantinedItem], bob: User, eve: User, who: str
) -> None:
    """District officers correct their file and submit it again; experts only look."""
    user = {"bob": bob, "eve": eve}.get(who) or make_user("erin", Role.EXPERT)
    item = rejected[BAD_USCC]
    with pytest.raises(PermissionDenied, match="评估中心"):
        replay(item, corrected(item, enterprise_uscc=GOOD_USCC), user)
    with pytest.raises(PermissionDenied):
        dismiss(item, user, "不处理")
    assert (
        open_items() == 3
        and not AuditEvent.objects.filter(
            object_type="intake.quarantineditem", object_id=str(item.pk)
        ).exists()
    )


# ---------------------------------------------------------------- the shell


def test_the_shell_lists_shows_replays_and_dismisses(
    rejected: dict[str, QuarantinedItem], tmp_path: Path
) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["quarantine", "list", "--open", "--reason", "invalid_uscc"])
    assert out.exit_code == 0, out.output
    assert BAD_USCC in out.output and BAD_CHANNEL not in out.output and "共 1 条" in out.output

    item = rejected[BAD_USCC]
    out = runner.invoke(main, ["quarantine", "show", str(item.pk), "--draft"])
    fixed = {**json.loads(out.output), "enterprise_uscc": GOOD_USCC}
    path = tmp_path / "fixed.json"
    path.write_text(json.dumps(fixed, ensure_ascii=False), encoding="utf-8")
    out = runner.invoke(main, ["quarantine", "replay", str(item.pk), "--file", str(path)])
    assert out.exit_code == 0, out.output
    assert "已重新导入" in out.output
    event = AuditEvent.objects.get(action="quarantine_replay")
    assert event.actor_label == "系统"

    out = runner.invoke(main, ["quarantine", "replay", str(item.pk), "--file", str(path)])
    assert out.exit_code == 1 and "不能再次处理" in out.output

    other = rejected[BAD_CHANNEL]
    out = runner.invoke(main, ["quarantine", "dismiss", str(other.pk)])
    assert out.exit_code == 2  # --note is required
    out = runner.invoke(main, ["quarantine", "dismiss", str(other.pk), "--note", "测试数据"])
    assert out.exit_code == 0 and "不予处理" in out.output
    out = runner.invoke(main, ["quarantine", "list", "--open"])
    assert "共 1 条" in out.output


def test_the_shell_reports_a_still_bad_record(
    rejected: dict[str, QuarantinedItem], tmp_path: Path
) -> None:
    item = rejected[BAD_CHANNEL]
    path = tmp_path / "fixed.json"
    path.write_text(draft_of(item), encoding="utf-8")
    out = CliRunner().invoke(main, ["quarantine", "replay", str(item.pk), "--file", str(path)])
    assert out.exit_code == 1
    assert "重新导入未通过" in out.output and "微信" in out.output
    out = CliRunner().invoke(main, ["quarantine", "replay", "999999", "--file", str(path)])
    assert "未找到隔离区记录" in out.output
