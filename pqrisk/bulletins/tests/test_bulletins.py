"""《产品质量安全资讯》: dana (评估中心) drafts the June 2026 monthly issue from June's data,
edits it and submits it; alice (市局监管处) publishes it, which freezes it. bob (浦东区局)
sees only published issues; eve (no role) sees nothing.

The .docx is read back with python-docx and the PDF with pypdf: the title, the 期号, the
period's warnings and signals are in them, and so is a chart.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from docx import Document

from conftest import PUDONG
from pqrisk.bulletins import cli, services
from pqrisk.bulletins.charts import chart_unavailable
from pqrisk.bulletins.choices import BulletinKind, BulletinStatus
from pqrisk.bulletins.models import Bulletin
from pqrisk.bulletins.tasks import draft_monthly, draft_weekly
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.disposal.models import Feedback
from pqrisk.documents.pdf import pdf_unavailable
from pqrisk.signals.models import Signal
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
ADVICE = "停止使用批号20260114的电热水壶\n联系销售者退货"


def at(day: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI)


def _signal(title: str, start: date, end: date, status: str = "new") -> Signal:
    return Signal.objects.create(
        key=f"test|{title}",
        series_key=f"test|{title}",
        kind="temporal",
        methods=["ears_c2"],
        granularity="week",
        period_start=start,
        period_end=end,
        observed=9,
        expected=2.5,
        score=3.6,
        title=title,
        status=status,
    )


@pytest.fixture
def june(db: Any) -> dict[str, Any]:
    """June 2026 in Pudong: kettle items, a published consumer advisory with advice, a
    signal and a disposal report; and things outside June or not issued that must not show."""
    kettle = f.risk_info(PUDONG, title="电热水壶抽查不合格", occurred_at=at(3))
    f.risk_info(PUDONG, title="电热水壶触电投诉", occurred_at=at(12))
    f.risk_info(PUDONG, title="五月的充电宝起火", occurred_at=at(20, month=5))
    advisory = f.warning(
        kettle,
        WarningLevel.ORANGE,
        status="published",
        modes=(WarningMode.INTERNAL_NOTICE, WarningMode.CONSUMER_ADVISORY),
        title="电热水壶触电风险提示",
    )
    Warning.objects.filter(pk=advisory.pk).update(published_at=at(15), advice=ADVICE)
    may = f.warning(f.risk_info(PUDONG), status="published", title="五月发布的电动车预警")
    Warning.objects.filter(pk=may.pk).update(published_at=at(10, month=5))
    f.warning(f.risk_info(PUDONG), status="in_review", title="尚在审核的插线板预警")
    _signal("电热水壶触电信息增多", date(2026, 6, 8), date(2026, 6, 14))
    _signal("已排除的吹风机信号", date(2026, 6, 8), date(2026, 6, 14), status="dismissed")
    _signal("四月的取暖器信号", date(2026, 4, 6), date(2026, 4, 12))
    task = f.task(advisory, PUDONG, status="reported")
    report = Feedback.objects.create(
        task=task,
        measures="检查销售企业并下架",
        enterprises_checked=7,
        products_removed=120,
        products_recalled=80,
        penalties=1,
        penalty_amount=5000,
    )
    Feedback.objects.filter(pk=report.pk).update(submitted_at=at(25))
    return {"advisory": advisory}


def _draft(user: Any) -> Bulletin:
    return services.create_bulletin(
        user, services.BulletinRequest(kind=BulletinKind.MONTHLY, start=JUNE[0], end=JUNE[1])
    )


def _docx(data: bytes) -> Any:
    return Document(io.BytesIO(data))


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _docx_text(doc: Any) -> str:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_issue_reports_the_periods_warnings_signals_disposal_and_tips(
    june: Any, dana: Any
) -> None:
    bulletin = _draft(dana)
    assert bulletin.issue_label == "2026年第1期"
    assert bulletin.title == "2026年6月产品质量安全风险监测情况"
    data = bulletin.data
    assert data["counts"]["risk_infos"] == 2  # the two June kettle items, not May's
    assert [w["title"] for w in data["warnings"]["rows"]] == ["电热水壶触电风险提示"]
    assert [s["title"] for s in data["signals"]["rows"]] == ["电热水壶触电信息增多"]
    assert data["disposal"]["products_removed"] == 120
    assert data["tips"][0]["advice"] == ADVICE.splitlines()
    texts = {s["key"]: s["text"] for s in bulletin.sections}
    assert "橙色预警1条" in texts["warnings"]
    assert "下架/召回产品120件" in texts["disposal"]
    assert bulletin.versions.count() == 1


def test_docx_and_pdf_carry_title_issue_number_content_and_a_chart(june: Any, dana: Any) -> None:
    bulletin = _draft(dana)
    version = bulletin.versions.get()
    data, name, _ = services.version_file(version, "docx")
    assert name.endswith(".docx") and "2026年第1期" in name
    doc = _docx(data)
    text = _docx_text(doc)
    for expected in (bulletin.title, "2026年第1期", "电热水壶触电风险提示", "电热水壶触电信息增多"):
        assert expected in text
    assert "停止使用批号20260114的电热水壶" in text
    if chart_unavailable() is None:
        assert len(doc.inline_shapes) >= 3  # daily trend, sources, families (and levels)
    version.refresh_from_db()
    assert version.docx_file  # kept with the version
    if pdf_unavailable():
        pytest.skip(pdf_unavailable() or "")
    from pypdf import PdfReader

    pdf, _, content_type = services.version_file(version, "pdf")
    assert content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf))
    pdf_text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(pdf_text.split())
    assert "".join(bulletin.title.split()) in compact
    assert "2026年第1期" in compact
    assert "电热水壶触电风险提示" in compact
    if chart_unavailable() is None:
        assert sum(len(page.images) for page in reader.pages) >= 3


def test_an_edit_is_a_new_version_and_regeneration_keeps_edited_text(june: Any, dana: Any) -> None:
    bulletin = _draft(dana)
    texts = {s["key"]: s["text"] for s in bulletin.sections}
    texts["overview"] = "本期编者按：电热水壶风险值得关注。"
    version = services.edit_bulletin(bulletin, dana, title=bulletin.title, texts=texts)
    assert version is not None and version.number == 2
    assert services.edit_bulletin(bulletin, dana, title=bulletin.title, texts=texts) is None
    # A late report arrives: regeneration re-drafts the disposal section, keeps the edit.
    advisory = june["advisory"]
    late = Feedback.objects.create(
        task=advisory.tasks.get(), measures="补充检查", products_removed=30
    )
    Feedback.objects.filter(pk=late.pk).update(submitted_at=at(28))
    version, kept = services.regenerate(bulletin, dana)
    assert version is not None and version.number == 3
    assert kept == ["本期概况"]
    bulletin.refresh_from_db()
    sections = {s["key"]: s["text"] for s in bulletin.sections}
    assert sections["overview"] == "本期编者按：电热水壶风险值得关注。"
    assert "下架/召回产品150件" in sections["disposal"]
    first, last = bulletin.versions.order_by("number")[0], bulletin.versions.order_by("number")[2]
    assert first.content_hash != last.content_hash
    assert "下架/召回产品120件" in first.content["sections"][4]["text"]  # v1 kept as it was


def test_publication_freezes_the_issue_with_its_files(june: Any, dana: Any, alice: Any) -> None:
    bulletin = _draft(dana)
    with pytest.raises(services.BulletinError):
        services.act_on_bulletin(bulletin, "publish", alice)  # not submitted yet
    services.act_on_bulletin(bulletin, "submit", dana)
    with pytest.raises(services.BulletinError):
        services.act_on_bulletin(bulletin, "publish", dana)  # analysts do not publish
    with pytest.raises(PermissionDenied):
        services.edit_bulletin(bulletin, dana, title="改标题", texts={})  # in review: city only
    bulletin = services.act_on_bulletin(bulletin, "publish", alice, note="同意发布")
    assert bulletin.status == BulletinStatus.PUBLISHED
    assert bulletin.approved_by == alice
    final = services.published_version(bulletin)
    assert final is not None and final.published
    assert final.docx_file
    assert bool(final.pdf_file) == (pdf_unavailable() is None)
    with pytest.raises(services.BulletinError):
        services.edit_bulletin(bulletin, alice, title="发布后再改", texts={})
    with pytest.raises(services.BulletinError):
        services.regenerate(bulletin, alice)
    assert list(services.published_bulletins()) == [bulletin]


def test_return_needs_a_reason(june: Any, dana: Any, alice: Any) -> None:
    bulletin = _draft(dana)
    services.act_on_bulletin(bulletin, "submit", dana)
    with pytest.raises(services.BulletinError):
        services.act_on_bulletin(bulletin, "return", alice)
    bulletin = services.act_on_bulletin(bulletin, "return", alice, note="请补充处置情况")
    assert bulletin.status == BulletinStatus.DRAFT


def test_issue_numbers_run_per_kind_and_year_and_a_period_has_one_issue(db: Any, dana: Any) -> None:
    june = _draft(dana)
    july = services.create_bulletin(
        dana,
        services.BulletinRequest(kind="monthly", start=date(2026, 7, 1), end=date(2026, 7, 31)),
    )
    week = services.create_bulletin(
        dana, services.BulletinRequest(kind="weekly", start=date(2026, 6, 1), end=date(2026, 6, 7))
    )
    assert (june.number, july.number, week.number) == (1, 2, 1)
    with pytest.raises(services.BulletinError, match="已存在"):
        _draft(dana)
    with pytest.raises(services.BulletinError, match="专题"):
        services.create_bulletin(
            dana, services.BulletinRequest(kind="thematic", start=JUNE[0], end=JUNE[1])
        )


def test_district_officers_do_not_draft(db: Any, bob: Any) -> None:
    with pytest.raises(PermissionDenied):
        _draft(bob)


def test_the_scheduled_jobs_draft_last_week_and_last_month_once(db: Any) -> None:
    first = draft_monthly()
    assert first["created"] is True
    assert draft_monthly() == {"created": False}
    assert draft_weekly()["created"] is True
    monthly = Bulletin.objects.get(kind="monthly")
    assert monthly.created_by is None and monthly.status == BulletinStatus.DRAFT
    assert monthly.period_start.day == 1


def test_the_pages_draft_edit_submit_publish_and_download(
    june: Any, dana: Any, alice: Any, bob: Any, eve: Any
) -> None:
    analyst = login(Client(), dana)
    response = analyst.post(reverse("web:bulletin_new"), {"kind": "monthly", "start": "2026-06-15"})
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and (bulletin.period_start, bulletin.period_end) == JUNE
    page = analyst.get(reverse("web:bulletin_detail", args=[bulletin.pk])).content.decode()
    assert "电热水壶触电风险提示" in page and "2026年第1期" in page
    fields = {f"section_{s['key']}": s["text"] for s in bulletin.sections}
    analyst.post(
        reverse("web:bulletin_edit", args=[bulletin.pk]),
        {**fields, "title": "2026年6月资讯（修改稿）", "note": "改标题"},
    )
    bulletin.refresh_from_db()
    assert bulletin.title == "2026年6月资讯（修改稿）" and bulletin.versions.count() == 2
    # bob (district) and eve (no role) see no draft; bob may not draft at all.
    district = login(Client(), bob)
    assert district.get(reverse("web:bulletin_detail", args=[bulletin.pk])).status_code == 404
    assert district.get(reverse("web:bulletin_new")).status_code == 403
    nobody = login(Client(), eve)
    assert nobody.get(reverse("web:bulletin_list")).status_code == 403
    analyst.post(reverse("web:bulletin_action", args=[bulletin.pk, "submit"]))
    analyst.post(reverse("web:bulletin_action", args=[bulletin.pk, "publish"]))
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.IN_REVIEW  # the analyst could not publish
    supervisor = login(Client(), alice)
    supervisor.post(reverse("web:bulletin_action", args=[bulletin.pk, "publish"]))
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.PUBLISHED
    # Published: bob sees it and downloads any version.
    assert district.get(reverse("web:bulletin_list")).content.decode().count("2026年第1期") == 1
    response = district.get(reverse("web:bulletin_download", args=[bulletin.pk, 1, "docx"]))
    assert response.status_code == 200
    doc = _docx(_body(response))
    assert "2026年6月产品质量安全风险监测情况" in _docx_text(doc)  # version 1's title
    final = bulletin.versions.order_by("-number").first()
    assert final is not None and final.published
    response = district.get(
        reverse("web:bulletin_download", args=[bulletin.pk, final.number, "docx"])
    )
    assert "2026年6月资讯（修改稿）" in _docx_text(_docx(_body(response)))
    assert (
        district.get(reverse("web:bulletin_download", args=[bulletin.pk, 1, "exe"])).status_code
        == 404
    )


def test_the_command_writes_docx_and_pdf(june: Any, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(cli, "_setup", lambda: None)
    formats = ["--format", "docx"] if pdf_unavailable() else []
    result = CliRunner().invoke(
        cli.bulletin, ["--kind", "monthly", "--month", "2026-06", "-o", str(tmp_path), *formats]
    )
    assert result.exit_code == 0, result.output
    assert "2026年第1期" in result.output
    written = sorted(p.suffix for p in tmp_path.iterdir())
    assert written == ([".docx"] if pdf_unavailable() else [".docx", ".pdf"])
    again = CliRunner().invoke(
        cli.bulletin, ["--kind", "monthly", "--month", "2026-06", "-o", str(tmp_path), *formats]
    )
    assert again.exit_code == 0 and "重新生成" in again.output
    assert Bulletin.objects.count() == 1
    bad = CliRunner().invoke(cli.bulletin, ["--kind", "monthly", "--month", "June"])
    assert bad.exit_code != 0


def test_periods_of_the_weekly_and_monthly_issues() -> None:
    assert cli._period("weekly", None, "2026-06-03", None, None) == (
        date(2026, 6, 1),
        date(2026, 6, 7),
    )
    assert cli._period("monthly", "2028-02", None, None, None) == (
        date(2028, 2, 1),
        date(2028, 2, 29),
    )
    assert services.previous_period("monthly", date(2026, 1, 1)) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert services.previous_period("weekly", date(2026, 6, 10)) == (
        date(2026, 6, 1),
        date(2026, 6, 7),
    )
