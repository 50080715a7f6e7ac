"""Consumer advisories say how to recognise the product (brand, model, batch, photos) and what
to do; drafts are pre-filled from the evidence; the public sees only published advisories'
photos; urgency from the evidence enters the automatic proposals."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from PIL import Image
from pypdf import PdfReader

from conftest import JIADING, PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.core.levels import RiskLevel, Urgency, WarningLevel, WarningMode
from pqrisk.warnings import identification as ident
from pqrisk.warnings.documents import render_docx, render_pdf, warning_document
from pqrisk.warnings.drafts import edit_draft
from pqrisk.warnings.models import WarningPhoto
from pqrisk.warnings.services import WarningError, act_on_warning, create_proposal
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db

ADVISORY = (WarningMode.CONSUMER_ADVISORY,)


def png(size: tuple[int, int] = (64, 48), colour: str = "red", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, name: str = "kettle.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


# ---------------------------------------------------------------- pre-filling and urgency


def test_a_proposal_is_prefilled_from_its_evidence_and_urgent_when_people_are_hurt() -> None:
    infos = [
        f.risk_info(
            PUDONG,
            title=f"电热水壶烫伤{n}",
            brand="暖居",
            severity_hint=3,
            tags={"models": ["DK-15"], "batches": ["2026-03"], "brands": ["暖居"]},
        )
        for n in range(2)
    ]
    group = [f.assessment(i, RiskLevel.HIGH) for i in infos]
    warning = create_proposal(group)
    assert warning.brands == "暖居"
    assert warning.product_models == "DK-15" and warning.batches == "2026-03"
    assert "12315" in warning.advice
    assert warning.urgency == Urgency.URGENT.value
    assert any("紧急" in r for r in warning.reasons)


def test_signals_rise_when_the_recent_half_window_holds_more_items() -> None:
    now = timezone.now()
    old = f.risk_info(PUDONG, occurred_at=now - timedelta(days=20))
    recent = [f.risk_info(PUDONG, occurred_at=now - timedelta(days=d)) for d in (1, 2)]
    assert ident.signals_rising([old, *recent])
    assert not ident.signals_rising([old, recent[0]])  # one recent item is not a trend
    assert not ident.signals_rising([])


def test_the_bureau_edits_identification_and_advice_on_a_draft(alice: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="draft", modes=ADVISORY)
    edit_draft(
        warning,
        alice,
        title=warning.title,
        body=warning.body,
        modes=warning.modes,
        identification={
            "brands": "暖居、好家",
            "product_models": "DK-15",
            "batches": "",
            "advice": "停止使用",
        },
    )
    warning.refresh_from_db()
    assert (warning.brands, warning.advice) == ("暖居、好家", "停止使用")
    event = AuditEvent.objects.filter(action="edit", object_id=str(warning.pk)).get()
    assert "涉及品牌" in event.message and "消费者应对建议" in event.message
    with pytest.raises(WarningError, match="涉及品牌不能超过300字"):
        edit_draft(
            warning,
            alice,
            title=warning.title,
            body=warning.body,
            modes=warning.modes,
            identification={"brands": "牌" * 301},
        )


# ---------------------------------------------------------------- photos


def test_photos_must_be_images_within_the_size_limit(alice: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="draft", modes=ADVISORY)
    photo = ident.add_photo(warning, alice, upload(png()), "DK-15 外观")
    assert photo.image.name.startswith("warnings/photos/") and "kettle" not in photo.image.name
    with pytest.raises(WarningError, match="不是可识别的图片"):
        ident.add_photo(warning, alice, upload(b"%PDF-1.4 not an image", "x.png"))
    big = SimpleUploadedFile("big.png", b"0" * (ident.MAX_PHOTO_BYTES + 1))
    with pytest.raises(WarningError, match="超过10MB"):
        ident.add_photo(warning, alice, big)
    assert AuditEvent.objects.filter(action="add_photo", object_id=str(warning.pk)).count() == 1


def test_a_district_officer_adds_photos_only_to_its_own_draft(bob: Any, charlie: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="draft", modes=ADVISORY)
    ident.add_photo(warning, bob, upload(png()))
    with pytest.raises(WarningError, match="无权"):
        ident.add_photo(warning, charlie, upload(png()))


def test_photos_reach_the_public_only_on_a_published_consumer_advisory(
    alice: Any, charlie: Any
) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="approved", modes=ADVISORY)
    warning.brands, warning.product_models = "暖居", "DK-15"
    warning.advice = "请立即停止使用并联系销售者退货。"
    warning.save()
    photo = ident.add_photo(warning, alice, upload(png()), "DK-15 外观")
    public = Client()
    page_url = reverse("web:public_advisory", args=[warning.pk])
    photo_url = reverse("web:public_photo", args=[warning.pk, photo.pk])
    assert public.get(page_url).status_code == 404  # approved, not yet published
    assert public.get(photo_url).status_code == 404
    # Inside, those who may see the warning see the photo; another district does not.
    internal = reverse("warnings:photo", args=[warning.pk, photo.pk])
    assert login(Client(), alice).get(internal).status_code == 200
    assert login(Client(), charlie).get(internal).status_code == 404

    act_on_warning(warning, "publish", alice)
    page = public.get(page_url).content.decode()
    assert "暖居" in page and "DK-15" in page and "请立即停止使用" in page
    assert photo_url in page
    for internal_text in ("定级理由", "高风险，单区", "测试电器有限公司", "沪市监产质"):
        assert internal_text not in page
    response = public.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    listing = public.get(reverse("web:public_advisories")).content.decode()
    assert page_url in listing and "请立即停止使用" in listing


def test_a_published_internal_notice_has_no_public_page(alice: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="approved")
    act_on_warning(warning, "publish", alice)
    assert Client().get(reverse("web:public_advisory", args=[warning.pk])).status_code == 404


def test_the_consumer_advisory_document_carries_identification_advice_and_photos(
    alice: Any,
) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="draft", modes=ADVISORY)
    warning.brands, warning.product_models, warning.batches = "暖居", "DK-15", "2026-03"
    warning.advice = "请立即停止使用。"
    warning.save()
    ident.add_photo(warning, alice, upload(png((400, 300))), "DK-15 外观")
    ident.add_photo(warning, alice, upload(png((300, 400), fmt="WEBP"), "side.webp"), "侧面")
    content = warning_document(warning, WarningMode.CONSUMER_ADVISORY)
    text = "\n".join(content.body)
    assert "品牌：暖居" in text and "型号规格：DK-15" in text and "生产日期/批号：2026-03" in text
    assert "请立即停止使用。" in text and "产品图片见文后附图" in text
    docx = Document(io.BytesIO(render_docx(content)))
    assert len(docx.inline_shapes) == 2
    assert any(p.text == "DK-15 外观" for p in docx.paragraphs)
    reader = PdfReader(io.BytesIO(render_pdf(content)))
    # WeasyPrint shares one resource dictionary between pages: count distinct images.
    assert len({image.data for page in reader.pages for image in page.images}) == 2


# ---------------------------------------------------------------- targeting


def test_named_districts_receive_the_notice_and_dispose(alice: Any, charlie: Any) -> None:
    from pqrisk.disposal.models import DisposalTask
    from pqrisk.warnings.services import approve_warning
    from pqrisk.warnings.targeting import set_targets

    warning = f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW)
    with pytest.raises(PermissionDenied):
        set_targets(warning, charlie, districts=[f.district(JIADING)], categories=[])
    set_targets(warning, alice, districts=[f.district(PUDONG), f.district(JIADING)], categories=[])
    approve_warning(warning, alice)
    assert set(
        DisposalTask.objects.filter(warning=warning).values_list("district__code", flat=True)
    ) == {PUDONG, JIADING}
    act_on_warning(warning, "publish", alice)
    assert set(warning.recipients.values_list("district__code", flat=True)) == {PUDONG, JIADING}
    with pytest.raises(WarningError, match="批准后不能再修改"):
        set_targets(warning, alice, districts=[f.district(PUDONG)], categories=[])
    assert AuditEvent.objects.filter(action="target", object_id=str(warning.pk)).count() == 1


def test_an_industry_offers_its_operators_and_the_associations(alice: Any) -> None:
    from pqrisk.stations.choices import StationKind
    from pqrisk.warnings.delivery import suggest_recipients
    from pqrisk.warnings.targeting import set_targets, station_recipients
    from pqrisk.warnings.views import IndustryRecipientForm

    info = f.risk_info(PUDONG)
    category = info.product_category
    assert category is not None
    warning = f.warning(info, WarningLevel.YELLOW, modes=(WarningMode.INDUSTRY_WARNING,))
    maker = f.enterprise(PUDONG, "浦东暖居电器有限公司")
    maker.products.add(category)
    elsewhere = f.enterprise(JIADING, "嘉定暖居电器有限公司")
    elsewhere.products.add(category)
    association = f.station("上海市家用电器行业协会")
    association.kind = StationKind.ASSOCIATION
    association.save()
    assert maker not in suggest_recipients(warning)
    set_targets(warning, alice, districts=[], categories=[category])
    suggested = suggest_recipients(warning)
    assert maker in suggested and elsewhere not in suggested  # a one-district warning
    assert association in station_recipients(warning)
    form = IndustryRecipientForm(
        {"recipient-kind": "enterprise", "recipient-station": association.pk},
        warning=warning,
        prefix="recipient",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "上海市家用电器行业协会"
    assert form.cleaned_data["kind"] == "association"


def test_photo_rows_are_removed_with_their_files(alice: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="draft", modes=ADVISORY)
    photo = ident.add_photo(warning, alice, upload(png()))
    path = photo.image.path
    ident.remove_photo(photo, alice)
    assert not WarningPhoto.objects.filter(pk=photo.pk).exists()
    import os

    assert not os.path.exists(path)


def test_updating_a_published_advisory_keeps_the_old_identification(alice: Any) -> None:
    warning = f.warning(f.risk_info(PUDONG), status="approved", modes=ADVISORY)
    warning.batches = "2026-03"
    warning.save()
    act_on_warning(warning, "publish", alice)
    client = login(Client(), alice)
    detail = client.get(reverse("web:warning_detail", args=[warning.pk])).content.decode()
    assert reverse("web:warning_update", args=[warning.pk]) in detail
    response = client.post(
        reverse("web:warning_update", args=[warning.pk]),
        {
            "update-title": warning.title,
            "update-body": warning.body,
            "update-modes": warning.modes,
            "update-batches": "2026-03、2026-04",
            "update-advice": "",
            "update-brands": "",
            "update-product_models": "",
            "update-note": "新发现4月批次",
        },
    )
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.version == 2 and warning.batches == "2026-03、2026-04"
    (old,) = warning.versions.all()
    assert old.identification["batches"] == "2026-03"
    event = AuditEvent.objects.filter(action="update", object_id=str(warning.pk)).get()
    assert "涉及批次/生产日期" in event.message and event.detail["changed"]
    public = Client().get(reverse("web:public_advisory", args=[warning.pk])).content.decode()
    assert "2026-04" in public and "第2版" in public
    # Without a note the update is refused and nothing changes.
    client.post(
        reverse("web:warning_update", args=[warning.pk]),
        {"update-title": "x", "update-modes": warning.modes, "update-note": ""},
    )
    warning.refresh_from_db()
    assert warning.version == 2 and warning.title != "x"


def test_new_evidence_from_another_district_widens_the_scope_and_the_system_title() -> None:
    from pqrisk.warnings.services import join_warning

    infos = [f.risk_info(PUDONG, title=f"电热水壶漏电{n}") for n in range(2)]
    warning = create_proposal([f.assessment(i, RiskLevel.HIGH) for i in infos])
    assert warning.scope == "district" and warning.title.startswith("浦东新区")
    join_warning(warning, [f.assessment(f.risk_info(JIADING), RiskLevel.HIGH)])
    warning.refresh_from_db()
    assert warning.scope == "multi_district" and warning.title.startswith("本市")
    assert warning.district_id is None
