"""Demo aliases: make a few demo firms the makers named in the shared CPSC recalls
(cpsc_recalls_recent.csv), so that the 境外通报 pages show matched, pending and unmatched
alerts. The demo firms are fictional and so is this link; it is demo data, marked as such
(``source="演示数据"``), never loaded by a real deployment.

Each entry names a catalogue family (the demo firm is the first registered one making a
product of that family), the alias, its kind and the recall it will find.
"""

from __future__ import annotations

from typing import Any

from pqrisk.enterprises.models import Enterprise

from .choices import AliasKind
from .services import import_aliases

DEMO_SOURCE = "演示数据"
# (catalogue family, alias, kind, CPSC recall it is for: what the match rests on)
DEMO_ALIASES: tuple[tuple[str, str, str, str], ...] = (
    ("04", "Starmatrix Group Inc.", AliasKind.ENGLISH_NAME, "26227: 英文名称一致，自动确认"),
    ("04", "Letokids", AliasKind.BRAND, "26408: 品牌（d/b/a）一致，待复核"),
    ("12", "Ningbo Shenyu Medical Equipment Co., Ltd.", AliasKind.ENGLISH_NAME, "26271: 自动确认"),
    ("12", "Beloems", AliasKind.BRAND, "26267: 品牌一致，待复核"),
    ("11", "Jiangsu Ever-Tie Lighting Co., Ltd", AliasKind.ENGLISH_NAME, "26278: 自动确认"),
    ("20", "Shenzhen Topstar Industry Co., Ltd.", AliasKind.ENGLISH_NAME, "26135: 自动确认"),
    ("18", "Evajoy", AliasKind.BRAND, "26308: 品牌一致，待复核"),
    ("01", "Dongguan Keben Electrical Appliance Co Ltd", AliasKind.ENGLISH_NAME, "26194"),
)


def seed_demo_aliases() -> int:
    """Add the demo aliases to demo firms of the right product family (or any firm when no
    firm makes that family); returns how many aliases were new. Idempotent."""
    rows: list[tuple[Enterprise, str, str]] = []
    fallback = Enterprise.objects.order_by("id").first()
    if fallback is None:
        return 0
    for family, alias, kind, _why in DEMO_ALIASES:
        firm: Any = (
            Enterprise.objects.filter(products__code__startswith=family).order_by("id").first()
            or fallback
        )
        rows.append((firm, alias, str(kind)))
    return import_aliases(rows, DEMO_SOURCE)
