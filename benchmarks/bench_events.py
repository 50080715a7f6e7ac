"""Event clustering against the demo generator's injected incidents (ground truth).

Usage: .venv/bin/python benchmarks/bench_events.py [--seed 20261126]

Generates the demo year (2,000 enterprises, seven sources, nine injected incidents whose
records are listed in ground_truth.json), ingests and screens it on a throw-away SQLite
database, and compares the stored events with the incidents:

- pairwise recall: of the pairs of records of one incident, the share put in one event;
- pairwise precision: of the pairs (incident record, another item of its event), the share
  that belong to the same incident (background items joining an incident's event lower it);
- per incident: records, the events they were split into, the share in the largest one.

Beside it, in the same run, a reference: the same items clustered on product and hazard
alone (no enterprise or place), with the same window — what a keyword grouping would do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import UTC
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_db import screened_demo


def pairwise(
    truth: dict[str, str], assigned: dict[str, str | None], members: dict[str, list[str]]
) -> tuple[float, float]:
    """(precision, recall) of ``assigned`` (item → event or None) against ``truth``
    (incident item → incident); ``members``: event → its items."""
    by_incident: dict[str, list[str]] = defaultdict(list)
    for item, incident in truth.items():
        by_incident[incident].append(item)
    together = total = 0
    for items in by_incident.values():
        for a, b in combinations(items, 2):
            total += 1
            together += assigned.get(a) is not None and assigned.get(a) == assigned.get(b)
    right = seen = 0
    for item, incident in truth.items():
        event = assigned.get(item)
        if event is None:
            continue
        for other in members[event]:
            if other != item:
                seen += 1
                right += truth.get(other) == incident
    return (right / seen if seen else 0.0), (together / total if total else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    tmp = screened_demo(args.seed, "pqrisk-bench-events-")
    from datetime import timedelta

    from django.conf import settings

    from pqrisk.core.screening.events import EventClusterer, EventItem
    from pqrisk.screening.models import RiskInfo

    truth_file = json.loads((Path(tmp) / "demo" / "ground_truth.json").read_text("utf-8"))

    rows = list(
        RiskInfo.objects.select_related("product_category", "hazard", "raw_item").order_by(
            "raw_item_id"
        )
    )
    external = {r.pk: r.raw_item.external_id for r in rows}
    truth = {rid: e["event_id"] for e in truth_file["events"] for rid in e["record_ids"]}
    assigned: dict[str, str | None] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        ext = external[r.pk]
        assigned[ext] = str(r.event_id) if r.event_id else None
        if r.event_id:
            members[str(r.event_id)].append(ext)

    # Reference: product + hazard only, same window, same items in the same order.
    window = timedelta(days=settings.PQRISK_EVENT_WINDOW_DAYS)
    reference = EventClusterer(window)
    ref_assigned: dict[str, str | None] = {}
    ref_members: dict[str, list[str]] = defaultdict(list)
    ref_of_info: dict[int, str | None] = {}
    for r in rows:
        ext = external[r.pk]
        event: str | None = None
        if r.duplicate_of_id and r.duplicate_of_id in ref_of_info:
            event = ref_of_info[r.duplicate_of_id]
        elif r.event_id or (r.product_category and r.hazard and r.status != "reference"):
            when = (r.occurred_at or r.screened_at).astimezone(UTC).replace(tzinfo=None)
            got = reference.assign(
                EventItem(
                    ext,
                    when,
                    r.product_category.code if r.product_category else None,
                    r.hazard.code if r.hazard else None,
                )
            )
            event = got.event_id if got else None
        ref_of_info[r.pk] = event
        ref_assigned[ext] = event
        if event:
            ref_members[event].append(ext)

    screened_truth = {k: v for k, v in truth.items() if k in assigned}
    p, r = pairwise(screened_truth, assigned, members)
    rp, rr = pairwise(screened_truth, ref_assigned, ref_members)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    rf1 = 2 * rp * rr / (rp + rr) if rp + rr else 0.0
    print(
        f"{len(rows)} items screened, {len(members)} events; {len(screened_truth)} incident records"
    )
    print(f"{'':34s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
    print(f"{'events (anchors, hazard family)':34s} {p:9.3f} {r:7.3f} {f1:6.3f}")
    print(f"{'reference (product+hazard only)':34s} {rp:9.3f} {rr:7.3f} {rf1:6.3f}")
    print(f"{'incident':30s} {'records':>7s} {'events':>6s} {'largest':>7s} {'its items':>9s}")
    for e in truth_file["events"]:
        ids = [i for i in e["record_ids"] if i in assigned]
        split = Counter(assigned[i] for i in ids if assigned[i])
        top, top_n = split.most_common(1)[0] if split else (None, 0)
        size = len(members[top]) if top else 0
        print(
            f"{e['event_id']:30s} {len(ids):7d} {len(split):6d} {top_n / len(ids):7.0%} {size:9d}"
        )
    print(json.dumps({"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                      "reference_f1": round(rf1, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
