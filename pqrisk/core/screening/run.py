"""``pqrisk screen``: screen a JSONL file into a JSONL file, with no database.

Input lines are ``{"id", "text", "title"?, "source"?, "published_at"?, "url"?}``; the output
has one line per input line, in order (see ``Screener`` for the fields). A line that cannot
be read (bad JSON, undecodable bytes, over 1 MB) still gets its output line, with ``error``
and ``line`` set. With ``state_dir`` the dedup index and the open events are loaded before
and saved after the run, so the next file is checked against this one.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from pqrisk.core.screening.events import EventClusterer
from pqrisk.core.screening.neardup import NearDupIndex
from pqrisk.core.screening.screen import RelevanceScorer, Screener
from pqrisk.sources.readers import open_input, read_jsonl
from pqrisk.sources.records import RecordRejected

INDEX_FILE = "neardup.npz"
EVENTS_FILE = "events.json"

ProgressFactory = Callable[..., AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class ScreenStats:
    items: int
    errors: int
    duplicates: int
    relevant: int
    events: int
    seconds: float
    peak_rss_mib: float

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    @property
    def summary_zh(self) -> str:
        return (
            f"筛查 {self.items} 条（{self.per_second:,.0f} 条/秒，用时 {self.seconds:.1f} 秒，"
            f"内存峰值 {self.peak_rss_mib:.0f} MiB）：重复 {self.duplicates} 条，"
            f"相关 {self.relevant} 条，归入 {self.events} 个事件，出错 {self.errors} 条"
        )


class ClassifierRelevance:
    """A binary ``TextClassifier`` as a ``RelevanceScorer``: the probability of its positive
    label, and its threshold (0.5 when it was trained without one)."""

    def __init__(self, model: Any) -> None:
        meta = model.metadata
        if meta.positive_label is None:
            raise ValueError(
                "该模型不是相关性模型（需为二分类并指定正类，见 pqrisk classify train）"
            )
        self.model = model
        self.threshold = 0.5 if meta.threshold is None else float(meta.threshold)
        self._column = list(model.labels).index(meta.positive_label)

    def scores(self, texts: Sequence[str]) -> Sequence[float]:
        return [float(p) for p in self.model.predict_proba(texts)[:, self._column]]


def load_relevance(model_path: Path | None) -> RelevanceScorer | None:
    """The relevance model saved by ``pqrisk classify train``, or None."""
    if model_path is None:
        return None
    from pqrisk.core.screening.classify import TextClassifier

    return ClassifierRelevance(TextClassifier.load(model_path))


def _entries(input_path: Path) -> tuple[Iterator[Any], Callable[[], None]]:
    """(line number, value or exception) pairs from the input file or stdin."""
    stream = open_input(input_path)
    name = "stdin" if str(input_path) == "-" else input_path.name

    def values() -> Iterator[Any]:
        for entry in read_jsonl(stream, name):
            yield entry.location.rsplit(":", 1)[-1], entry.value

    return values(), stream.close


def run_screen(
    input_path: Path,
    output_path: Path,
    *,
    state_dir: Path | None = None,
    model_path: Path | None = None,
    reference_date: date | None = None,
    progress: ProgressFactory | None = None,
) -> ScreenStats:
    """Screen ``input_path`` into ``output_path``; return the counts and the throughput."""
    index = NearDupIndex()
    clusterer = EventClusterer()
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
        index = NearDupIndex.load_or_new(state_dir / INDEX_FILE)
        saved = state_dir / EVENTS_FILE
        if saved.exists():
            clusterer = EventClusterer.from_dict(json.loads(saved.read_text("utf-8")))
    screener = Screener(
        index=index,
        clusterer=clusterer,
        relevance=load_relevance(model_path),
        reference_date=reference_date,
    )
    # The lexicons, gazetteer and models just built live as long as the process: move them
    # out of the collector's sight, so full collections do not walk them again and again
    # (measured: about 7 % of screening time).
    gc.collect()
    gc.freeze()
    try:
        entries, close = _entries(input_path)
    except RecordRejected as exc:
        raise ValueError(exc.message_zh) from exc
    lines: deque[str] = deque()  # line numbers of items read but not yet written
    counts = {"items": 0, "errors": 0, "duplicates": 0, "relevant": 0}
    events: set[str] = set()
    started = time.perf_counter()

    def items() -> Iterator[Any]:
        for line, value in entries:
            lines.append(line)
            yield value

    bar = progress("筛查", unit="条") if progress else contextlib.nullcontext(None)
    out_cm = (
        contextlib.nullcontext(sys.stdout.buffer)
        if str(output_path) == "-"
        else output_path.open("wb")
    )
    try:
        with out_cm as out, bar as advance:
            for result in screener.screen(items()):
                line = lines.popleft()
                if result.get("error"):
                    result["line"] = int(line) if line.isdigit() else line
                    counts["errors"] += 1
                else:
                    counts["duplicates"] += result["duplicate_of"] is not None
                    counts["relevant"] += bool(result["relevant"])
                    if result["event_id"]:
                        events.add(result["event_id"])
                counts["items"] += 1
                out.write(orjson.dumps(result) + b"\n")
                if advance is not None:
                    advance(1)
    finally:
        close()
    seconds = time.perf_counter() - started
    if state_dir is not None:
        index.save(state_dir / INDEX_FILE)
        (state_dir / EVENTS_FILE).write_text(
            json.dumps(clusterer.to_dict(), ensure_ascii=False), "utf-8"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ScreenStats(
        counts["items"],
        counts["errors"],
        counts["duplicates"],
        counts["relevant"],
        len(events),
        seconds,
        rss,
    )
