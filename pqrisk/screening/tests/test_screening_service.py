"""Screening stored items: near-duplicates across runs, events, evidence, enterprises."""

from __future__ import annotations

import json

import pytest
from django.utils.timezone import localtime

from pqrisk.enterprises.models import Product
from pqrisk.intake.models import RawItem
from pqrisk.screening import index as dedup_index
from pqrisk.screening.models import IndexState, RiskInfo
from pqrisk.screening.services import screen_pending, screen_raw_items
from pqrisk.screening.tests.records import complaint, ingest
from pqrisk.web.tests.factories import enterprise

pytestmark = pytest.mark.django_db

HEATER = (
    "消费者投诉称，在本市浦东新区某商场购买的取暖器使用两小时后外壳过热熔化并冒出黑烟，"
    "险些引发火灾，家中老人被烫伤起了水泡，要求商家退货赔偿并请监管部门调查处理。"
)


def _info(external_id: str) -> RiskInfo:
    return RiskInfo.objects.get(raw_item__external_id=external_id)


def test_a_repost_in_a_later_run_points_to_the_first_item_through_the_saved_index() -> None:
    ingest(complaint("C-1", HEATER))
    screen_pending()
    assert (dedup_index.state_dir() / dedup_index.INDEX_FILE).exists()
    dedup_index.forget()  # a new process: the index comes from the file
    ingest(complaint("C-2", "转发：" + HEATER.replace("，", ",") + "（来源：网友爆料）"))
    screen_pending()
    first, second = _info("C-1"), _info("C-2")
    assert second.status == "duplicate"
    assert second.duplicate_of == first
    assert second.similarity is not None and second.similarity >= 0.7
    assert first.duplicate_of is None


def test_an_index_file_of_another_database_is_rebuilt_not_trusted() -> None:
    ingest(complaint("C-1", HEATER))
    screen_pending()
    dedup_index.forget()
    meta_path = dedup_index.state_dir() / dedup_index.META_FILE
    meta = json.loads(meta_path.read_text("utf-8"))
    IndexState.objects.all().delete()  # the database forgot which index it had
    cache = dedup_index.synced_index()
    assert cache.token != meta["token"]
    assert len(cache.index) == 1  # rebuilt from the stored texts
    ingest(complaint("C-2", HEATER + "。"))
    screen_pending()
    assert _info("C-2").duplicate_of == _info("C-1")


def test_items_screened_elsewhere_are_added_before_checking() -> None:
    ingest(complaint("C-1", HEATER))
    screen_pending()
    dedup_index.forget()
    (dedup_index.state_dir() / dedup_index.META_FILE).unlink()  # the file was never saved
    ingest(complaint("C-2", HEATER + "！"))
    screen_pending()
    assert _info("C-2").duplicate_of == _info("C-1")


def test_evidence_spans_point_into_the_screened_text() -> None:
    ingest(complaint("C-1", HEATER))
    screen_pending()
    info = _info("C-1")
    assert info.evidence
    for ev in info.evidence:
        assert info.screened_text[ev["start"] : ev["end"]] == ev["text"]
    fields = {ev["field"] for ev in info.evidence}
    assert {"product", "hazard", "region"} <= fields
    assert info.product_category is not None and info.hazard is not None
    assert info.district is not None and info.district.code == "310115"
    assert info.severity_hint == 1  # 水泡
    assert info.status == "pending_assessment"


def test_items_about_one_incident_form_one_event_and_a_later_one_another() -> None:
    firm = enterprise("310115", "上海暖阳电器有限公司")
    text = "上海暖阳电器有限公司生产的取暖器外壳过热起火，烧毁家中沙发，消费者要求赔偿并调查。"
    ingest(
        complaint("C-1", text, occurred_at="2026-03-02"),
        complaint(
            "C-2",
            "又一台上海暖阳电器有限公司的取暖器在使用中起火冒烟，用户投诉。",
            occurred_at="2026-03-09",
        ),
        complaint(
            "C-3",
            "上海暖阳电器有限公司取暖器使用中起火，请求监管部门处理。",
            occurred_at="2026-05-20",
        ),
        complaint("C-4", text + "（转发）", occurred_at="2026-03-03"),
    )
    screen_pending()
    one, two, three, repost = (_info(x) for x in ("C-1", "C-2", "C-3", "C-4"))
    assert one.enterprise == firm
    assert one.tags["enterprise_match"]["method"] in ("exact", "normalized", "brand")
    assert one.event is not None
    assert two.event == one.event
    assert repost.duplicate_of == one and repost.event == one.event
    assert three.event is not None and three.event != one.event
    event = one.event
    assert event.item_count == 3
    assert event.sources == {"complaint": 3}
    assert event.first_item == one
    assert event.enterprise == firm and event.district == firm.district
    assert localtime(event.first_seen).date().isoformat() == "2026-03-02"
    assert localtime(event.last_seen).date().isoformat() == "2026-03-09"


def test_a_late_item_joins_its_event_in_a_later_run_and_moves_first_seen_back() -> None:
    text = "浦东新区一名儿童玩耍时电动滑板车电池起火，手部烧伤送医，家长投诉产品质量问题。"
    ingest(complaint("C-1", text, occurred_at="2026-03-10"))
    screen_pending()
    ingest(
        complaint(
            "C-2",
            "浦东新区居民反映电动滑板车充电时电池突然起火，屋内物品被烧毁，幸无人员伤亡。",
            occurred_at="2026-03-05",
        )
    )
    screen_pending()
    one, late = _info("C-1"), _info("C-2")
    assert one.event is not None and late.event == one.event
    event = one.event
    assert event.item_count == 2
    assert localtime(event.first_seen).date().isoformat() == "2026-03-05"
    assert event.first_item == late


def test_two_registered_firms_with_one_trade_name_are_not_guessed() -> None:
    enterprise("310115", "上海同名电器有限公司")
    enterprise("310114", "上海同名电器科技有限公司")
    ingest(complaint("C-1", "同名电器生产的电暖器起火，投诉人要求调查上海同名电器公司。"))
    screen_pending()
    info = _info("C-1")
    assert info.enterprise is None


def test_a_brand_of_the_register_is_recognised_in_text() -> None:
    firm = enterprise("310115", "上海晶澜照明有限公司")
    Product.objects.create(enterprise=firm, name="LED台灯", brand="晶澜")
    ingest(complaint("C-1", "网购的晶澜台灯使用时灯头过热烫伤孩子手指，家长投诉要求退货赔偿处理。"))
    screen_pending()
    assert "晶澜" in _info("C-1").tags["brands"]


def test_an_unreadable_item_is_kept_with_its_error() -> None:
    ingest(complaint("C-1", "😀😀😀👍👍"))
    screen_pending()
    info = _info("C-1")
    assert info.status == "noise"
    assert "表情" in info.tags["error"]
    assert info.evidence == [] and info.screened_text == ""


def test_a_batch_is_screened_once_however_often_it_is_sent() -> None:
    from pqrisk.screening.tasks import screen_batch

    ingest(complaint("C-1", HEATER), complaint("C-2", HEATER.replace("浦东新区", "嘉定区")))
    raw_ids = list(RawItem.objects.order_by("id").values_list("id", flat=True))
    assert sum(screen_raw_items(raw_ids[:1]).values()) == 1
    assert sum(screen_batch.apply(args=[raw_ids]).get().values()) == 1  # as the Celery task
    assert sum(screen_raw_items(raw_ids).values()) == 0
    assert RiskInfo.objects.count() == 2


def test_the_user_dictionary_holds_the_registers_names_and_brands() -> None:
    from pqrisk.screening.services import database_user_dictionary

    firm = enterprise("310115", "上海晶澜照明有限公司")
    Product.objects.create(enterprise=firm, name="LED台灯", brand="澜光")
    words = {w.word: w.kind for w in database_user_dictionary()}
    assert words["上海晶澜照明有限公司"] == "enterprise"
    assert words["晶澜"] == "brand"  # the trade name
    assert words["澜光"] == "brand"
    assert words["电动自行车"] == "product"
    assert words["起火"] == "hazard"


def test_segment_keeps_register_words_whole() -> None:
    from click.testing import CliRunner

    from pqrisk.cli import main

    enterprise("310115", "上海晶澜照明有限公司")
    result = CliRunner().invoke(main, ["segment", "晶澜照明生产的电动自行车充电器起火"])
    assert result.exit_code == 0, result.output
    words = result.output.split()
    assert "电动自行车充电器" in words and "晶澜" in words  # a catalogue product, whole


def test_a_renamed_enterprise_is_matched_by_its_new_name() -> None:
    firm = enterprise("310115", "上海旧名电器有限公司")
    ingest(complaint("C-1", "上海旧名电器有限公司生产的取暖器起火，投诉人要求调查。"))
    screen_pending()
    assert _info("C-1").enterprise == firm
    firm.name = "上海新名电器有限公司"
    firm.save()
    ingest(complaint("C-2", "上海新名电器有限公司生产的取暖器起火，投诉人要求调查。"))
    screen_pending()
    assert _info("C-2").enterprise == firm
