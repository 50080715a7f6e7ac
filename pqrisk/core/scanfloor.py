"""Where a scan for new rows may start: the floor below which every row has been handled.

A pipeline step that takes "rows not handled yet" (``NOT EXISTS`` the row of the next step)
costs what the table holds if it starts at id 0 every time. A step that runs every few
seconds should cost what is new.

A scan that runs to the end has handled every id up to the highest one visible when it
started (``reached``), except rows of transactions still open then: their ids were drawn
earlier, and the rows appear later, below ids already handled. So ``reached`` becomes the
floor only once a later scan, started at least ``grace`` seconds after that one, has also
run to the end from the floor before: any transaction open at the first scan and shorter
than ``grace`` had committed when the second started, and the second saw its rows. A
transaction open longer is left to the periodic sweep from id 0, which loses nothing.

Floors are kept per database (``token``: the database's screening index token), in the
process that ran the scans; a new process starts from 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scan:
    """A scan begun: where it starts and when."""

    token: str
    floor: int
    started: float


class ScanFloor:
    """Floors per database token; thread-safe; ``clock`` for tests."""

    def __init__(self, grace: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self._clock = clock
        self._lock = threading.Lock()
        self._floor: dict[str, int] = {}
        self._unconfirmed: dict[str, list[tuple[float, int]]] = {}

    def begin(self, token: str) -> Scan:
        """A scan of ``token``'s table starts now, above the floor."""
        with self._lock:
            return Scan(token, self._floor.get(token, 0), self._clock())

    def completed(self, scan: Scan, reached: int) -> None:
        """``scan`` ran to the end; ``reached`` was the highest id visible when it began."""
        with self._lock:
            pending = self._unconfirmed.setdefault(scan.token, [])
            confirmed = [r for t, r in pending if t <= scan.started - self.grace]
            if confirmed:
                self._floor[scan.token] = max(self._floor.get(scan.token, 0), *confirmed)
            pending[:] = [(t, r) for t, r in pending if t > scan.started - self.grace]
            pending.append((scan.started, reached))

    def floor(self, token: str) -> int:
        with self._lock:
            return self._floor.get(token, 0)

    def forget(self, token: str | None = None) -> None:
        """Start again from 0 (for ``token``, or for every database)."""
        with self._lock:
            if token is None:
                self._floor.clear()
                self._unconfirmed.clear()
            else:
                self._floor.pop(token, None)
                self._unconfirmed.pop(token, None)
