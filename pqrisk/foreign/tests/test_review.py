"""Reviewers confirm or reject candidate firms (their district's, or any for the city);
a confirmed firm raises the alert's risk information in its district, a rejected one lowers
it again; aliases added by people find alerts; every change is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.enterprises.profile import build_profile, foreign_alerts
from pqrisk.foreign import services
from pqrisk.foreign.choices import AlertStatus, MatchState
from pqrisk.foreign.models import EnterpriseAlias, ForeignAlert, ForeignMatch
from pqrisk.screening.choices import RiskInfoStatus

from .conftest import SG_CSV, reference_info

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(firms: dict[str, Any]) -> dict[str, Any]:
    services.ingest_foreign_file(SG_CSV)
    for item in services.pending_items():
        reference_info(item)
    services.process_pending()
    return firms


def alert(number: str) -> ForeignAlert:
    return ForeignAlert.objects.get(alert_number=number)


def pending(number: str) -> ForeignMatch:
    return ForeignMatch.objects.get(alert__alert_number=number, state=MatchState.PENDING)


def test_a_district_officer_confirms_a_candidate_of_their_district(
    loaded: dict[str, Any], bob: User
) -> None:
    match = pending("A11/00310/24")  # the charger of 上海动力电器 (Pudong)
    assert services.may_review(bob, match)
    services.confirm_match(match, bob, "型号与我区企业登记产品一致")
    match.refresh_from_db()
    assert (match.state, match.reviewer, match.reason) == (
        MatchState.CONFIRMED,
        bob,
        "型号与我区企业登记产品一致",
    )
    charger = alert("A11/00310/24")
    assert charger.status == AlertStatus.MATCHED and charger.enterprise == loaded["power"]
    info = charger.risk_info
    assert info is not None and info.status == RiskInfoStatus.PENDING_ASSESSMENT
    assert info.district == loaded["power"].district and info.product == loaded["charger"]
    confirm = AuditEvent.objects.get(action="foreign_match_confirm")
    assert (confirm.actor, confirm.from_state, confirm.to_state) == (bob, "pending", "confirmed")
    assert confirm.district_id == loaded["power"].district_id
    assert AuditEvent.objects.filter(action="foreign_raise", actor=bob).count() == 1
    with pytest.raises(services.ForeignReviewError):
        services.confirm_match(match, bob)  # decided once


def test_an_officer_of_another_district_may_not_review(
    loaded: dict[str, Any], charlie: User, eve: User
) -> None:
    match = pending("A11/00310/24")
    assert not services.may_review(charlie, match)
    with pytest.raises(PermissionDenied):
        services.confirm_match(match, charlie)
    with pytest.raises(PermissionDenied):
        services.reject_match(match, eve, "不是")
    assert not services.review_queue(charlie).filter(pk=match.pk).exists()
    assert services.review_queue(eve).count() == 0


def test_rejecting_needs_a_reason_and_lowers_the_risk_information(
    loaded: dict[str, Any], alice: User
) -> None:
    rabbit = alert("A12/00123/24")
    auto = rabbit.matches.get()
    assert auto.state == MatchState.AUTO_CONFIRMED
    with pytest.raises(services.ForeignReviewError):
        services.reject_match(auto, alice, "  ")
    services.reject_match(auto, alice, "条码为贴牌商所有，非本市企业生产")
    rabbit.refresh_from_db()
    assert rabbit.status == AlertStatus.NO_MATCH and rabbit.enterprise is None
    info = rabbit.risk_info
    assert info is not None
    info.refresh_from_db()
    assert info.status == RiskInfoStatus.REFERENCE and info.enterprise is None
    assert AuditEvent.objects.filter(action="foreign_lower", actor=alice).count() == 1
    # a later run does not propose the rejected firm again
    services.rematch([rabbit])
    assert not ForeignMatch.objects.filter(alert=rabbit).exclude(state="rejected").exists()


def test_confirming_one_rejects_the_other_open_candidates(
    loaded: dict[str, Any], dana: User
) -> None:
    services.add_alias(loaded["toys"], "Starlet", "brand", dana, source="测试")
    doll = alert("A12/00124/24")
    rows = list(doll.matches.order_by("enterprise_id"))
    assert {m.enterprise for m in rows} == {loaded["toys"], loaded["starlet"]}
    chosen = next(m for m in rows if m.enterprise == loaded["starlet"])
    services.confirm_match(chosen, dana)
    other = next(m for m in rows if m.enterprise == loaded["toys"])
    other.refresh_from_db()
    assert other.state == MatchState.REJECTED and other.reason == "已确认其他候选企业"
    doll.refresh_from_db()
    assert doll.enterprise == loaded["starlet"] and doll.district == loaded["starlet"].district


def test_an_alias_finds_alerts_it_names(loaded: dict[str, Any], bob: User) -> None:
    knife = alert("A12/00160/24")
    assert knife.status == AlertStatus.NO_MATCH
    services.add_alias(loaded["toys"], "Klinge", "brand", bob)
    knife.refresh_from_db()
    assert knife.status == AlertStatus.REVIEW
    (m,) = knife.matches.all()
    assert m.enterprise == loaded["toys"] and m.method == "brand_alias"
    assert AuditEvent.objects.filter(action="foreign_alias_add", actor=bob).count() == 1
    again = services.add_alias(loaded["toys"], "KLINGE®", "brand", bob)
    assert EnterpriseAlias.objects.filter(enterprise=loaded["toys"], key="klinge").count() == 1
    assert again.alias == "Klinge"


def test_aliases_are_checked(loaded: dict[str, Any], bob: User, charlie: User) -> None:
    with pytest.raises(PermissionDenied):
        services.add_alias(loaded["toys"], "Klinge", "brand", charlie)
    for bad, kind in (("", "brand"), ("Co., Ltd.", "english_name"), ("x" * 201, "brand")):
        with pytest.raises(services.ForeignReviewError):
            services.add_alias(loaded["toys"], bad, kind, bob)
    with pytest.raises(services.ForeignReviewError):
        services.add_alias(loaded["toys"], "Klinge", "nickname", bob)
    alias = EnterpriseAlias.objects.get(alias="Starlet")
    with pytest.raises(PermissionDenied):
        services.remove_alias(alias, bob)  # a Jiading firm's alias
    services.remove_alias(alias, charlie)
    assert not EnterpriseAlias.objects.filter(alias="Starlet").exists()
    assert AuditEvent.objects.filter(action="foreign_alias_remove").count() == 1


def test_district_officers_see_their_alerts_and_the_unmatched(
    loaded: dict[str, Any], alice: User, bob: User, charlie: User, eve: User
) -> None:
    total = ForeignAlert.objects.count()
    assert services.visible_alerts(alice).count() == total
    assert services.visible_alerts(eve).count() == 0
    rabbit = alert("A12/00123/24")  # matched to a Pudong firm
    assert services.visible_alerts(bob).filter(pk=rabbit.pk).exists()
    assert not services.visible_alerts(charlie).filter(pk=rabbit.pk).exists()
    doll = alert("A12/00124/24")  # a pending candidate in Jiading
    assert services.visible_alerts(charlie).filter(pk=doll.pk).exists()
    knife = alert("A12/00160/24")  # unmatched
    assert services.visible_alerts(charlie).filter(pk=knife.pk).exists()


def test_counts_by_month_and_risk_type(loaded: dict[str, Any], alice: User, eve: User) -> None:
    months = services.counts_by_month(alice, months=3, today=date(2024, 4, 10))
    assert [m["month"] for m in months] == ["2024-02", "2024-03", "2024-04"]
    march = months[1]
    dated = ForeignAlert.objects.filter(alert_date__month=3)
    assert march["made_in_china"] + march["other"] == dated.count()
    assert march["made_in_china"] == dated.filter(made_in_china=True).count()
    by_type = {r[0]: (r[1], r[2]) for r in services.counts_by_risk_type(alice)}
    assert by_type["Chemical"][0] == "化学危害" and by_type["Chemical"][1] >= 3
    assert services.counts_by_risk_type(eve) == []


def test_the_enterprise_profile_lists_its_foreign_alerts(
    loaded: dict[str, Any], bob: User, charlie: User
) -> None:
    section = foreign_alerts(loaded["toys"], bob)
    assert section.total == 1
    (row,) = section.rows
    assert row.alert_number == "A12/00123/24" and row.match_state == "auto_confirmed"
    assert row.url.endswith(f"/foreign/{row.id}/") or row.url == ""
    assert foreign_alerts(loaded["toys"], charlie).total == 0
    profile = build_profile(loaded["toys"], bob)
    assert profile.foreign_alerts.total == 1


def test_opening_a_case_is_recorded(loaded: dict[str, Any], dana: User) -> None:
    rabbit = alert("A12/00123/24")
    services.mark_case_opened(rabbit, None, dana)
    rabbit.refresh_from_db()
    assert rabbit.status == AlertStatus.CASE_OPENED
    event = AuditEvent.objects.get(action="foreign_case")
    assert (event.actor, event.from_state, event.to_state) == (dana, "matched", "case_opened")
    services.rematch([rabbit])  # matching again keeps the case status
    rabbit.refresh_from_db()
    assert rabbit.status == AlertStatus.CASE_OPENED
