"""Matching records to the register: stored with evidence, reviewed by the right people,
audited, and run again without changing anything."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises import matching
from pqrisk.enterprises.models import (
    Enterprise,
    MatchStatus,
    Product,
    ProductBarcode,
    RecordMatch,
)
from pqrisk.enterprises.tasks import match_pending as match_task
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import District
from pqrisk.screening.models import RiskInfo

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)
PUDONG, JIADING = "310115", "310114"


def ent(name: str, district: str = PUDONG) -> Enterprise:
    n = next(_seq)
    return Enterprise.objects.create(
        uscc=complete_uscc(f"91{district}MA1H{n:04d}X"),
        name=name,
        district=District.objects.get(code=district),
    )


def info(district: str | None = PUDONG, text: str = "", **payload: Any) -> RiskInfo:
    n = next(_seq)
    raw = RawItem.objects.create(
        source_kind="complaint",
        source_name="测试",
        external_id=f"M-{n}",
        payload={"title": "投诉", "text": text, **payload},
        payload_hash=f"m{n:063d}",
    )
    return RiskInfo.objects.create(
        raw_item=raw,
        source_kind="complaint",
        title="投诉",
        text=text,
        content_hash=raw.payload_hash,
        district=District.objects.get(code=district) if district else None,
        enterprise_name=payload.get("enterprise_name") or "",
        brand=payload.get("brand") or "",
    )


@pytest.fixture
def register() -> dict[str, Any]:
    huadong = ent("上海华东电器有限公司")
    xingtong = ent("上海兴通家具有限公司", JIADING)
    xingtong2 = ent("上海市浦东新区兴通家具有限公司")
    kettle = Product.objects.create(
        name="电热水壶", enterprise=huadong, brand="华东", model="HD-1708"
    )
    ProductBarcode.objects.create(product=kettle, gtin="6901234567892")
    return {"huadong": huadong, "xingtong": xingtong, "xingtong2": xingtong2, "kettle": kettle}


def test_uscc_beats_name_and_links_the_record(register: dict[str, Any]) -> None:
    huadong = register["huadong"]
    r = info(enterprise_uscc=huadong.uscc, enterprise_name="上海兴通家具有限公司")
    out = matching.match_record(r)
    assert out.enterprise == "accepted"
    r.refresh_from_db()
    assert r.enterprise == huadong
    m = r.matches.get(target="enterprise")
    assert (m.method, m.confidence, m.status) == ("uscc", 1.0, MatchStatus.AUTO_ACCEPTED)
    q = matching.match_quality(r)
    assert (q.method, q.confidence, q.by_code, q.name_only) == ("uscc", 1.0, True, False)
    assert AuditEvent.objects.filter(object_id=str(r.pk), action="match_link").count() == 1


def test_name_only_match_is_marked_and_explained(register: dict[str, Any]) -> None:
    text = "消费者在华东电器（上海）有限公司购买的华东牌电热水壶（型号HD-1708）漏电"
    r = info(text=text, enterprise_name="华东电器（上海）有限公司", brand="华东", model="HD-1708")
    matching.match_record(r)
    r.refresh_from_db()
    q = matching.match_quality(r)
    assert q.name_only and q.method == "name_normalised" and q.confidence < 1.0
    assert "仅名称" in q.label
    m = r.matches.get(target="enterprise")
    assert m.evidence["record"]["span"] == [4, 4 + len("华东电器（上海）有限公司")]
    assert "名录企业“上海华东电器有限公司”" in m.evidence["explanation"]
    assert r.product == register["kettle"]
    assert matching.match_quality(r, "product").method == "model"


def test_ambiguous_name_waits_for_review_and_confirm_links_it(
    register: dict[str, Any], alice: User
) -> None:
    r = info(enterprise_name="兴通家具公司")
    assert matching.match_record(r).enterprise == "pending"
    r.refresh_from_db()
    assert r.enterprise is None
    pending = list(r.matches.filter(status=MatchStatus.PENDING))
    assert {m.enterprise for m in pending} == {register["xingtong"], register["xingtong2"]}
    assert matching.match_quality(r).status == MatchStatus.PENDING

    chosen = next(m for m in pending if m.enterprise == register["xingtong2"])
    matching.confirm(chosen, alice, "地址与投诉一致")
    r.refresh_from_db()
    assert r.enterprise == register["xingtong2"]
    statuses = dict(r.matches.values_list("enterprise_id", "status"))
    assert statuses == {
        register["xingtong2"].pk: MatchStatus.CONFIRMED,
        register["xingtong"].pk: MatchStatus.REJECTED,
    }
    actions = set(AuditEvent.objects.filter(actor=alice).values_list("action", flat=True))
    assert actions == {"confirm", "reject", "match_link"}
    # A confirmed match is final: running again keeps it.
    assert matching.match_record(r).enterprise == "kept"
    r.refresh_from_db()
    assert r.enterprise == register["xingtong2"]


def test_reject_needs_a_reason_unlinks_and_is_not_proposed_again(
    register: dict[str, Any], dana: User
) -> None:
    r = info(enterprise_name="上海华东电器有限公司")
    matching.match_record(r)
    m = r.matches.get(target="enterprise")
    with pytest.raises(matching.MatchReviewError):
        matching.reject(m, dana, "  ")
    matching.reject(m, dana, "同名不同企业")
    r.refresh_from_db()
    assert r.enterprise is None
    assert AuditEvent.objects.get(action="reject").message.endswith("同名不同企业")
    matching.match_record(r)
    r.refresh_from_db()
    assert r.enterprise is None
    assert r.matches.get(target="enterprise").status == MatchStatus.REJECTED


def test_district_officer_reviews_only_their_district(
    register: dict[str, Any], bob: User, charlie: User
) -> None:
    r = info(PUDONG, enterprise_name="兴通家具公司")
    matching.match_record(r)
    m = r.matches.filter(status=MatchStatus.PENDING).first()
    assert m is not None
    assert list(matching.dao_review_queue(charlie)) == []
    assert len(matching.dao_review_queue(bob)) == 2
    with pytest.raises(PermissionDenied):
        matching.confirm(m, charlie)
    matching.confirm(m, bob)
    m.refresh_from_db()
    assert m.status == MatchStatus.CONFIRMED and m.reviewer == bob


def test_gtin_in_details_finds_the_product(register: dict[str, Any]) -> None:
    r = info(details={"gtin": "6901234567892"})
    assert matching.match_record(r).product == "accepted"
    r.refresh_from_db()
    assert r.product == register["kettle"]
    assert r.matches.get(target="product").method == "gtin"


def test_a_screening_link_matching_does_not_trust_is_removed(register: dict[str, Any]) -> None:
    r = info(enterprise_name="兴通家具公司")
    RiskInfo.objects.filter(pk=r.pk).update(enterprise=register["xingtong"])
    r.refresh_from_db()
    matching.match_record(r)
    r.refresh_from_db()
    assert r.enterprise is None
    assert AuditEvent.objects.filter(object_id=str(r.pk), action="match_unlink").exists()


def test_match_pending_is_idempotent(register: dict[str, Any]) -> None:
    huadong = register["huadong"]
    infos = [
        info(enterprise_uscc=huadong.uscc),
        info(enterprise_name="兴通家具公司"),
        info(enterprise_name="无名公司"),
        info(None, text="某品牌充电宝起火"),
    ]
    first = match_task.apply().get()
    assert first["records"] == 4
    assert first["enterprise_accepted"] == 1 and first["enterprise_pending"] == 1
    snapshot = list(RecordMatch.objects.order_by("id").values())
    audits = AuditEvent.objects.count()
    assert matching.match_pending() == {}
    again = matching.match_pending(records=RiskInfo.objects.filter(pk__in=[i.pk for i in infos]))
    assert again["records"] == 4
    assert list(RecordMatch.objects.order_by("id").values()) == snapshot
    assert AuditEvent.objects.count() == audits


def test_review_page_shows_evidence_and_acts(
    client: Any, register: dict[str, Any], bob: User, charlie: User
) -> None:
    r = info(PUDONG, text="在兴通家具公司买的椅子断裂", enterprise_name="兴通家具公司")
    matching.match_record(r)
    client.force_login(bob)
    page = client.get(reverse("web:matching_queue"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "企业匹配复核" in body and "上海兴通家具有限公司" in body
    assert '<mark class="ev">兴通家具公司</mark>' in body
    m = r.matches.filter(status=MatchStatus.PENDING).first()
    assert m is not None
    client.force_login(charlie)
    assert client.post(reverse("web:matching_confirm", args=[m.pk])).status_code == 404
    client.force_login(bob)
    res = client.post(reverse("web:matching_reject", args=[m.pk]), {"reason": ""})
    assert res.status_code == 302
    m.refresh_from_db()
    assert m.status == MatchStatus.PENDING  # no reason, nothing done
    client.post(reverse("web:matching_reject", args=[m.pk]), {"reason": "不是这家"})
    m.refresh_from_db()
    assert m.status == MatchStatus.REJECTED


def test_quality_counts_for_a_profile(register: dict[str, Any], alice: User) -> None:
    huadong = register["huadong"]
    by_code = info(enterprise_uscc=huadong.uscc)
    by_name = info(enterprise_name="华东电器公司")
    unsure = info(enterprise_name="兴通家具公司")
    matching.match_pending()
    infos = RiskInfo.objects.filter(pk__in=[by_code.pk, by_name.pk, unsure.pk])
    assert matching.quality_counts(infos) == {"by_code": 1, "name_only": 1, "pending": 1}
    listed = {i.pk: matching.match_quality(i) for i in infos.prefetch_related("matches")}
    assert listed[by_code.pk].by_code and listed[by_name.pk].name_only
    assert listed[unsure.pk].label == "待复核"


def test_the_register_is_kept_between_runs_and_topped_up_with_new_products() -> None:
    from pqrisk.enterprises.models import Product

    firm = ent("上海缓存测试电器有限公司")
    first = matching.current_register()
    product = Product.objects.create(enterprise=firm, name="电暖器", brand="缓存", model="HC-1")
    again = matching.current_register()
    assert again is first  # enterprises unchanged: the same register, with the new product
    assert product.pk in again.products
    firm.name = "上海缓存测试电器股份有限公司"
    firm.save()
    renamed = matching.current_register()
    assert renamed is not first  # an enterprise changed: read afresh
    assert product.pk in renamed.products
    product.delete()
    assert product.pk not in matching.current_register().products
