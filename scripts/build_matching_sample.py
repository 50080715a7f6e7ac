"""Build the labelled samples for cross-source matching (benchmarks/bench_matching.py).

Usage: .venv/bin/python scripts/build_matching_sample.py [--out benchmarks/data]

Two splits from two generator seeds: ``tune`` (seed 101, the only one used to set the
confidences and thresholds in pqrisk/core/screening/matching.py) and ``eval`` (seed 202,
never looked at while tuning). Each split is one gzipped JSON file with the register
(enterprises, products) and the records with their true enterprise and product.

How the truth is known: the demo generator writes the true enterprise's USCC and name on
each record it builds for an enterprise (``pqrisk/demo/generator.py``, ``record``). Records
whose truth the generator does not keep (complaints and media posts it has already
stripped of the code) are left out; injuries name no enterprise and their truth is "none".
On the rest this script writes what other sources do to a name, seeded: drops the USCC,
drops the city and the legal form as consumers do, writes the place in brackets or as 上海市,
full-width letters and stray spaces, leaves the name only in the text. Hard cases:

- 10 % of the generator's enterprises are left out of the register: their records must
  match nothing (a false match there is a precision error);
- confusable enterprises are registered beside real ones: the same trade name and industry
  in another province (江苏…), the same trade name in another industry in Shanghai;
- 300 labelled enterprise names from the shared companynameparser data
  (benchmarks/data/company_names_labelled.jsonl, from ../shared/data) are registered as
  further distractors, and 100 of them are named by records (exact or with variants).

Products are registered from 60 % of the (enterprise, brand, model) triples the records
carry, half of them with a synthetic GTIN (GS1 China prefix 690–699, valid check digit),
which 30 % of their records quote.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pqrisk.core.text.company import find_company_mentions, parse_company  # noqa: E402
from pqrisk.demo.generator import generate  # noqa: E402

SPLITS = {"tune": 101, "eval": 202}
LABELLED_NAMES = ROOT / "benchmarks" / "data" / "company_names_labelled.jsonl"
OTHER_PROVINCES = ("江苏", "浙江", "安徽", "江苏省苏州市", "浙江省嘉兴市")
OTHER_INDUSTRIES = ("贸易", "网络科技", "餐饮管理", "建筑装饰工程")


def gtin13(rng: random.Random) -> str:
    body = f"69{rng.randint(0, 9)}" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def variant(rng: random.Random, name: str) -> tuple[str, str]:
    """One spelling of ``name`` as another source writes it, and the kind of change."""
    roll = rng.random()
    if roll < 0.45:
        return name, "exact"
    if roll < 0.62 and name.startswith("上海") and name.endswith("有限公司"):
        return name.removeprefix("上海").removesuffix("有限公司") + "公司", "consumer"
    if roll < 0.72 and name.startswith("上海") and not name.startswith("上海市"):
        return "上海市" + name.removeprefix("上海"), "city_prefix"
    if roll < 0.82 and name.startswith("上海") and name.endswith("有限公司"):
        return name.removeprefix("上海").removesuffix("有限公司") + "（上海）有限公司", "bracket"
    if roll < 0.92:
        wide = name.replace("(", "（").replace(")", "）")
        k = rng.randrange(1, max(2, len(wide) - 1))
        return wide[:k] + " " + wide[k:], "spaced"
    return name, "exact"


def build(split: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed * 7919)
    ds = generate(seed=seed, n_enterprises=800, days=180, scale=0.3)
    ents = list(ds.enterprises)
    held_out = {e["uscc"] for e in rng.sample(ents, k=len(ents) // 10)}
    register: list[dict[str, Any]] = []
    for e in ents:
        if e["uscc"] in held_out:
            continue
        register.append(
            {
                "id": e["uscc"],
                "name": e["name"],
                "uscc": e["uscc"],
                "district": e["district_code"],
                "categories": e["product_codes"],
            }
        )
    # Confusable enterprises (no USCC in the sample register: they are matched by name).
    for e in rng.sample(ents, k=len(ents) // 8):
        c = parse_company(e["name"])
        if not c.brand or not e["name"].startswith("上海"):
            continue
        if rng.random() < 0.5:
            name = f"{rng.choice(OTHER_PROVINCES)}{c.brand}{c.industry}{c.org_form}"
        else:
            name = f"上海{c.brand}{rng.choice(OTHER_INDUSTRIES)}{c.org_form or '有限公司'}"
        if all(r["name"] != name for r in register):
            register.append({"id": f"X-{len(register)}", "name": name, "uscc": "", "district": ""})
    # Shared-data distractors, some of which records name.
    shared = [json.loads(line) for line in LABELLED_NAMES.read_text(encoding="utf-8").splitlines()]
    shared_rng = random.Random(seed)
    picked = shared_rng.sample(shared, k=300)
    for i, row in enumerate(picked):
        register.append({"id": f"S-{i}", "name": row["name"], "uscc": "", "district": ""})
    by_id = {r["id"]: r for r in register}

    records: list[dict[str, Any]] = []
    triples: dict[tuple[str, str, str], str] = {}
    for rec in ds.records:
        uscc = rec.get("enterprise_uscc") or ""
        if not uscc and rec["source"] != "injury":
            continue  # the generator no longer knows who it was about
        facts: dict[str, Any] = {
            "uscc": "",
            "names": [],
            "mentions": [],
            "brand": rec.get("brand") or "",
            "model": rec.get("model") or "",
            "gtins": [],
            "district": rec.get("district") or "",
            "category": rec.get("product_code") or "",
        }
        kind = "none"
        if uscc:
            name = rec["enterprise_name"]
            if rng.random() < 0.5:
                facts["uscc"] = uscc
                facts["names"] = [name]
                kind = "uscc"
            else:
                spelled, kind = variant(rng, name)
                if rng.random() < 0.12:
                    kind = "text_only"
                    facts["mentions"] = [m.text for m in find_company_mentions(rec["text"])]
                else:
                    facts["names"] = [spelled]
        truth = uscc if uscc and uscc in by_id else None
        product = None
        if uscc and rec.get("brand") and rec.get("model"):
            key = (uscc, rec["brand"], rec["model"])
            if key not in triples:
                triples[key] = f"P-{len(triples)}"
            product = triples[key]
        records.append(
            {
                "id": rec["external_id"],
                "source": rec["source"],
                "variant": kind,
                "facts": facts,
                "truth_enterprise": truth,
                "truth_product": product,
            }
        )
    products = []
    for (uscc, brand, model), pid in triples.items():
        if rng.random() >= 0.6 or uscc not in by_id:
            continue
        products.append(
            {
                "id": pid,
                "enterprise_id": uscc,
                "brand": brand,
                "model": model,
                "gtins": [gtin13(rng)] if rng.random() < 0.5 else [],
            }
        )
    registered = {p["id"]: p for p in products}
    for r in records:
        p = registered.get(r["truth_product"] or "")
        if p is None:
            r["truth_product"] = None
        elif p["gtins"] and rng.random() < 0.3:
            r["facts"]["gtins"] = list(p["gtins"])
    for i, row in enumerate(shared_rng.sample(picked, k=100)):
        ident = next(r["id"] for r in register if r["name"] == row["name"])
        spelled, kind = (row["name"], "exact") if i % 2 else variant(shared_rng, row["name"])
        records.append(
            {
                "id": f"SHARED-{i:03d}",
                "source": "shared",
                "variant": kind,
                "facts": {"names": [spelled]},
                "truth_enterprise": ident,
                "truth_product": None,
            }
        )
    return {
        "split": split,
        "seed": seed,
        "enterprises": register,
        "products": products,
        "records": records,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data")
    args = ap.parse_args()
    for split, seed in SPLITS.items():
        data = build(split, seed)
        path = args.out / f"matching_{split}.json.gz"
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        # mtime=0: the same input gives the same bytes.
        with gzip.GzipFile(path, "wb", mtime=0) as fh:
            fh.write(raw.encode("utf-8"))
        n = len(data["records"])
        print(
            f"{path.relative_to(ROOT)}: {n} records, {len(data['enterprises'])} enterprises, "
            f"{len(data['products'])} products"
        )


if __name__ == "__main__":
    main()
