"""Event clustering: one incident, one event — by product, hazard and who or where, in time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.screening.events import EventClusterer, EventItem

T0 = datetime(2026, 3, 1, 9, 0)


def item(n: int, days: float = 0, **kw: object) -> EventItem:
    values: dict[str, object] = {
        "product": "C0101",
        "hazard": "H01",
        "enterprise": "上海华东电器",
        "source": "complaint",
    }
    values.update(kw)
    return EventItem(item_id=f"i{n}", when=T0 + timedelta(days=days), **values)  # type: ignore[arg-type]


def test_reports_of_one_incident_become_one_event_with_its_sources() -> None:
    c = EventClusterer(timedelta(days=14))
    first = c.assign(item(1))
    second = c.assign(item(2, days=3, source="media"))
    third = c.assign(item(3, days=10, source="injury"))
    assert first is not None and first.is_new
    assert second is not None and third is not None
    assert second.event_id == third.event_id == first.event_id and not third.is_new
    event = c.event(first.event_id)
    assert event is not None
    assert (event.count, event.first_seen, event.first_item) == (3, T0, "i1")
    assert dict(event.sources) == {"complaint": 1, "media": 1, "injury": 1}


def test_another_enterprise_hazard_or_product_is_another_event() -> None:
    c = EventClusterer()
    base = c.assign(item(1))
    others = [
        c.assign(item(2, enterprise="上海申江实业")),
        c.assign(item(3, hazard="H02")),
        c.assign(item(4, product="C0202")),
    ]
    assert base is not None
    ids = {a.event_id for a in others if a is not None}
    assert len(ids) == 3 and base.event_id not in ids


def test_without_an_enterprise_the_place_names_the_incident() -> None:
    c = EventClusterer()
    a = c.assign(item(1, enterprise=None, place="310115"))
    b = c.assign(item(2, days=1, enterprise=None, place="310115"))
    elsewhere = c.assign(item(3, days=1, enterprise=None, place="310114"))
    assert a is not None and b is not None and elsewhere is not None
    assert a.event_id == b.event_id != elsewhere.event_id


def test_an_item_without_product_or_hazard_is_not_clustered() -> None:
    c = EventClusterer()
    assert c.assign(item(1, product=None)) is None
    assert c.assign(item(2, hazard="")) is None
    assert len(c) == 0


def test_a_quiet_spell_longer_than_the_window_starts_a_new_event() -> None:
    c = EventClusterer(timedelta(days=14))
    a = c.assign(item(1))
    b = c.assign(item(2, days=13))  # within 14 days of the last item: the event goes on
    later = c.assign(item(3, days=13 + 15))
    assert a is not None and b is not None and later is not None
    assert a.event_id == b.event_id != later.event_id and later.is_new


def test_a_late_report_of_an_earlier_day_joins_and_moves_first_seen_back() -> None:
    c = EventClusterer()
    a = c.assign(item(1, days=5))
    late = c.assign(item(2, days=1))
    assert a is not None and late is not None and late.event_id == a.event_id
    event = c.event(a.event_id)
    assert event is not None and event.first_seen == T0 + timedelta(days=1)
    assert event.first_item == "i2"


def test_a_duplicate_joins_its_originals_event() -> None:
    c = EventClusterer()
    a = c.assign(item(1))
    assert a is not None
    assert c.join(a.event_id, item(2, days=1, source="media"))
    event = c.event(a.event_id)
    assert event is not None and event.count == 2
    assert not c.join("E999", item(3))


def test_state_round_trips_and_clustering_continues() -> None:
    c = EventClusterer(timedelta(days=7), prefix="EV")
    a = c.assign(item(1))
    assert a is not None
    again = EventClusterer.from_dict(c.to_dict())
    joined = again.assign(item(2, days=2))
    fresh = again.assign(item(3, hazard="H09"))
    assert joined is not None and joined.event_id == a.event_id
    assert fresh is not None and fresh.event_id == "EV2"


def test_old_events_are_closed_so_memory_stays_bounded() -> None:
    c = EventClusterer(timedelta(days=1))
    for n in range(3000):
        c.assign(item(n, days=n, enterprise=f"企业{n}"))
    assert len(c) < 10
    with pytest.raises(ValueError):
        EventClusterer(timedelta(0))


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["H01", "H02"])), max_size=40))
def test_every_keyed_item_is_counted_once(rows: list[tuple[int, str]]) -> None:
    c = EventClusterer(timedelta(days=5))
    for n, (day, hazard) in enumerate(rows):
        c.assign(item(n, days=day, hazard=hazard))
    assert sum(e.count for e in c.events()) == len(rows)


def test_the_consumer_fire_and_the_hospital_burn_are_one_incident() -> None:
    c = EventClusterer()
    fire = c.assign(item(1, hazard="fire", brands=("泰澜",)))
    burn = c.assign(item(2, days=1, hazard="burns", enterprise=None, brands=("泰澜",)))
    shock = c.assign(item(3, days=1, hazard="electric_shock", brands=("泰澜",)))
    assert fire is not None and burn is not None and shock is not None
    assert burn.event_id == fire.event_id != shock.event_id


def test_a_seller_complaint_joins_the_makers_event_through_the_brand() -> None:
    c = EventClusterer()
    maker = c.assign(item(1, enterprise="泰澜车业", brands=("泰澜",), models=("LB-9208",)))
    seller = c.assign(item(2, days=2, enterprise="晟鑫电子商务", brands=("泰澜",)))
    by_model = c.assign(item(3, days=3, enterprise=None, models=("LB-9208",)))
    assert maker is not None and seller is not None and by_model is not None
    assert maker.event_id == seller.event_id == by_model.event_id
    event = c.event(maker.event_id)
    assert event is not None and "enterprise:晟鑫电子商务" in event.anchors


def test_hospital_cases_of_a_district_meet_the_firm_there_but_not_a_second_firm() -> None:
    c = EventClusterer()
    case = c.assign(item(1, enterprise=None, place="310114", source="injury"))
    firm = c.assign(item(2, days=1, enterprise="泰澜车业", place="310114"))
    other = c.assign(item(3, days=2, enterprise="申江实业", place="310114"))
    assert case is not None and firm is not None and other is not None
    assert firm.event_id == case.event_id != other.event_id


def test_a_generic_injury_joins_an_event_that_shares_its_anchor() -> None:
    c = EventClusterer()
    fire = c.assign(item(1, hazard="fire", brands=("泰澜",)))
    hurt = c.assign(item(2, days=1, hazard="injury_other", enterprise=None, brands=("泰澜",)))
    alone = c.assign(item(3, days=1, hazard="injury_other", enterprise=None, brands=("别牌",)))
    assert fire is not None and hurt is not None and alone is not None
    assert hurt.event_id == fire.event_id != alone.event_id


def test_an_item_naming_nothing_joins_the_only_open_event_of_its_kind() -> None:
    c = EventClusterer()
    a = c.assign(item(1))
    vague = c.assign(item(2, days=1, enterprise=None))
    assert a is not None and vague is not None and vague.event_id == a.event_id
    c.assign(item(3, days=1, enterprise="申江实业"))
    vaguer = c.assign(item(4, days=2, enterprise=None))
    assert vaguer is not None and vaguer.event_id not in (a.event_id,) and vaguer.is_new
