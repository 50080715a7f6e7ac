"""Warning documents (预警文书): each mode's 公文 as .docx and PDF, read back.

A Pudong kettle warning goes out in all three modes. bob (Pudong) downloads its documents;
charlie (Jiading) may not even learn it exists. The PDF's first page is rendered to PNG in
$PQRISK_TEST_ARTEFACTS (default var/test-artefacts/) for a person to look at.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import include, path, reverse
from docx import Document

from pqrisk import urls as project_urls
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.documents.pdf import pdf_unavailable
from pqrisk.warnings.documents import (
    DocumentError,
    render_docx,
    render_pdf,
    warning_document,
)
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories as f

# The download views' URLs, as pqrisk/urls.py includes them (this module is the URLconf of
# the view tests, so they do not depend on that include being there).
urlpatterns = [path("warnings/", include("pqrisk.warnings.urls")), *project_urls.urlpatterns]

PUDONG = "310115"
SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROVED = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
BODY = (
    "近期浦东新区市场监管部门在风险监测中发现电热水壶存在触电风险的相关信息2条。\n"
    "提示生产经营者：请对照相关标准自查电热水壶的安全项目，发现问题立即停止销售并整改、依法召回。\n"
    "提示消费者：请通过正规渠道购买电热水壶，按说明书正确使用。"
)
ALL_MODES = (
    WarningMode.INTERNAL_NOTICE,
    WarningMode.INDUSTRY_WARNING,
    WarningMode.CONSUMER_ADVISORY,
)
ARTEFACTS = Path(os.environ.get("PQRISK_TEST_ARTEFACTS") or Path.cwd() / "var" / "test-artefacts")


def _kettle_warning(
    approved_at: datetime = APPROVED, title: str = "浦东新区电热水壶触电风险"
) -> Warning:
    info = f.risk_info(PUDONG, title="电热水壶抽查不合格", brand="暖暖")
    info.enterprise = f.enterprise(PUDONG, "上海暖暖电器有限公司")
    info.tags = {**info.tags, "models": ["NN-1701"], "batches": ["20260114"]}
    info.save()
    w = f.warning(info, WarningLevel.ORANGE, status="approved", modes=ALL_MODES, title=title)
    Warning.objects.filter(pk=w.pk).update(body=BODY, approved_at=approved_at)
    return Warning.objects.get(pk=w.pk)


@pytest.fixture
def kettle(db: Any) -> Warning:
    return _kettle_warning()


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (WarningMode.INTERNAL_NOTICE, "风险通报"),
        (WarningMode.INDUSTRY_WARNING, "风险警示"),
        (WarningMode.CONSUMER_ADVISORY, "风险提示"),
    ],
)
def test_each_mode_docx_reads_back_with_title_number_and_warning_text(
    kettle: Warning, mode: WarningMode, kind: str
) -> None:
    content = warning_document(kettle, mode)
    text = _docx_text(render_docx(content))

    assert content.title == f"关于浦东新区电热水壶触电的{kind}"
    assert content.number.startswith("沪市监产质〔2026〕") and content.number.endswith("号")
    for expected in (
        "上海市市场监督管理局",
        content.number,
        content.title,
        BODY.splitlines()[0],
        "2026年11月27日",
        "品牌：暖暖",
        "型号规格：NN-1701",
        "生产日期/批号：20260114",
    ):
        assert expected in text, (mode, expected)


def test_recipients_and_requirements_differ_by_mode(kettle: Warning) -> None:
    notice = warning_document(kettle, WarningMode.INTERNAL_NOTICE)
    industry = warning_document(kettle, WarningMode.INDUSTRY_WARNING)
    advisory = warning_document(kettle, WarningMode.CONSUMER_ADVISORY)

    assert notice.recipients == "浦东新区市场监督管理局"
    assert "三、工作要求" in notice.body
    assert industry.recipients.startswith("上海暖暖电器有限公司，")
    assert "二、生产经营者应当采取的措施" in industry.body
    assert advisory.recipients == "广大消费者"
    assert {"一、消费者如何识别", "二、消费者如何应对"} <= set(advisory.body)
    # The consumer advisory speaks to consumers only.
    assert not any(p.startswith("提示生产经营者") for p in advisory.body)
    assert "上海暖暖电器有限公司" not in "".join(advisory.body)


def test_numbers_run_per_year_one_per_document(kettle: Warning, settings: Any) -> None:
    settings.PQRISK_DOCUMENT_NUMBER_PREFIX = "沪市监质"
    later = _kettle_warning(APPROVED.replace(hour=15), title="本市电动自行车火灾风险")

    numbers = [warning_document(kettle, m).number for m in ALL_MODES]
    numbers += [warning_document(later, m).number for m in ALL_MODES]

    assert numbers == [f"沪市监质〔2026〕{n}号" for n in range(1, 7)]
    assert warning_document(kettle, WarningMode.INTERNAL_NOTICE, number=12).number == (
        "沪市监质〔2026〕12号"
    )


def test_a_mode_the_warning_does_not_use_has_no_document(kettle: Warning) -> None:
    kettle.modes = [WarningMode.INTERNAL_NOTICE.value]
    with pytest.raises(DocumentError, match="未采用风险提示方式"):
        warning_document(kettle, WarningMode.CONSUMER_ADVISORY)


def test_the_bureau_overrides_a_template(kettle: Warning, settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "warnings" / "documents"
    folder.mkdir(parents=True)
    (folder / "consumer.txt").write_text(
        "标题：{{ product }}消费提示\n主送：广大市民\n落款：上海市消费者权益保护委员会\n\n"
        "一、提示\n{{ warning.body|linebreaksbr }}\n",
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    content = warning_document(kettle, WarningMode.CONSUMER_ADVISORY)

    assert content.title.endswith("消费提示")
    assert content.recipients == "广大市民"
    assert content.signature == "上海市消费者权益保护委员会"
    assert content.body[0] == "一、提示"
    # Text templates are not HTML: nothing is escaped.
    assert "<br>" in content.body[1]


def test_a_malformed_template_header_is_explained(
    kettle: Warning, settings: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "warnings" / "documents"
    folder.mkdir(parents=True)
    (folder / "notice.txt").write_text("关于某某的通报\n\n正文\n", encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    with pytest.raises(DocumentError, match="标题：…"):
        warning_document(kettle, WarningMode.INTERNAL_NOTICE)


# ------------------------------------------------------------------------ PDF

needs_pdf = pytest.mark.skipif(
    pdf_unavailable() is not None, reason=pdf_unavailable() or "WeasyPrint available"
)


@needs_pdf
@pytest.mark.parametrize("mode", ALL_MODES)
def test_each_mode_pdf_reads_back_with_title_and_number(kettle: Warning, mode: WarningMode) -> None:
    from pypdf import PdfReader

    content = warning_document(kettle, mode)
    data = render_pdf(content)

    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert content.title in text
    assert content.number in text
    assert BODY.splitlines()[0] in text.replace("\n", "")
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("CJK" in name for name in fonts), fonts

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTEFACTS / f"warning-{mode.value}.pdf"
    pdf_path.write_bytes(data)
    if shutil.which("pdftoppm"):
        stem = ARTEFACTS / f"warning-{mode.value}-page1"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", pdf_path, stem],
            check=True,
        )
        png = stem.with_suffix(".png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- downloads


def _url(name: str, w: Warning, mode: WarningMode) -> str:
    return reverse(f"warnings:{name}", kwargs={"pk": w.pk, "mode": mode.value})


@pytest.mark.urls(__name__)
def test_bob_downloads_the_docx_of_his_districts_warning(
    client: Any, bob: Any, kettle: Warning
) -> None:
    client.force_login(bob)
    response = client.get(_url("document_docx", kettle, WarningMode.INDUSTRY_WARNING))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    content = warning_document(kettle, WarningMode.INDUSTRY_WARNING)
    assert content.title in _docx_text(b"".join(response.streaming_content))


@needs_pdf
@pytest.mark.urls(__name__)
def test_bob_downloads_the_pdf(client: Any, bob: Any, kettle: Warning) -> None:
    client.force_login(bob)
    response = client.get(_url("document_pdf", kettle, WarningMode.CONSUMER_ADVISORY))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("name", ["document_docx", "document_pdf"])
def test_charlie_of_another_district_gets_404(
    client: Any, charlie: Any, kettle: Warning, name: str
) -> None:
    client.force_login(charlie)
    assert client.get(_url(name, kettle, WarningMode.INTERNAL_NOTICE)).status_code == 404


@pytest.mark.urls(__name__)
def test_others_cannot_download(client: Any, alice: Any, eve: Any, kettle: Warning) -> None:
    url = _url("document_docx", kettle, WarningMode.INTERNAL_NOTICE)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(eve)
    assert client.get(url).status_code == 403
    client.force_login(alice)
    assert client.get(url).status_code == 200
    assert client.get(url.replace("internal_notice", "no_such_mode")).status_code == 404
    Warning.objects.filter(pk=kettle.pk).update(modes=[WarningMode.INTERNAL_NOTICE.value])
    consumer = _url("document_docx", kettle, WarningMode.CONSUMER_ADVISORY)
    assert client.get(consumer).status_code == 404
