"""Assessment case pages: open from an item, move, add evidence, conclude, download the report."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import JIADING, PUDONG
from pqrisk.assessment.models import AssessmentCase
from pqrisk.warnings.models import Warning

from . import factories as f

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(client: Client, info_pk: int) -> AssessmentCase:
    response = client.post(reverse("web:case_open"), {"risk_info": info_pk})
    assert response.status_code == 302
    return AssessmentCase.objects.latest("id")


def test_the_analyst_opens_a_case_from_an_item_and_concludes_it(dana: Any) -> None:
    info = f.risk_info(PUDONG, title="浦东电热水壶抽查不合格")
    client = _client(dana)
    page = client.get(reverse("web:riskinfo_detail", args=[info.pk])).content.decode()
    assert "立项评估" in page
    case = _open(client, info.pk)
    detail = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert case.code in detail and "开始评估" in detail and "电热水壶抽查不合格" in detail
    client.post(reverse("web:case_action", args=[case.pk, "start"]))
    upload = SimpleUploadedFile("检验报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(
        reverse("web:case_evidence", args=[case.pk]),
        {"kind": "document", "title": "检验报告", "note": "第三方检验", "file": upload},
    )
    client.post(
        reverse("web:case_conclude", args=[case.pk]),
        {"level": "high", "conclusion": "过热保护失效，可致烫伤", "rule": "以专家评估为准"},
    )
    case.refresh_from_db()
    assert (case.status, case.final_level) == ("concluded", "high")
    assert case.evidence.filter(kind="document", title="检验报告").exists()
    report = client.get(reverse("web:case_report", args=[case.pk]))
    assert report.status_code == 200
    assert report["Content-Type"].endswith("wordprocessingml.document")
    assert report.content[:2] == b"PK"  # a zip: .docx


def test_a_district_officer_cannot_open_a_case_and_is_told_why(bob: Any) -> None:
    info = f.risk_info(PUDONG)
    client = _client(bob)
    assert (
        "立项评估"
        not in client.get(reverse("web:riskinfo_detail", args=[info.pk])).content.decode()
    )
    response = client.post(reverse("web:case_open"), {"risk_info": info.pk}, follow=True)
    assert "需要以下角色之一" in response.content.decode()
    assert not AssessmentCase.objects.exists()


def test_cases_of_another_district_are_not_shown(dana: Any, bob: Any, charlie: Any) -> None:
    case = _open(_client(dana), f.risk_info(PUDONG).pk)
    assert _client(bob).get(reverse("web:case_detail", args=[case.pk])).status_code == 200
    assert _client(charlie).get(reverse("web:case_detail", args=[case.pk])).status_code == 404
    assert case.code not in _client(charlie).get(reverse("web:case_list")).content.decode()
    assert _client(charlie).get(reverse("web:case_report", args=[case.pk])).status_code == 404


def test_a_wrong_step_shows_a_chinese_message(dana: Any) -> None:
    case = _open(_client(dana), f.risk_info(JIADING).pk)
    response = _client(dana).post(
        reverse("web:case_action", args=[case.pk, "to_experts"]), follow=True
    )
    assert "当前状态为“已立项”" in response.content.decode()


def test_the_matrix_form_assesses_the_case_with_a_step_from_counts(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG, title="浦东电热水壶抽查不合格").pk)
    assert "风险矩阵评估" in client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    client.post(
        reverse("web:case_matrix", args=[case.pk]),
        {
            "severity": 3,
            "steps": "产品存在缺陷 | 1 | 0.5 | 1 | 抽检不合格\n使用中出现危险 | 1/10\n"
            "导致伤害 | 0.01",
            "harm_events": 4,
            "harm_units": 20000,
            "reporting_fraction": 1,
        },
    )
    case.refresh_from_db()
    matrix = case.matrix_assessment
    assert matrix is not None and matrix.method == "matrix_manual"
    harm = matrix.steps[-1]
    assert harm["description"] == "导致伤害" and "20,000件中4起伤害" in harm["evidence"]
    assert harm["low"] < harm["probability"] < harm["high"]


def test_a_bad_step_line_is_refused_in_chinese(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG).pk)
    response = client.post(
        reverse("web:case_matrix", args=[case.pk]),
        {"severity": 2, "steps": "产品存在缺陷 | 1.5"},
        follow=True,
    )
    assert "情景步骤“产品存在缺陷”的概率应大于0且不超过1，实际为1.5" in response.content.decode()
    case.refresh_from_db()
    assert case.matrix_assessment is None


def test_the_audit_trail_reads_a_cases_actions_as_case_actions(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG).pk)
    client.post(reverse("web:case_action", args=[case.pk, "start"]))
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "开始评估" in page and "开始处置" not in page
    assert "已立项 → 评估中" in page
    audit = client.get(reverse("web:audit_list")).content.decode()
    assert "评估任务 #" in audit and "开始评估" in audit


def test_the_case_page_links_to_its_lab_sampling_and_meetings(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG).pk)
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "实验室抽样" in page and f"{reverse('labs:task_new')}?case={case.code}" in page
    assert "未列入会商议程" in page
    nav = client.get(reverse("labs:task_list")).content.decode()
    assert f'<a href="{reverse("labs:task_list")}" class="active"' in nav


def test_the_model_suggests_and_an_assessor_overrides_with_a_reason(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG, title="浦东电热水壶抽查不合格").pk)
    client.post(reverse("web:case_action", args=[case.pk, "start"]))
    client.post(reverse("web:case_suggest", args=[case.pk]))
    case.refresh_from_db()
    suggested = case.model_suggestion["level"]
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "各因素的贡献" in page and "改定建议" in page
    other = "serious" if suggested != "serious" else "low"
    response = client.post(
        reverse("web:case_override", args=[case.pk]), {"level": other, "reason": ""}, follow=True
    )
    assert "提交内容有误" in response.content.decode()
    client.post(
        reverse("web:case_override", args=[case.pk]),
        {"level": other, "reason": "检验报告显示绝缘失效，模型未计入"},
    )
    override = case.overrides.get()
    assert (override.suggested_level, override.level) == (suggested, other)
    assert override.features and override.model_version


def test_a_concluded_case_makes_a_warning_draft_with_its_evidence_in_one_click(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG, title="浦东电热水壶抽查不合格").pk)
    client.post(reverse("web:case_action", args=[case.pk, "start"]))
    client.post(
        reverse("web:case_matrix", args=[case.pk]),
        {"severity": 3, "steps": "产品存在缺陷 | 1\n使用中出现危险 | 0.1\n导致伤害 | 0.05"},
    )
    client.post(
        reverse("web:case_conclude", args=[case.pk]),
        {"level": "high", "conclusion": "绝缘失效，可致触电", "rule": "以风险矩阵为准"},
    )
    response = client.post(reverse("web:case_warning", args=[case.pk]))
    warning = Warning.objects.get()
    assert response["Location"] == reverse("web:warning_detail", args=[warning.pk])
    assert (warning.status, warning.level) == ("draft", "orange")
    assert any(case.code in r for r in warning.reasons)
    assert any("风险矩阵评估" in r for r in warning.reasons)
    page = client.get(reverse("web:warning_detail", args=[warning.pk])).content.decode()
    assert (
        "预警文书" in page
        and reverse("warnings:document_docx", args=[warning.pk, warning.modes[0]]) in page
    )
    docx = client.get(reverse("warnings:document_docx", args=[warning.pk, warning.modes[0]]))
    assert docx.status_code == 200 and b"".join(docx.streaming_content)[:2] == b"PK"  # type: ignore[attr-defined]


def test_an_open_case_makes_no_warning(dana: Any) -> None:
    client = _client(dana)
    case = _open(client, f.risk_info(PUDONG).pk)
    response = client.post(reverse("web:case_warning", args=[case.pk]), follow=True)
    assert "形成结论后才能生成预警草稿" in response.content.decode()
    assert not Warning.objects.exists()
