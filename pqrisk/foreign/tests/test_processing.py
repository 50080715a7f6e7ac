"""From export to the firm's district: alerts are tagged once, summarised in Chinese, matched
to local firms, and a confident match raises the risk information screening made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pqrisk.audit.models import AuditEvent
from pqrisk.foreign import services
from pqrisk.foreign.choices import AlertStatus, MatchState
from pqrisk.foreign.models import ForeignAlert, ForeignAlertRiskType, ForeignMatch
from pqrisk.foreign.tasks import process_foreign
from pqrisk.intake.models import QuarantinedItem, RawItem
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .conftest import SG_CSV, SG_JSON, reference_info

pytestmark = pytest.mark.django_db


def load_and_process(*paths: Path) -> dict[str, int]:
    for path in paths:
        services.ingest_foreign_file(path)
    return services.process_pending()


def alert(number: str) -> ForeignAlert:
    return ForeignAlert.objects.get(alert_number=number)


def test_every_foreign_item_becomes_one_alert_and_a_second_run_does_nothing(
    firms: dict[str, Any],
) -> None:
    counts = load_and_process(SG_CSV, SG_JSON)
    items = RawItem.objects.filter(source_kind="foreign_recall").count()
    assert items == 12 and counts["tagged"] == 12
    assert ForeignAlert.objects.count() == 12
    assert services.process_pending() == {"raised_later": 0}
    for item in RawItem.objects.filter(source_kind="foreign_recall"):
        reference_info(item)  # screening runs afterwards
    # the rabbit, matched by its barcode, is raised; the other 11 are only linked
    assert services.process_pending() == {"raised_later": 1, "linked": 11}
    assert not ForeignAlert.objects.filter(risk_info__isnull=True).exists()
    assert ForeignAlert.objects.count() == 12
    assert AuditEvent.objects.filter(action="foreign_tagged").count() == 12
    # accepted + quarantined = rows: nothing was lost on the way in
    assert QuarantinedItem.objects.count() == 4


def test_tags_and_chinese_summary(firms: dict[str, Any]) -> None:
    load_and_process(SG_CSV)
    doll = alert("A12/00124/24")
    assert "Chemical" in doll.risk_types
    assert doll.made_in_china and doll.origin_region == "CN"
    assert doll.origin_zh == "中国" and doll.notifying_country_zh == "瑞典"
    assert "化学危害" in doll.risk_types_zh
    assert doll.measures_zh == "从消费者处召回"
    assert doll.category == "toys" and doll.category_zh == "玩具"
    assert doll.tags["risk_types"][0]["evidence"]  # the span in the risk description
    assert ForeignAlertRiskType.objects.filter(alert=doll, risk_type="Chemical").exists()
    lights = alert("A12/00140/24")
    assert not lights.made_in_china and lights.origin_region == "HK"
    assert lights.origin_zh == "中国香港"
    assert {"Electric shock", "Fire"} <= set(lights.risk_types)
    assert "销毁" in lights.measures_zh
    helmet = alert("A12/00150/24")
    assert helmet.origin_region == "TW" and not helmet.made_in_china
    knife = alert("A12/00160/24")
    assert knife.origin_region == "DE" and knife.origin_zh == "德国"


def test_bad_input_gives_unknown_values_or_notes_never_a_crash(firms: dict[str, Any]) -> None:
    load_and_process(SG_CSV)
    rocket = alert("A12/00190/24")  # unknown country, category outside the vocabulary
    assert rocket.country == "" and rocket.origin_region == "" and not rocket.made_in_china
    assert rocket.origin_zh == ""
    assert rocket.country_of_origin == "Atlantis"
    assert any("Atlantis" in e for e in rocket.errors)
    assert rocket.category_given == "Spaceships"
    german = alert("A12/00170/24")  # non-English text
    assert german.status in AlertStatus.values
    assert german.measures_zh == "未说明（见原文）"
    bib = alert("A12/00200/24")  # malformed date: kept, date unknown
    assert bib.alert_date is None and bib.date_raw == "31/02/2024"
    polish = alert("A12/00180/24")  # empty description
    assert polish.product_description == "" and "Chemical" in polish.risk_types


def test_a_barcode_match_is_auto_confirmed_and_raises_the_risk_information(
    firms: dict[str, Any],
) -> None:
    services.ingest_foreign_file(SG_CSV)
    item = RawItem.objects.get(external_id="SG-A12/00123/24")
    info = reference_info(item)
    services.process_pending()
    rabbit = alert("A12/00123/24")
    assert rabbit.status == AlertStatus.MATCHED
    assert rabbit.enterprise == firms["toys"] and rabbit.district == firms["toys"].district
    (m,) = rabbit.matches.all()
    assert (m.state, m.method, m.product) == (MatchState.AUTO_CONFIRMED, "barcode", firms["rabbit"])
    assert m.confidence >= 0.98
    assert m.evidence["items"][0]["alert_value"] == "6901234567892"
    info.refresh_from_db()
    assert info.status == RiskInfoStatus.PENDING_ASSESSMENT
    assert (info.enterprise, info.district) == (firms["toys"], firms["toys"].district)
    assert info.product == firms["rabbit"]
    assert info.product_category is not None and info.product_category.code.startswith("")
    raise_event = AuditEvent.objects.get(action="foreign_raise")
    assert raise_event.district_id == firms["toys"].district_id
    assert raise_event.from_state == "reference" and raise_event.to_state == "pending_assessment"


def test_matched_before_screening_is_raised_on_a_later_run(firms: dict[str, Any]) -> None:
    load_and_process(SG_CSV)
    rabbit = alert("A12/00123/24")
    assert rabbit.status == AlertStatus.MATCHED and rabbit.needs_raise
    info = reference_info(rabbit.raw_item)
    counts = services.process_pending()
    assert counts["raised_later"] == 1
    rabbit.refresh_from_db()
    info.refresh_from_db()
    assert not rabbit.needs_raise and rabbit.risk_info == info
    assert info.status == RiskInfoStatus.PENDING_ASSESSMENT and info.enterprise == firms["toys"]


def test_weaker_evidence_waits_for_review(firms: dict[str, Any]) -> None:
    load_and_process(SG_CSV)
    charger = alert("A11/00310/24")  # model PG-U2 equal, the firm's product has no brand
    (m,) = charger.matches.all()
    assert (m.method, m.state) == ("model", MatchState.PENDING)
    assert charger.status == AlertStatus.REVIEW and charger.enterprise is None
    doll = alert("A12/00124/24")  # brand Starlet is a brand alias
    (d,) = doll.matches.all()
    assert (d.method, d.state, d.enterprise) == ("brand_alias", "pending", firms["starlet"])
    knife = alert("A12/00160/24")
    assert knife.status == AlertStatus.NO_MATCH and not knife.matches.exists()


def test_the_task_runs_the_service(firms: dict[str, Any]) -> None:
    services.ingest_foreign_file(SG_JSON)
    from pqrisk.celery import app

    result = app.tasks[process_foreign.name].delay().get()
    assert result["tagged"] == 2


def test_real_screening_then_processing_raises(firms: dict[str, Any]) -> None:
    from pqrisk.screening.services import screen_pending

    services.ingest_foreign_file(SG_CSV)
    screen_pending()
    services.process_pending()
    rabbit = alert("A12/00123/24")
    assert rabbit.risk_info is not None
    assert rabbit.risk_info.status == RiskInfoStatus.PENDING_ASSESSMENT
    assert rabbit.risk_info.enterprise == firms["toys"]
    others = RiskInfo.objects.filter(source_kind="foreign_recall").exclude(pk=rabbit.risk_info.pk)
    assert set(others.values_list("status", flat=True)) <= {"reference", "duplicate"}
    assert ForeignMatch.objects.filter(state=MatchState.AUTO_CONFIRMED).count() == 1


SHARED_RECENT = Path("/work/shared/data/cpsc_recalls_recent.csv")


@pytest.mark.skipif(not SHARED_RECENT.exists(), reason="shared data absent")
def test_demo_aliases_make_shared_cpsc_recalls_match_demo_firms(firms: dict[str, Any]) -> None:
    from pqrisk.foreign.demo import DEMO_ALIASES, seed_demo_aliases
    from pqrisk.reference.models import ProductCategory

    firms["toys"].products.add(ProductCategory.objects.get(code="04"))
    assert seed_demo_aliases() == len(DEMO_ALIASES)
    assert seed_demo_aliases() == 0  # idempotent
    result = services.ingest_foreign_file(SHARED_RECENT)
    assert result.accepted == 289
    services.process_pending()
    starmatrix = alert("26227")
    assert starmatrix.status == AlertStatus.MATCHED and starmatrix.enterprise == firms["toys"]
    assert alert("26408").status == AlertStatus.REVIEW
    assert ForeignAlert.objects.filter(status=AlertStatus.MATCHED).count() >= 4


def test_record_matching_afterwards_keeps_the_firm_of_the_foreign_match(
    firms: dict[str, Any],
) -> None:
    from pqrisk.enterprises.matching import match_pending

    services.ingest_foreign_file(SG_CSV)
    for item in services.pending_items():
        reference_info(item)
    services.process_pending()
    info = alert("A12/00123/24").risk_info
    assert info is not None and info.enterprise == firms["toys"]
    match_pending()  # the record matcher knows no English names: it must not unlink
    info.refresh_from_db()
    assert info.enterprise == firms["toys"] and info.status == RiskInfoStatus.PENDING_ASSESSMENT
