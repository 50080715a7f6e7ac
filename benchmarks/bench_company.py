"""Enterprise-name parsing and mention finding against the labelled names.

Usage: .venv/bin/python benchmarks/bench_company.py [--brands] [--errors N]

Names: benchmarks/data/company_names_labelled.jsonl — "composed" rows are built by
scripts/build_company_dicts.py from the brand words held out of the build (the parser never
saw them), "hand" rows are realistic names written and labelled by hand. Prints per-field
accuracy, the share of all fields right, the share of names with every field right and
throughput, for the parser and for a baseline (longest organisation form stripped, longest
place prefix, the rest is the brand). ``--brands`` also runs the parser with the build part
of brand.txt as a tie-breaker (needs ../shared/data). Mention finding is measured on the
names put into sentences of complaint and news style.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.text.company import (
    CompanyDictionaries,
    CompanyMentionFinder,
    CompanyName,
    CompanyNameParser,
    clean_company_name,
)

ROOT = Path(__file__).resolve().parents[1]

LABELLED = ROOT / "benchmarks" / "data" / "company_names_labelled.jsonl"
FIELDS = ("place", "brand", "industry", "org_form", "branch")
SENTENCES = (
    "{}生产的电热水壶在使用中发生漏电。",
    "消费者投诉{}销售的儿童玩具存在小零件脱落风险",
    "据市场监管部门通报，{}的产品抽检不合格。",
    "标称{}制造的电动自行车充电器起火",
    "我在{}买的插座冒烟了，希望尽快处理",
)


def baseline(d: CompanyDictionaries) -> Callable[[str], CompanyName]:
    """Suffix strip and longest place prefix, nothing else."""

    def parse(name: str) -> CompanyName:
        text = clean_company_name(name)
        head, form = text, ""
        for f in d.org_forms:
            if text.endswith(f):
                head, form = text[: -len(f)], f
                break
        place = next(
            (head[:n] for n in range(min(d.max_place, len(head)), 1, -1) if head[:n] in d.places),
            "",
        )
        return CompanyName(text, place, head[len(place) :], "", form, "")

    return parse


def score(rows: list[dict[str, str]], parse: Callable[[str], CompanyName]) -> dict[str, float]:
    right = dict.fromkeys(FIELDS, 0)
    whole = 0
    for row in rows:
        got = parse(row["name"])
        ok = [getattr(got, f) == row[f] for f in FIELDS]
        for f, good in zip(FIELDS, ok, strict=True):
            right[f] += good
        whole += all(ok)
    n = len(rows)
    out = {f: right[f] / n for f in FIELDS}
    out["fields"] = sum(right.values()) / (n * len(FIELDS))
    out["names"] = whole / n
    return out


def errors(
    rows: list[dict[str, str]], parse: Callable[[str], CompanyName], limit: int
) -> list[str]:
    out = []
    for row in rows:
        got = parse(row["name"])
        wrong = [f"{f}={getattr(got, f)!r}≠{row[f]!r}" for f in FIELDS if getattr(got, f) != row[f]]
        if wrong:
            out.append(f"  {row['name']}: {', '.join(wrong)}")
    return out[:limit]


def throughput(parse: Callable[[str], CompanyName], names: list[str], repeat: int = 10) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        for name in names:
            parse(name)
    return len(names) * repeat / (time.perf_counter() - t)


def brand_dictionaries() -> CompanyDictionaries | None:
    shared = ROOT.parent / "shared" / "data" / "companyname_dicts" / "brand.txt"
    if not shared.exists():
        print(f"--brands: {shared} not found; skipped")
        return None
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_company_dicts import is_held_out

    d = CompanyDictionaries.load()
    words = shared.read_text(encoding="utf-8").split()
    d.brands = frozenset(w for w in words if not is_held_out(w))
    return d


def mention_scores(rows: list[dict[str, str]], finder: CompanyMentionFinder) -> tuple[float, float]:
    """Share of names found with exactly their span, and false mentions per sentence."""
    exact = extra = total = 0
    for i, row in enumerate(rows):
        name = clean_company_name(row["name"])
        if not row["org_form"]:
            continue  # mentions are found by their organisation form
        template = SENTENCES[i % len(SENTENCES)]
        text = template.format(name)
        start = template.index("{}")
        found = finder.find(text)
        total += 1
        exact += any(m.start == start and m.end == start + len(name) for m in found)
        extra += sum(not (m.start == start and m.end == start + len(name)) for m in found)
    return exact / total, extra / total


def screening_items_line(parser: CompanyNameParser, n: int = 5000) -> str:
    """Time per item on the ~300-character items of benchmarks/bench_screen.py, for a new
    finder (every name, place and run met for the first time) and for one that has seen them."""
    import logging

    import jieba

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_screen import make_items

    texts = [item["text"] for item in make_items(n)[0]]
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # about a second, once per process: the first run to segment pays it
    finder = CompanyMentionFinder(parser)
    per_item = []
    for _ in range(2):
        t = time.perf_counter()
        for text in texts:
            finder.find(text)
        per_item.append((time.perf_counter() - t) / len(texts) * 1000)
    return (
        f"mention finding, {n} screening items: {per_item[0]:.3f} ms/item new finder, "
        f"{per_item[1]:.3f} ms/item seen before"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--brands", action="store_true", help="also with the brand list (shared data)")
    ap.add_argument("--errors", type=int, default=0, help="show up to N wrong names per set")
    args = ap.parse_args()
    with LABELLED.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    sets = {
        "composed": [r for r in rows if r["set"] == "composed"],
        "hand": [r for r in rows if r["set"] == "hand"],
        "all": rows,
    }
    t = time.perf_counter()
    d = CompanyDictionaries.load()
    parser = CompanyNameParser(d)
    print(f"dictionaries load              {time.perf_counter() - t:7.3f} s")
    runs: list[tuple[str, Callable[[str], CompanyName]]] = [
        ("baseline", baseline(d)),
        ("parser", parser.parse),
    ]
    if args.brands:
        bd = brand_dictionaries()
        if bd is not None:
            runs.append(("parser+brands", CompanyNameParser(bd).parse))
    header = f"{'':14s} {'set':9s} {'n':>5s} " + " ".join(f"{f:>8s}" for f in FIELDS)
    print(header + f" {'fields':>7s} {'names':>7s}")
    for label, parse in runs:
        for set_name, subset in sets.items():
            s = score(subset, parse)
            cells = " ".join(f"{s[f]:8.1%}" for f in FIELDS)
            print(
                f"{label:14s} {set_name:9s} {len(subset):5d} {cells} "
                f"{s['fields']:7.1%} {s['names']:7.1%}"
            )
    names = [r["name"] for r in rows]
    for label, parse in runs:
        print(f"throughput {label:14s} {throughput(parse, names):10.0f} names/s")
    finder = CompanyMentionFinder(parser)
    for set_name, subset in sets.items():
        found, extra = mention_scores(subset, finder)
        print(f"mentions in {set_name:9s} exact span {found:6.1%}  extra {extra:.3f} per sentence")
    sentences = [SENTENCES[n % len(SENTENCES)].format(r["name"]) for n, r in enumerate(rows)]
    # A finder keeps the names it parsed: a new one sees every name for the first time.
    fresh = CompanyMentionFinder(parser)
    t = time.perf_counter()
    for text in sentences:
        fresh.find(text)
    rate = len(sentences) / (time.perf_counter() - t)
    print(f"mention finding, new finder     {rate:10.0f} sentences/s")
    print(screening_items_line(parser))
    t = time.perf_counter()
    n = 0
    for r in rows:
        finder.find(SENTENCES[n % len(SENTENCES)].format(r["name"]))
        n += 1
    print(f"mention finding throughput      {n / (time.perf_counter() - t):10.0f} sentences/s")
    if args.errors:
        for set_name in ("composed", "hand"):
            print(f"wrong names ({set_name}, parser):")
            print("\n".join(errors(sets[set_name], parser.parse, args.errors)))


if __name__ == "__main__":
    main()
