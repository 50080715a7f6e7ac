"""Print how well the taxonomies cover the shared reference data.

Run as ``python -m pqrisk.taxonomy.coverage [DATA_DIR]``; DATA_DIR defaults to the shared data
folder next to the repository (``../shared/data``). Figures:

- CPSC legacy recalls whose hazard labels all map to a hazard type;
- recent CPSC hazard statements tagged by ``hazards_for_text_en`` (the statements are cut to
  120 characters at the source, so the title is also tried as a second figure);
- EU Safety Gate product categories that map to a catalogue family, and which do not;
- Safety Gate risk types mapped to a hazard type.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pqrisk.taxonomy.loader import (
    hazards_for_cpsc,
    hazards_for_safety_gate,
    hazards_for_text_en,
    load_products,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass(frozen=True)
class Share:
    hits: int
    total: int

    def __str__(self) -> str:
        percent = 100 * self.hits / self.total if self.total else 0.0
        return f"{self.hits}/{self.total} ({percent:.1f} %)"


def cpsc_legacy_coverage(data_dir: Path) -> tuple[Share, Share, list[str]]:
    """(records with every label mapped, distinct labels mapped, unmapped labels)."""
    records_with_hazards = records_mapped = 0
    labels: Counter[str] = Counter()
    with (data_dir / "cpsc_recalls_legacy.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            hazards = json.loads(line).get("hazards") or []
            if not hazards:
                continue
            records_with_hazards += 1
            labels.update(hazards)
            if all(hazards_for_cpsc(label) for label in hazards):
                records_mapped += 1
    unmapped = sorted(label for label in labels if not hazards_for_cpsc(label))
    return (
        Share(records_mapped, records_with_hazards),
        Share(len(labels) - len(unmapped), len(labels)),
        unmapped,
    )


def cpsc_recent_coverage(data_dir: Path) -> tuple[Share, Share, Counter[str], list[str]]:
    """(statements tagged, statement-or-title tagged, tag counts, untagged statements)."""
    tagged = tagged_with_title = total = 0
    counts: Counter[str] = Counter()
    untagged: list[str] = []
    with (data_dir / "cpsc_recalls_recent.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            total += 1
            codes = hazards_for_text_en(row["hazards"])
            counts.update(codes)
            if codes:
                tagged += 1
            else:
                untagged.append(row["hazards"] or f"(empty; title: {row['title']})")
            if codes or hazards_for_text_en(row["title"]):
                tagged_with_title += 1
    return Share(tagged, total), Share(tagged_with_title, total), counts, untagged


def safety_gate_coverage(data_dir: Path) -> tuple[Share, dict[str, set[str]], list[str], Share]:
    """(categories mapped, category → family codes, unmapped categories, risk types mapped)."""
    categories: list[str] = []
    risk_types: list[str] = []
    with (data_dir / "safety_gate_taxonomy.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            (categories if row["kind"] == "product_category" else risk_types).append(row["value"])
    families: dict[str, set[str]] = {}
    for product in load_products():
        if product.safety_gate_category:
            families.setdefault(product.safety_gate_category, set()).add(product.family_code)
    unmapped = [category for category in categories if category not in families]
    risk_mapped = sum(1 for risk_type in risk_types if hazards_for_safety_gate(risk_type))
    return (
        Share(len(categories) - len(unmapped), len(categories)),
        families,
        unmapped,
        Share(risk_mapped, len(risk_types)),
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else DEFAULT_DATA_DIR
    if not data_dir.is_dir():
        print(f"shared data folder not found: {data_dir}", file=sys.stderr)
        return 2

    records, labels, unmapped_labels = cpsc_legacy_coverage(data_dir)
    print("CPSC legacy recalls (cpsc_recalls_legacy.jsonl)")
    print(f"  records whose hazard labels all map: {records}")
    print(f"  distinct hazard labels mapped:       {labels}")
    if unmapped_labels:
        print(f"  unmapped labels: {', '.join(unmapped_labels)}")

    statements, with_title, counts, untagged = cpsc_recent_coverage(data_dir)
    print("CPSC recent recalls (cpsc_recalls_recent.csv), hazards_for_text_en")
    print(f"  hazard statements tagged:            {statements}")
    print(f"  statement or title tagged:           {with_title}")
    print("  tags: " + ", ".join(f"{code} {n}" for code, n in counts.most_common()))
    print(f"  untagged statements ({len(untagged)}):")
    for text in untagged:
        print(f"    - {text}")

    categories, families, unmapped_categories, risk_types = safety_gate_coverage(data_dir)
    print("EU Safety Gate (safety_gate_taxonomy.csv)")
    print(f"  risk types mapped to a hazard:       {risk_types}")
    print(f"  product categories mapped to a family: {categories}")
    for category in sorted(families):
        print(f"    {category} → {', '.join(sorted(families[category]))}")
    print(f"  not mapped: {', '.join(unmapped_categories) if unmapped_categories else '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
