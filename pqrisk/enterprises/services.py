"""Register enterprises from registry extracts; invalid rows go to the quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from pqrisk.audit.services import record as audit
from pqrisk.core.uscc import InvalidUSCC, parse_uscc
from pqrisk.intake.models import IngestBatch, QuarantinedItem
from pqrisk.intake.services import district_resolver
from pqrisk.reference.models import District, ProductCategory
from pqrisk.sources.readers import read_path
from pqrisk.sources.records import RecordRejected

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
    rows: Iterable[dict[str, Any]],
    *,
    source_label: str,
    unreadable: Iterable[tuple[str, str, str, str]] = (),
) -> EnterpriseLoadResult:
    """Create or update enterprises keyed by USCC; rows with an invalid USCC or district are
    quarantined with the reason, as are ``unreadable`` (location, raw, reason, message)."""
    batch = IngestBatch.objects.create(source_label=source_label)
    resolve = district_resolver()
    districts = {d.code: d for d in District.objects.all()}
    products = {p.code: p for p in ProductCategory.objects.all()}
    existing = {e.uscc: e for e in Enterprise.objects.all()}
    to_create: list[Enterprise] = []
    to_update: list[Enterprise] = []
    links: list[tuple[str, list[str]]] = []
    bad = [_bad(batch, where, raw, reason, msg) for where, raw, reason, msg in unreadable]
    for number, row in enumerate(rows, start=1):
        raw = json.dumps(row, ensure_ascii=False, default=str)
        where = f"{source_label}#{number}"
        try:
            code = parse_uscc(str(row.get("uscc") or row.get("enterprise_uscc") or "")).code
        except InvalidUSCC as exc:
            bad.append(_bad(batch, where, raw, "invalid_uscc", exc.message_zh))
            continue
        district_code = resolve(_district_of(row))
        if district_code is None:
            bad.append(
                _bad(
                    batch,
                    where,
                    raw,
                    "unknown_district",
                    f"行政区无法识别：{_district_of(row) or '（空）'}",
                )
            )
            continue
        name = str(row.get("name") or row.get("enterprise_name") or "").strip()
        if not name:
            bad.append(_bad(batch, where, raw, "missing_field", "缺少企业名称"))
            continue
        details = row.get("details")
        extra: dict[str, Any] = details if isinstance(details, dict) else {}
        fields = {
            "name": name[:200],
            "district": districts[district_code],
            "address": str(row.get("address") or extra.get("地址") or "")[:300],
            "legal_representative": str(
                row.get("legal_representative") or extra.get("法定代表人") or ""
            )[:50],
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


def _district_of(row: dict[str, Any]) -> str:
    return str(row.get("district_code") or row.get("district") or "")


def _bad(batch: IngestBatch, where: str, raw: str, reason: str, message: str) -> QuarantinedItem:
    return QuarantinedItem(
        batch=batch,
        source_kind="enterprise",
        location=where[:300],
        content=raw.replace("\x00", "\\x00"),
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


def load_enterprises_file(path: Path) -> EnterpriseLoadResult:
    """Register enterprises from a registry extract (JSONL, JSON, CSV or Excel).

    Keys: uscc / 统一社会信用代码, name / 企业名称, district_code / 所属区, address / 地址,
    legal_representative / 法定代表人, product_codes (list of catalogue codes), licensed.
    Unreadable entries are quarantined like invalid rows.
    """
    rows: list[dict[str, Any]] = []
    unreadable: list[tuple[str, str, str, str]] = []
    for entry in read_path(path):
        if isinstance(entry.value, RecordRejected):
            unreadable.append(
                (entry.location, entry.raw, entry.value.reason, entry.value.message_zh)
            )
        elif isinstance(entry.value, dict):
            rows.append(entry.value)
        else:
            unreadable.append((entry.location, entry.raw, "malformed", "每条企业记录应为一个对象"))
    return upsert_enterprises(rows, source_label=path.name, unreadable=unreadable)
