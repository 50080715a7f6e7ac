"""Event clustering: items about the same incident become one event, incrementally.

An incident is what went wrong (a product category and a hazard) with who or where: items
join an open event of the same product and hazard family when they share an **anchor** with
it — an enterprise, a brand or a model named by any item of the event — or, when they name
none of those, the place. Otherwise they open a new event. So the complaints naming the
maker, the media posts naming only the brand, the hospital's cases in the district and the
spot check that names the model all meet in one event, while another firm's fire in the same
district stays another event.

Rules, with reasons (our choices, measured in benchmarks/bench_events.py on the demo
generator's injected incidents):

- **hazard family**: the same incident is reported as 起火 by the consumer, 烧烫伤 by the
  hospital and 爆炸 by the lab (``HAZARD_FAMILIES``); a generic hazard (其他伤害) joins an
  event of the same product that shares an anchor, whatever its family;
- **anchors** decide among the open events of a product and family: the one sharing most
  anchors wins (then the most recent); an item whose anchors match nothing joins an event
  known only by its place (hospital cases in the district) when the places agree; an item
  with no anchor and no place joins the one open event of its product and family if there is
  exactly one, else the event of such items;
- **window**: an item joins while it is within the window of the event's first and last
  items (``PQRISK_EVENT_WINDOW_DAYS``, 14 days by default: about the time a spate of reports
  about one batch keeps arriving); a late item (earlier than the first) moves first-seen
  back. Items without a product or a hazard are not clustered: they do not yet name an
  incident.

State is plain data (``to_dict`` / ``from_dict``), so the CLI can keep it in a file and the
Django side in a table; events older than the window behind the newest item are closed and
dropped from memory (``auto_close``), which keeps memory bounded on a long stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEFAULT_WINDOW = timedelta(days=14)
# Hazards one incident is reported under by different sources (taxonomy codes → family).
HAZARD_FAMILIES = {
    "fire": "thermal",
    "burns": "thermal",
    "explosion": "thermal",
    "choking": "airway",
    "ingestion": "airway",
    "suffocation": "airway",
    "chemical": "toxic",
    "poisoning": "toxic",
    "health_risk": "toxic",
}
GENERIC_HAZARDS = frozenset({"injury_other"})
MAX_ANCHORS = 64  # per event: enough for the firms, brands and models of one incident
ANYWHERE = "anywhere"


def hazard_family(hazard: str) -> str:
    return HAZARD_FAMILIES.get(hazard, hazard)


@dataclass(frozen=True)
class EventItem:
    """What clustering needs of a screened item."""

    item_id: str
    when: datetime
    product: str | None
    hazard: str | None
    enterprise: str | None = None  # a matched enterprise id or a normalised name
    place: str | None = None  # a district or region code
    source: str = ""
    enterprises: tuple[str, ...] = ()  # more enterprises named (sellers, makers)
    brands: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def group(self) -> tuple[str, str] | None:
        """(product, hazard family), or None when the item names no product or hazard."""
        if not self.product or not self.hazard:
            return None
        return (self.product, hazard_family(self.hazard))

    def anchors(self) -> frozenset[str]:
        """Who and what the item names: enterprises, brands, models."""
        return frozenset(
            [f"enterprise:{e}" for e in (self.enterprise, *self.enterprises) if e]
            + [f"brand:{b}" for b in self.brands if b]
            + [f"model:{m}" for m in self.models if m]
        )


@dataclass
class Event:
    event_id: str
    key: tuple[str, str, str]  # product, hazard family, what named it first
    first_seen: datetime
    last_seen: datetime
    count: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    first_item: str = ""
    anchors: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)

    @property
    def group(self) -> tuple[str, str]:
        return (self.key[0], self.key[1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "key": list(self.key),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "count": self.count,
            "sources": dict(self.sources),
            "first_item": self.first_item,
            "anchors": sorted(self.anchors),
            "places": sorted(self.places),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        product, family, label = data["key"]
        return cls(
            event_id=data["event_id"],
            key=(product, family, label),
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            count=int(data["count"]),
            sources=Counter(data.get("sources") or {}),
            first_item=data.get("first_item", ""),
            anchors=set(data.get("anchors") or ()),
            places=set(data.get("places") or ()),
        )

    def _note(self, item: EventItem, anchors: frozenset[str]) -> None:
        if len(self.anchors) < MAX_ANCHORS:
            self.anchors.update(sorted(anchors)[: MAX_ANCHORS - len(self.anchors)])
        if item.place and len(self.places) < MAX_ANCHORS:
            self.places.add(item.place)


@dataclass(frozen=True)
class Assignment:
    event_id: str
    is_new: bool


class EventClusterer:
    """Assigns items to events one at a time; open events stay in memory."""

    def __init__(
        self,
        window: timedelta = DEFAULT_WINDOW,
        *,
        prefix: str = "E",
        new_id: Callable[[tuple[str, str, str], EventItem], str] | None = None,
        auto_close: bool = True,
    ) -> None:
        """``new_id(key, first_item)``, when given, names each new event; otherwise events
        are ``prefix`` + n. ``auto_close=False`` keeps every event until ``close_before``
        (the Django side loads the events a chunk may join and drops them after it)."""
        if window <= timedelta(0):
            raise ValueError("the event window must be positive")
        self.window = window
        self.prefix = prefix
        self.new_id = new_id
        self.auto_close = auto_close
        self._open: dict[str, list[Event]] = {}  # product → its open events
        self._by_id: dict[str, Event] = {}
        self._next = 1
        self._newest: datetime | None = None
        self._assigned = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def assign(self, item: EventItem) -> Assignment | None:
        """The event ``item`` belongs to (opened if needed); None for an item without a
        product or a hazard."""
        group = item.group()
        if group is None:
            return None
        anchors = item.anchors()
        event = self._find(item, group, anchors)
        is_new = event is None
        if event is None:
            label = min(anchors) if anchors else f"place:{item.place}" if item.place else ANYWHERE
            key = (group[0], group[1], label)
            if self.new_id is not None:
                event_id = self.new_id(key, item)
            else:
                event_id = f"{self.prefix}{self._next}"
                self._next += 1
            event = Event(event_id, key, item.when, item.when, first_item=item.item_id)
            self._add(event)
        elif item.when < event.first_seen:
            event.first_seen, event.first_item = item.when, item.item_id
        event.last_seen = max(event.last_seen, item.when)
        event.count += 1
        event.sources[item.source or "unknown"] += 1
        event._note(item, anchors)
        self._note_time(item.when)
        return Assignment(event.event_id, is_new)

    def join(self, event_id: str, item: EventItem) -> bool:
        """Count ``item`` in an open event (a duplicate joins its original's event); False
        when the event is not open here (closed, or never seen)."""
        event = self._by_id.get(event_id)
        if event is None:
            return False
        event.count += 1
        event.sources[item.source or "unknown"] += 1
        event.last_seen = max(event.last_seen, item.when)
        return True

    def event(self, event_id: str) -> Event | None:
        return self._by_id.get(event_id)

    def add(self, event: Event) -> None:
        """Open a known event (read back from storage) so that items can join it."""
        if event.event_id in self._by_id:
            raise ValueError(f"event {event.event_id} is already open")
        self._add(event)
        if self._newest is None or event.last_seen > self._newest:
            self._newest = event.last_seen

    def rename(self, old: str, new: str) -> None:
        """Give an open event another id (the Django side names a new event by its row's
        primary key once the row is stored)."""
        event = self._by_id.pop(old)
        event.event_id = new
        self._by_id[new] = event

    def _add(self, event: Event) -> None:
        self._open.setdefault(event.key[0], []).append(event)
        self._by_id[event.event_id] = event

    def _find(
        self, item: EventItem, group: tuple[str, str], anchors: frozenset[str]
    ) -> Event | None:
        generic = item.hazard in GENERIC_HAZARDS
        near = [
            e
            for e in self._open.get(group[0], ())
            if e.first_seen - self.window <= item.when <= e.last_seen + self.window
        ]
        same = [e for e in near if e.group == group]
        if anchors:
            pool = near if generic else same
            shared = [
                (len(anchors & e.anchors), e.last_seen, e) for e in pool if anchors & e.anchors
            ]
            if shared:
                return max(shared, key=lambda s: (s[0], s[1]))[2]
            if item.place and not generic:  # hospital cases of the district, no firm named
                return _latest(e for e in same if not e.anchors and item.place in e.places)
            return None
        if item.place:
            return _latest(e for e in same if item.place in e.places)
        if len(same) == 1:
            return same[0]
        return _latest(e for e in same if e.key[2] == ANYWHERE)

    def _note_time(self, when: datetime) -> None:
        self._assigned += 1
        if self._newest is None or when > self._newest:
            self._newest = when
        if self.auto_close and self._assigned % 1000 == 0:
            self.close_before(self._newest - 2 * self.window)

    def close_before(self, moment: datetime) -> list[Event]:
        """Drop events whose last item is before ``moment``; return them."""
        closed: list[Event] = []
        for product in list(self._open):
            keep = [e for e in self._open[product] if e.last_seen >= moment]
            closed.extend(e for e in self._open[product] if e.last_seen < moment)
            if keep:
                self._open[product] = keep
            else:
                del self._open[product]
        for event in closed:
            del self._by_id[event.event_id]
        return closed

    def events(self) -> Iterable[Event]:
        for events in self._open.values():
            yield from events

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window / timedelta(days=1),
            "prefix": self.prefix,
            "next": self._next,
            "events": [e.to_dict() for e in self.events()],
        }

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        *,
        new_id: Callable[[tuple[str, str, str], EventItem], str] | None = None,
    ) -> EventClusterer:
        clusterer = cls(
            timedelta(days=float(data["window_days"])), prefix=data["prefix"], new_id=new_id
        )
        clusterer._next = int(data["next"])
        for raw in data["events"]:
            clusterer.add(Event.from_dict(raw))
        return clusterer


def _latest(events: Iterable[Event]) -> Event | None:
    return max(events, key=lambda e: e.last_seen, default=None)
