"""Event clustering: items about the same incident become one event, incrementally.

An incident is named by what went wrong (product category and hazard) and where or by whom:
the enterprise when one is known, else the place. Items with that key join the open event
whose last item is within the time window; otherwise they open a new event. An item arriving
late (earlier than the event's first item) joins too when it is within the window, and moves
the first-seen time back. Items without a product or a hazard are not clustered: they are
not yet about an incident the platform can name.

The window is a project setting (``PQRISK_EVENT_WINDOW_DAYS``); 14 days by default is our
choice, about the time a spate of reports about one batch keeps arriving.

State is plain data (``to_dict`` / ``from_dict``), so the CLI can keep it in a file and the
Django side in a table; events older than the window behind the newest item are closed and
dropped from the in-memory index, which keeps memory bounded on a long stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEFAULT_WINDOW = timedelta(days=14)


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

    def key(self) -> tuple[str, str, str] | None:
        """The incident this item is about, or None when it names no product or hazard."""
        if not self.product or not self.hazard:
            return None
        if self.enterprise:
            return (self.product, self.hazard, f"enterprise:{self.enterprise}")
        if self.place:
            return (self.product, self.hazard, f"place:{self.place}")
        return (self.product, self.hazard, "anywhere")


@dataclass
class Event:
    event_id: str
    key: tuple[str, str, str]
    first_seen: datetime
    last_seen: datetime
    count: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    first_item: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "key": list(self.key),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "count": self.count,
            "sources": dict(self.sources),
            "first_item": self.first_item,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        product, hazard, where = data["key"]
        return cls(
            event_id=data["event_id"],
            key=(product, hazard, where),
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            count=int(data["count"]),
            sources=Counter(data.get("sources") or {}),
            first_item=data.get("first_item", ""),
        )


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
    ) -> None:
        """``new_id(key, first_item)``, when given, names each new event (the Django side
        stores the event and uses its primary key); otherwise events are ``prefix`` + n."""
        if window <= timedelta(0):
            raise ValueError("the event window must be positive")
        self.window = window
        self.prefix = prefix
        self.new_id = new_id
        self._open: dict[tuple[str, str, str], list[Event]] = {}
        self._by_id: dict[str, Event] = {}
        self._next = 1
        self._newest: datetime | None = None
        self._assigned = 0

    def __len__(self) -> int:
        return sum(len(events) for events in self._open.values())

    def assign(self, item: EventItem) -> Assignment | None:
        """The event ``item`` belongs to (opened if needed); None for an item without a key."""
        key = item.key()
        if key is None:
            return None
        event = self._find(key, item.when)
        is_new = event is None
        if event is None:
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

    def rename(self, old: str, new: str) -> None:
        """Give an open event another id (the Django side names a new event by its row's
        primary key once the row is stored)."""
        event = self._by_id.pop(old)
        event.event_id = new
        self._by_id[new] = event

    def event(self, event_id: str) -> Event | None:
        return self._by_id.get(event_id)

    def _add(self, event: Event) -> None:
        self._open.setdefault(event.key, []).append(event)
        self._by_id[event.event_id] = event

    def _find(self, key: tuple[str, str, str], when: datetime) -> Event | None:
        best: Event | None = None
        for event in self._open.get(key, ()):
            if event.first_seen - self.window <= when <= event.last_seen + self.window and (
                best is None or event.last_seen > best.last_seen
            ):
                best = event
        return best

    def _note_time(self, when: datetime) -> None:
        self._assigned += 1
        if self._newest is None or when > self._newest:
            self._newest = when
        if self._assigned % 1000 == 0:
            self.close_before(self._newest - 2 * self.window)

    def close_before(self, moment: datetime) -> list[Event]:
        """Drop events whose last item is before ``moment``; return them."""
        closed: list[Event] = []
        for key in list(self._open):
            keep = [e for e in self._open[key] if e.last_seen >= moment]
            closed.extend(e for e in self._open[key] if e.last_seen < moment)
            if keep:
                self._open[key] = keep
            else:
                del self._open[key]
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
            event = Event.from_dict(raw)
            clusterer._add(event)
            if clusterer._newest is None or event.last_seen > clusterer._newest:
                clusterer._newest = event.last_seen
        return clusterer
