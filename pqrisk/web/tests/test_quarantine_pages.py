"""The quarantine pages: alice opens a rejected row, corrects it and imports it again, or
dismisses it with a reason. bob (a district officer) and eve (no role) are kept out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.core.uscc import complete_uscc
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.intake.quarantine import draft_of
from pqrisk.intake.services import ingest_file

pytestmark = pytest.mark.django_db

BAD_CSV = Path(__file__).resolve().parents[3] / "samples" / "complaint" / "bad.csv"
GOOD_USCC = complete_uscc("91310112MA1G00123")


@pytest.fixture
def rejected(db: Any) -> dict[str, QuarantinedItem]:
    ingest_file(BAD_CSV, source="complaint")
    return {q.location: q for q in QuarantinedItem.objects.all()}


@pytest.fixture
def bad_uscc(rejected: dict[str, QuarantinedItem]) -> QuarantinedItem:
    return rejected["bad.csv:6"]


def login(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def fixed_text(item: QuarantinedItem, **changes: Any) -> str:
    return json.dumps({**json.loads(draft_of(item)), **changes}, ensure_ascii=False)


def detail(item: QuarantinedItem) -> str:
    return reverse("web:quarantine_detail", args=[item.pk])


def test_the_detail_page_shows_the_reason_and_the_raw_row(
    alice: User, bad_uscc: QuarantinedItem
) -> None:
    html = login(alice).get(detail(bad_uscc)).content.decode()
    assert f"隔离区记录 #{bad_uscc.pk}" in html
    assert "统一社会信用代码无效" in html and bad_uscc.message in html
    assert "bad.csv:6" in html and "投诉举报" in html and "待处理" in html
    assert "TS-2026-B05" in html  # in the raw content and in the draft to correct
    assert "重新导入" in html and "不予处理" in html and "审计记录" in html


def test_raw_content_is_shown_verbatim_and_escaped(alice: User) -> None:
    item = QuarantinedItem.objects.create(
        location="x.jsonl:1",
        content='{"title": "<script>alert(1)</script>"',
        reason="malformed",
        message="第1行不是合法的JSON",
    )
    html = login(alice).get(detail(item)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_editor_starts_from_the_parsed_record(alice: User) -> None:
    item = QuarantinedItem.objects.create(
        location="x.jsonl:1",
        content="…",
        reason="missing_field",
        message="缺少来源编号（external_id）",
        parsed={"source": "complaint", "title": "电暖器过热", "external_id": "PARSED-1"},
    )
    html = login(alice).get(detail(item)).content.decode()
    assert "PARSED-1" in html and "电暖器过热" in html


def test_alice_corrects_and_imports_a_row(alice: User, bad_uscc: QuarantinedItem) -> None:
    client = login(alice)
    response = client.post(
        reverse("web:quarantine_replay", args=[bad_uscc.pk]),
        {
            "replay-record": fixed_text(bad_uscc, enterprise_uscc=GOOD_USCC),
            "replay-note": "核对营业执照",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(bad_uscc)
    html = client.get(detail(bad_uscc)).content.decode()
    assert "已重新导入，生成原始信息" in html  # the message after the redirect
    assert "更正后重新导入" in html and "核对营业执照" in html  # the audit trail
    raw = RawItem.objects.get(external_id="TS-2026-B05")
    bad_uscc.refresh_from_db()
    assert (bad_uscc.resolution, bad_uscc.replayed_item, bad_uscc.resolved_by) == (
        "replayed",
        raw,
        alice,
    )
    assert 'action="/quarantine/' not in html  # no more forms once resolved
    listing = client.get(reverse("web:quarantine_list"), {"state": "replayed"}).content.decode()
    assert detail(bad_uscc) in listing and "已重新导入" in listing


def test_a_still_bad_record_is_shown_with_its_new_reason(
    dana: User, rejected: dict[str, QuarantinedItem]
) -> None:
    item = rejected["bad.csv:5"]
    text = fixed_text(item, district="火星区")
    response = login(dana).post(
        reverse("web:quarantine_replay", args=[item.pk]), {"replay-record": text, "replay-note": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "重新导入未通过：行政区无法识别：火星区" in html
    assert html.count("重新导入未通过") >= 2  # the attempt is in the trail too
    item.refresh_from_db()
    assert not item.resolved
    assert QuarantinedItem.objects.filter(resolved=False).count() == 3


def test_text_that_is_not_json_is_refused_by_the_form(
    alice: User, bad_uscc: QuarantinedItem
) -> None:
    response = login(alice).post(
        reverse("web:quarantine_replay", args=[bad_uscc.pk]), {"replay-record": '{"title": "x"'}
    )
    assert response.status_code == 200
    assert "不是合法的JSON" in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="intake.quarantineditem").exists()


def test_dismissing_needs_a_reason(alice: User, bad_uscc: QuarantinedItem) -> None:
    client = login(alice)
    url = reverse("web:quarantine_dismiss", args=[bad_uscc.pk])
    response = client.post(url, {"dismiss-note": ""})
    assert response.status_code == 200
    assert "不予处理须填写理由" in response.content.decode()
    bad_uscc.refresh_from_db()
    assert not bad_uscc.resolved
    response = client.post(url, {"dismiss-note": "企业已注销，无需处理"}, follow=True)
    assert "已标记为不予处理" in response.content.decode()
    bad_uscc.refresh_from_db()
    assert (bad_uscc.resolution, bad_uscc.resolution_note) == ("dismissed", "企业已注销，无需处理")
    response = client.post(url, {"dismiss-note": "再次"}, follow=True)
    assert "不能再次处理" in response.content.decode()


def test_the_list_filters_and_links_rows(alice: User, rejected: dict[str, QuarantinedItem]) -> None:
    client = login(alice)
    html = client.get(reverse("web:quarantine_list"), {"reason": "invalid_uscc"}).content.decode()
    assert detail(rejected["bad.csv:6"]) in html and detail(rejected["bad.csv:5"]) not in html
    html = client.get(
        reverse("web:quarantine_list"), {"state": "quarantined", "source_kind": "complaint"}
    ).content.decode()
    assert all(detail(q) in html for q in rejected.values())
    html = client.get(reverse("web:quarantine_list"), {"state": "dismissed"}).content.decode()
    assert "没有符合条件的隔离区记录" in html


def test_resolutions_appear_in_the_audit_log_with_a_link(
    alice: User, bad_uscc: QuarantinedItem
) -> None:
    client = login(alice)
    client.post(reverse("web:quarantine_dismiss", args=[bad_uscc.pk]), {"dismiss-note": "测试数据"})
    html = client.get(reverse("web:audit_list"), {"object_type": "intake.quarantineditem"})
    text = html.content.decode()
    assert "隔离区记录 #" in text and detail(bad_uscc) in text
    assert "待处理 → 不予处理" in text


def test_anonymous_visitors_are_sent_to_login(bad_uscc: QuarantinedItem) -> None:
    client = Client()
    for url in (detail(bad_uscc), reverse("web:quarantine_list")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(
        reverse("web:quarantine_dismiss", args=[bad_uscc.pk]), {"dismiss-note": "x"}
    )
    assert response.status_code == 302
    bad_uscc.refresh_from_db()
    assert not bad_uscc.resolved


def test_eve_and_district_officers_are_refused(
    eve: User, bob: User, bad_uscc: QuarantinedItem
) -> None:
    """The quarantine is the city's: bob sees his rejected rows on the intake page and sends a
    corrected file; his district's uploads are not opened to him here."""
    for user in (eve, bob):
        client = login(user)
        assert client.get(detail(bad_uscc)).status_code == 403
        response = client.post(
            reverse("web:quarantine_replay", args=[bad_uscc.pk]),
            {"replay-record": fixed_text(bad_uscc, enterprise_uscc=GOOD_USCC)},
        )
        assert response.status_code == 403
        assert (
            client.post(
                reverse("web:quarantine_dismiss", args=[bad_uscc.pk]), {"dismiss-note": "x"}
            ).status_code
            == 403
        )
    bad_uscc.refresh_from_db()
    assert not bad_uscc.resolved


def test_experts_look_but_do_not_resolve(bad_uscc: QuarantinedItem) -> None:
    client = login(make_user("erin", Role.EXPERT))
    html = client.get(detail(bad_uscc)).content.decode()
    assert "由市局管理员、市局监管处或评估中心办理" in html
    assert reverse("web:quarantine_replay", args=[bad_uscc.pk]) not in html
    response = client.post(
        reverse("web:quarantine_dismiss", args=[bad_uscc.pk]), {"dismiss-note": "x"}, follow=True
    )
    assert "只有市局管理员、市局监管处或评估中心可以处理隔离区记录" in response.content.decode()
    bad_uscc.refresh_from_db()
    assert not bad_uscc.resolved


def test_actions_require_csrf(alice: User, bad_uscc: QuarantinedItem) -> None:
    client = login(alice, enforce_csrf_checks=True)
    response = client.post(
        reverse("web:quarantine_replay", args=[bad_uscc.pk]),
        {"replay-record": fixed_text(bad_uscc, enterprise_uscc=GOOD_USCC)},
    )
    assert response.status_code == 403
    assert not RawItem.objects.filter(external_id="TS-2026-B05").exists()
    assert 'name="csrfmiddlewaretoken"' in client.get(detail(bad_uscc)).content.decode()
