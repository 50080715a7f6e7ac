"""Knowledge graph at the demo's scale: build, query, relate, export (no database).

Usage: .venv/bin/python benchmarks/bench_graph.py [--items 20000] [--enterprises 2000] [--seed 1]

Generates plain records shaped like the demo year's (2,000 enterprises — makers, sellers,
platforms —, their products and brands, 20,000 risk items from seven sources, failed spot
checks and lab samples naming standards, events, warnings, cases, supplier links) and
measures the core alone: build time and memory (tracemalloc peak), nodes and edges by type,
then a neighbourhood (depth 2, limit 200), a district's view, "what else" for cases, the
three related-risk patterns, Louvain communities, and both exports. Prints figures; asserts
nothing.

``--database`` also measures the Django side on a throw-away SQLite database (or
``DATABASE_URL``): the same records are written as rows (enterprises, products, raw items and
risk information, events), then ``pqrisk.graph.build.load_records`` reads them back and the
graph is built, as the first API request after a change does.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pqrisk.core.graph import GraphRecords, build_graph
from pqrisk.core.graph.correlate import (
    communities,
    manufacturers_behind_brands,
    shared_suppliers,
    sibling_hazards,
    suggest,
)
from pqrisk.core.graph.export import to_graphml, to_neo4j_zip
from pqrisk.core.graph.model import EnterpriseRole
from pqrisk.core.graph.query import neighbourhood, scope_to_district
from pqrisk.core.graph.records import (
    CaseRecord,
    CategoryRecord,
    DistrictRecord,
    EnterpriseRecord,
    EventRecord,
    HazardRecord,
    ProductRecord,
    RiskItemRecord,
    SampleRecord,
    SupplyRecord,
    WarningRecord,
)

TODAY = date(2026, 11, 27)
SOURCES = [
    ("complaint", 45),
    ("media", 20),
    ("injury", 12),
    ("spot_check", 12),
    ("recall", 4),
    ("penalty", 4),
    ("station", 3),
]
STANDARDS = [f"GB {4706 + i // 10}.{i % 10 + 1}-20{10 + i % 14}" for i in range(60)]
PLATFORMS = ["某宝", "某东商城", "某多多", "某音电商", "某手电商"]


def generate(items: int, enterprises: int, seed: int) -> GraphRecords:
    rng = random.Random(seed)
    r = GraphRecords()
    districts = [f"3101{n:02d}" for n in (1, 4, 5, 6, 7, 9, 10, 12, 13, 14, 15, 16, 17, 18, 20, 51)]
    r.districts = [DistrictRecord(d, f"区{d[-2:]}") for d in districts] + [
        DistrictRecord("310199", "临港新片区")
    ]
    districts.append("310199")
    r.hazards = [HazardRecord(f"h{i:02d}", f"危害{i}") for i in range(18)]
    leaves: list[str] = []
    for fam in range(4):
        r.categories.append(CategoryRecord(f"{fam:02d}", f"大类{fam}"))
        for cls in range(3):
            cls_code = f"{fam:02d}{cls:02d}"
            r.categories.append(CategoryRecord(cls_code, f"中类{fam}{cls}", f"{fam:02d}"))
            for leaf in range(5):
                code = f"{cls_code}{leaf:02d}"
                leaves.append(code)
                r.categories.append(CategoryRecord(code, f"产品{fam}{cls}{leaf}", cls_code))
    makers: list[str] = []
    sellers: list[str] = []
    for i in range(enterprises):
        roll = rng.random()
        role = (
            EnterpriseRole.MANUFACTURER
            if roll < 0.6
            else EnterpriseRole.SELLER
            if roll < 0.97
            else EnterpriseRole.PLATFORM
        )
        cats = tuple(rng.sample(leaves, rng.randint(1, 3)))
        r.enterprises.append(
            EnterpriseRecord(str(i), f"上海企业{i}有限公司", rng.choice(districts), role, "", cats)
        )
        (makers if role is EnterpriseRole.MANUFACTURER else sellers).append(str(i))
    products: list[ProductRecord] = []
    for m in makers:
        brands = [f"品牌{m}-{b}" for b in range(rng.randint(1, 3))]
        for p in range(rng.randint(1, 6)):
            pid = str(len(products))
            products.append(
                ProductRecord(pid, "产品", rng.choice(leaves), m, rng.choice(brands), f"M{m}-{p}")
            )
    r.products = products
    kinds = [k for k, _ in SOURCES]
    weights = [w for _, w in SOURCES]
    for i in range(items):
        p = rng.choice(products)
        source = rng.choices(kinds, weights)[0]
        failed = source == "spot_check" and rng.random() < 0.4
        seller = rng.random() < 0.3
        ent = rng.choice(sellers) if seller else p.enterprise
        r.risk_items.append(
            RiskItemRecord(
                id=str(i),
                title=f"风险信息{i}",
                source_kind=source,
                when=TODAY - timedelta(days=rng.randint(0, 365)),
                district=rng.choice(districts),
                category=p.category,
                hazard=f"h{rng.randint(0, 17):02d}",
                enterprise=ent if rng.random() < 0.7 else None,
                enterprise_role=EnterpriseRole.SELLER if seller else EnterpriseRole.MANUFACTURER,
                product=p.id if rng.random() < 0.6 else None,
                brand=p.brand if rng.random() < 0.8 else "",
                model=p.model if rng.random() < 0.3 else "",
                event=str(i % 1500) if rng.random() < 0.3 else None,
                failed_standards=(rng.choice(STANDARDS),) if failed else (),
                platform=rng.choice(PLATFORMS) if rng.random() < 0.15 else "",
            )
        )
    r.events = [
        EventRecord(str(e), f"事件{e}", rng.choice(leaves), f"h{rng.randint(0, 17):02d}")
        for e in range(1500)
    ]
    for s in range(1000):
        p = rng.choice(products)
        r.samples.append(
            SampleRecord(
                str(s),
                f"S-{s}",
                "样品",
                TODAY - timedelta(days=rng.randint(0, 365)),
                rng.choice(districts),
                p.category,
                p.enterprise,
                "",
                None,
                f"店铺{s % 300}",
                rng.choice(PLATFORMS),
                p.brand,
                p.model,
                (rng.choice(STANDARDS),),
            )
        )
    for w in range(200):
        r.warnings.append(
            WarningRecord(
                str(w),
                f"预警{w}",
                rng.choice(["red", "orange", "yellow", "blue"]),
                "published",
                TODAY - timedelta(days=rng.randint(0, 365)),
                rng.choice(districts),
                rng.choice(leaves),
                f"h{rng.randint(0, 17):02d}",
                tuple(str(rng.randrange(items)) for _ in range(rng.randint(1, 5))),
            )
        )
    for c in range(300):
        covered = tuple(str(rng.randrange(items)) for _ in range(rng.randint(1, 4)))
        r.cases.append(
            CaseRecord(
                str(c),
                f"AC-{c}",
                f"评估任务{c}",
                "opened",
                TODAY,
                rng.choice(districts),
                rng.choice(leaves),
                f"h{rng.randint(0, 17):02d}",
                rng.choice(makers),
                None,
                covered,
            )
        )
    for s in range(300):
        for customer in rng.sample(makers, rng.randint(2, 8)):
            r.supplies.append(SupplyRecord(f"配件供应商{s}", customer, "Supplier", "", None, True))
    return r


def populate(records: GraphRecords) -> None:
    """Write the generated records as database rows (reference data from the migrations)."""
    from pqrisk.core.uscc import complete_uscc
    from pqrisk.enterprises.models import Enterprise, Product
    from pqrisk.intake.models import RawItem
    from pqrisk.reference.models import District, HazardType, ProductCategory
    from pqrisk.screening.models import Event, RiskInfo

    leaves = list(ProductCategory.objects.filter(children__isnull=True).order_by("code"))
    hazards = list(HazardType.objects.order_by("code"))
    districts = list(District.objects.order_by("code"))
    cat_of = {
        c: leaves[i % len(leaves)]
        for i, c in enumerate(sorted({p.category for p in records.products if p.category}))
    }
    hz_of = {f"h{i:02d}": hazards[i % len(hazards)] for i in range(18)}
    dist_of = {d.code: districts[i % len(districts)] for i, d in enumerate(records.districts)}
    kinds = {"manufacturer": "生产企业", "seller": "销售企业", "platform": "电商平台经营者"}
    ents = Enterprise.objects.bulk_create(
        Enterprise(
            uscc=complete_uscc(f"91310000{int(e.id):09d}"),
            name=e.name,
            district=dist_of[e.district or records.districts[0].code],
            kind=kinds.get(e.role.value, ""),
        )
        for e in records.enterprises
    )
    ent_of = {e.id: row for e, row in zip(records.enterprises, ents, strict=True)}
    prods = Product.objects.bulk_create(
        Product(
            name=p.name,
            category=cat_of.get(p.category or ""),
            enterprise=ent_of[p.enterprise] if p.enterprise else None,
            brand=p.brand,
            model=p.model,
        )
        for p in records.products
    )
    prod_of = {p.id: row for p, row in zip(records.products, prods, strict=True)}
    events = Event.objects.bulk_create(
        Event(
            group="bench",
            key=f"bench-{e.id}",
            product_category=leaves[int(e.id) % len(leaves)],
            hazard=hz_of[e.hazard],
            first_seen="2026-06-01T00:00:00+08:00",
            last_seen="2026-06-02T00:00:00+08:00",
        )
        for e in records.events
    )
    raws = RawItem.objects.bulk_create(
        RawItem(
            source_kind=r.source_kind,
            external_id=f"bench-{r.id}",
            payload={"details": {"conclusion": "不合格", "standard": r.failed_standards[0]}}
            if r.failed_standards
            else {"details": {}},
            payload_hash=f"{int(r.id):064d}",
        )
        for r in records.risk_items
    )
    RiskInfo.objects.bulk_create(
        (
            RiskInfo(
                raw_item=raw,
                source_kind=r.source_kind,
                status="pending_assessment",
                title=r.title,
                content_hash=raw.payload_hash,
                occurred_at=f"{r.when.isoformat()}T12:00:00+08:00" if r.when else None,
                district=dist_of[r.district] if r.district else None,
                product_category=cat_of.get(r.category or ""),
                hazard=hz_of.get(r.hazard or ""),
                enterprise=ent_of[r.enterprise] if r.enterprise else None,
                product=prod_of[r.product] if r.product else None,
                brand=r.brand,
                event=events[int(r.event)] if r.event else None,
                tags={"models": [r.model]} if r.model else {},
            )
            for r, raw in zip(records.risk_items, raws, strict=True)
        ),
        batch_size=2000,
    )


def database_figures(records: GraphRecords) -> dict[str, float]:
    import os
    import tempfile

    tmp = tempfile.mkdtemp(prefix="pqrisk-bench-graph-")
    os.environ["PQRISK_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # no SQL log kept in memory
    call_command("migrate", verbosity=0)
    _, populate_s = timed(populate, records)
    from pqrisk.graph.build import load_records

    loaded, load_s = timed(load_records)
    kg, build_s = timed(build_graph, loaded)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"database ({engine}): rows written in {populate_s:.1f} s; "
        f"load_records {load_s:.2f} s, build {build_s:.2f} s "
        f"({len(kg)} nodes, {kg.edge_count} edges)"
    )
    return {"db_load_s": round(load_s, 2), "db_build_s": round(build_s, 2)}


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--enterprises", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database", action="store_true", help="also read rows back from a DB")
    args = ap.parse_args()

    records, gen_s = timed(generate, args.items, args.enterprises, args.seed)
    kg, build_s = timed(build_graph, records)
    # Memory apart: tracemalloc slows the build it watches about twofold.
    tracemalloc.start()
    build_graph(records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = kg.stats()
    print(
        f"records generated in {gen_s:.2f} s: {args.items} risk items, "
        f"{args.enterprises} enterprises, {len(records.products)} products"
    )
    print(f"build: {build_s:.2f} s; tracemalloc peak of a build {peak / 2**20:.0f} MiB")
    print(f"graph: {stats['nodes']} nodes, {stats['edges']} edges")
    print("  nodes: " + ", ".join(f"{k} {v}" for k, v in stats["node_types"].items()))
    print("  edges: " + ", ".join(f"{k} {v}" for k, v in stats["edge_types"].items()))

    rng = random.Random(args.seed)
    centres = rng.sample(sorted(kg.g), 200)
    hood_times = [timed(neighbourhood, kg, c, 2, 200)[1] for c in centres]
    view, view_s = timed(scope_to_district, kg, "310115")
    found_communities, comm_s = timed(communities, kg)
    cases = [f"case:{c}" for c in range(0, 300, 6)]
    suggest_times = [
        timed(suggest, kg, [c], TODAY, found_communities=found_communities)[1] for c in cases
    ]
    (_, brands_s), (_, sib_s), (_, sup_s) = (
        timed(manufacturers_behind_brands, kg, TODAY),
        timed(sibling_hazards, kg, TODAY),
        timed(shared_suppliers, kg, TODAY),
    )
    graphml, graphml_s = timed(to_graphml, kg)
    neo4j, neo4j_s = timed(to_neo4j_zip, kg)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "nodes": stats["nodes"],
        "edges": stats["edges"],
        "build_s": round(build_s, 2),
        "build_peak_mib": round(peak / 2**20),
        "neighbourhood_d2_median_ms": round(statistics.median(hood_times) * 1000, 1),
        "neighbourhood_d2_max_ms": round(max(hood_times) * 1000, 1),
        "district_view_s": round(view_s, 2),
        "district_view_nodes": len(view),
        "communities_s": round(comm_s, 2),
        "communities": len(found_communities),
        "suggest_median_ms": round(statistics.median(suggest_times) * 1000, 1),
        "suggest_max_ms": round(max(suggest_times) * 1000, 1),
        "same_manufacturer_s": round(brands_s, 2),
        "sibling_hazard_s": round(sib_s, 2),
        "shared_supplier_s": round(sup_s, 2),
        "graphml_s": round(graphml_s, 2),
        "graphml_mib": round(len(graphml) / 2**20, 1),
        "neo4j_zip_s": round(neo4j_s, 2),
        "neo4j_zip_mib": round(len(neo4j) / 2**20, 1),
        "peak_rss_mib": round(rss),
    }
    if args.database:
        figures |= database_figures(records)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
