"""Load the reference files into the database; idempotent (update_or_create by code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from pqrisk.taxonomy import loader


@dataclass(frozen=True)
class ReferenceCounts:
    districts: int
    products: int
    hazards: int


@transaction.atomic
def load_reference_data(apps: Any = None) -> ReferenceCounts:
    """Create or update every district, product category and hazard type from the files.

    ``apps`` is the historical app registry when called from a migration.
    """
    if apps is None:
        from django.apps import apps
    District = apps.get_model("reference", "District")
    ProductCategory = apps.get_model("reference", "ProductCategory")
    HazardType = apps.get_model("reference", "HazardType")

    for d in loader.load_districts():
        District.objects.update_or_create(
            code=d.code, defaults={"name": d.name, "short_name": d.short_name, "kind": d.kind}
        )
    by_code: dict[str, object] = {}
    # Parents first: the catalogue file is ordered by code, and codes nest by prefix.
    for p in sorted(loader.load_products(), key=lambda p: (p.level, p.code)):
        obj, _ = ProductCategory.objects.update_or_create(
            code=p.code,
            defaults={
                "parent": by_code.get(p.parent_code) if p.parent_code else None,
                "level": p.level,
                "name": p.name,
                "keywords": list(p.keywords),
                "safety_gate_category": p.safety_gate_category,
                "neiss_codes": list(p.neiss_codes),
                "ccc": p.ccc,
                "licensed": p.licensed,
                "vulnerable_users": p.vulnerable_users,
            },
        )
        by_code[p.code] = obj
    for h in loader.load_hazards():
        HazardType.objects.update_or_create(
            code=h.code,
            defaults={
                "name": h.name,
                "description": h.description,
                "keywords": list(h.keywords),
                "safety_gate_risk_types": list(h.safety_gate_risk_types),
                "cpsc_hazards": list(h.cpsc_hazards),
                "default_severity": h.default_severity,
            },
        )
    return ReferenceCounts(
        districts=District.objects.count(),
        products=ProductCategory.objects.count(),
        hazards=HazardType.objects.count(),
    )
