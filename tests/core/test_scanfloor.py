"""The scan floor: a scan's reach becomes the floor only when a later scan, started at least
the grace period after it, has also run to the end."""

from __future__ import annotations

from pqrisk.core.scanfloor import ScanFloor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_floor_waits_for_a_scan_started_after_the_grace() -> None:
    clock = Clock()
    floor = ScanFloor(grace=60.0, clock=clock)
    first = floor.begin("db")
    assert first.floor == 0
    floor.completed(first, reached=100)
    clock.now = 30.0
    second = floor.begin("db")  # within the grace: a transaction open at the first may
    floor.completed(second, reached=150)  # still have been open when this one began
    assert floor.floor("db") == 0
    clock.now = 61.0
    third = floor.begin("db")
    assert third.floor == 0  # still scans from the old floor ...
    floor.completed(third, reached=180)
    assert floor.floor("db") == 100  # ... and, having run to the end, confirms the first
    clock.now = 95.0
    floor.completed(floor.begin("db"), reached=200)
    assert floor.floor("db") == 150


def test_a_scan_that_does_not_complete_confirms_nothing() -> None:
    clock = Clock()
    floor = ScanFloor(grace=0.0, clock=clock)
    floor.completed(floor.begin("db"), reached=10)
    clock.now = 1.0
    floor.begin("db")  # cut short: never completed
    assert floor.floor("db") == 0
    clock.now = 2.0
    floor.completed(floor.begin("db"), reached=20)
    assert floor.floor("db") == 10


def test_floors_are_per_database_and_can_be_forgotten() -> None:
    floor = ScanFloor(grace=0.0)
    floor.completed(floor.begin("a"), reached=10)
    floor.completed(floor.begin("a"), reached=20)
    assert floor.floor("a") == 10 and floor.floor("b") == 0
    floor.forget("a")
    assert floor.floor("a") == 0
