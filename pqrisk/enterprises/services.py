"""Register enterprises from registry extracts; invalid rows go to the quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from pqrisk.audit.services import record as audit
from pqrisk.core.uscc import InvalidUSCC, parse_uscc
from pqrisk.intake.models import IngestBatch, QuarantinedItem
from pqrisk.intake.services import district_resolver
from pqrisk.reference.models import ProductCategory

from .models import Enterprise


@dataclass(frozen=True)
class EnterpriseLoadResult:
    created: int
    updated: int
    quarantined: int


def dao_enterprise_by_uscc(codes: Iterable[str]) -> dict[str, Enterprise]:
    return {e.uscc: e for e in Enterprise.objects.filter(uscc__in=list(codes))}


@transaction.atomic
def upsert_enterprises(
    rows: Iterable[dict[str, Any]], *, source_label: str
) -> EnterpriseLoadResult:
    """Create or update enterprises keyed by USCC; rows with an invalid USCC or district are
    quarantined with the reason."""
    batch = IngestBatch.objects.create(source_label=source_label)
    resolve = district_resolver()
    from pqrisk.reference.models import District

    districts = {d.code: d for d in District.objects.all()}
    products = {p.code: p for p in ProductCategory.objects.all()}
    existing = {e.uscc: e for e in Enterprise.objects.all()}
    to_create: list[Enterprise] = []
    to_update: list[Enterprise] = []
    links: list[tuple[str, list[str]]] = []
    bad: list[QuarantinedItem] = []
    for number, row in enumerate(rows, start=1):
        raw = json.dumps(row, ensure_ascii=False, default=str)
        where = f"{source_label}#{number}"
        try:
            code = parse_uscc(str(row.get("uscc") or "")).code
        except InvalidUSCC as exc:
            bad.append(_bad(batch, where, raw, "invalid_uscc", exc.message_zh))
            continue
        district_code = resolve(str(row.get("district_code") or row.get("district") or ""))
        if district_code is None:
            bad.append(
                _bad(
                    batch,
                    where,
                    raw,
                    "unknown_district",
                    "行政区无法识别："
                    f"{row.get('district_code') or row.get('district') or '（空）'}",
                )
            )
            continue
        name = str(row.get("name") or "").strip()
        if not name:
            bad.append(_bad(batch, where, raw, "missing_field", "缺少企业名称"))
            continue
        fields = {
            "name": name[:200],
            "district": districts[district_code],
            "address": str(row.get("address") or "")[:300],
            "legal_representative": str(row.get("legal_representative") or "")[:50],
            "kind": str(row.get("kind") or "")[:20],
            "scale": str(row.get("scale") or "")[:10],
            "licensed": bool(row.get("licensed")),
            "established": _date(row.get("established")),
        }
        if code in existing:
            ent = existing[code]
            for k, v in fields.items():
                setattr(ent, k, v)
            to_update.append(ent)
        else:
            ent = Enterprise(uscc=code, **fields)
            existing[code] = ent
            to_create.append(ent)
        links.append((code, [c for c in row.get("product_codes") or [] if c in products]))
    Enterprise.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Enterprise.objects.bulk_update(
            to_update,
            [
                "name",
                "district",
                "address",
                "legal_representative",
                "kind",
                "scale",
                "licensed",
                "established",
            ],
            batch_size=500,
        )
    QuarantinedItem.objects.bulk_create(bad)
    through = Enterprise.products.through
    ids = {e.uscc: e.pk for e in Enterprise.objects.filter(uscc__in=[c for c, _ in links])}
    through.objects.filter(enterprise_id__in=ids.values()).delete()
    through.objects.bulk_create(
        [
            through(enterprise_id=ids[code], productcategory_id=products[p].pk)
            for code, codes in links
            for p in dict.fromkeys(codes)
        ],
        batch_size=1000,
    )
    batch.accepted = len(to_create) + len(to_update)
    batch.quarantined = len(bad)
    batch.save(update_fields=["accepted", "quarantined"])
    audit(
        "register_enterprises",
        batch,
        message=f"{source_label}：新增 {len(to_create)}，更新 {len(to_update)}，隔离 {len(bad)}",
    )
    return EnterpriseLoadResult(len(to_create), len(to_update), len(bad))


def _bad(batch: IngestBatch, where: str, raw: str, reason: str, message: str) -> QuarantinedItem:
    return QuarantinedItem(
        batch=batch,
        source_kind="enterprise",
        location=where[:300],
        content=raw,
        reason=reason,
        message=message[:500],
    )


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
