"""Small builders for the rows the page tests need (the loop's services build the rest)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from pqrisk.assessment.models import Assessment
from pqrisk.core.levels import RiskLevel, Scope, WarningLevel, WarningMode
from pqrisk.core.uscc import complete_uscc
from pqrisk.disposal.models import DisposalTask
from pqrisk.enterprises.models import Enterprise
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.models import RiskInfo
from pqrisk.stations.models import MonitoringStation
from pqrisk.warnings.models import Warning

_seq = itertools.count(1)


def district(code: str) -> District:
    return District.objects.get(code=code)


def enterprise(district_code: str, name: str | None = None) -> Enterprise:
    n = next(_seq)
    return Enterprise.objects.create(
        uscc=complete_uscc(f"91{district_code}{n:08d}A"),
        name=name or f"测试电器有限公司{n}",
        district=district(district_code),
        licensed=True,
    )


def raw_item(title: str = "电热水壶抽查不合格", **payload: Any) -> RawItem:
    n = next(_seq)
    return RawItem.objects.create(
        source_kind="spot_check",
        source_name="测试来源",
        external_id=f"T-{n}",
        payload={"title": title, "text": f"{title}（测试 {n}）", **payload},
        payload_hash=f"{n:064d}",
    )


def risk_info(
    district_code: str | None,
    title: str = "电热水壶抽查不合格",
    status: str = "pending_assessment",
    **fields: Any,
) -> RiskInfo:
    raw = raw_item(title)
    fields.setdefault("occurred_at", timezone.now() - timedelta(days=3))
    fields.setdefault(
        "tags", {"products": [], "hazards": [], "districts": [], "terms": ["电热水壶"]}
    )
    fields.setdefault("source_kind", raw.source_kind)
    fields.setdefault(
        "product_category", ProductCategory.objects.order_by("-level", "code").first()
    )
    fields.setdefault("hazard", HazardType.objects.order_by("code").first())
    fields.setdefault("signals", ["监督抽查不合格：电气强度"])
    return RiskInfo.objects.create(
        raw_item=raw,
        status=status,
        title=title,
        text=raw.payload["text"],
        content_hash=raw.payload_hash,
        district=district(district_code) if district_code else None,
        **fields,
    )


def _step(description: str, p: float, low: float, high: float, evidence: str) -> dict[str, Any]:
    return {
        "description": description,
        "probability": p,
        "low": low,
        "high": high,
        "evidence": evidence,
    }


def assessment(info: RiskInfo, level: RiskLevel = RiskLevel.HIGH) -> Assessment:
    return Assessment.objects.create(
        risk_info=info,
        district=info.district,
        method="matrix_auto",
        severity=3,
        steps=[
            {
                "description": "产品存在缺陷",
                "probability": 1.0,
                "low": 0.8,
                "high": 1.0,
                "evidence": "抽查",
            },
            {
                "description": "使用中暴露",
                "probability": 0.5,
                "low": 0.2,
                "high": 0.9,
                "evidence": "默认",
            },
        ],
        probability=0.5,
        probability_low=0.16,
        probability_high=0.9,
        band=2,
        base_level=level.value,
        level=level.value,
        level_low=level.value,
        level_high=level.value,
        attention="normal",
        explanation=["严重程度3级，概率档2，矩阵等级为高风险"],
    )


def warning(
    info: RiskInfo,
    level: WarningLevel = WarningLevel.ORANGE,
    status: str = "in_review",
    modes: tuple[WarningMode, ...] = (WarningMode.INTERNAL_NOTICE,),
    title: str | None = None,
) -> Warning:
    w = Warning.objects.create(
        title=title or f"{info.title}风险（{level.label}）",
        body="请注意防范。",
        level=level.value,
        proposed_level=level.value,
        modes=[m.value for m in modes],
        scope=Scope.DISTRICT.value if info.district_id else Scope.CITY.value,
        attention="normal",
        reasons=["高风险，单区"],
        status=status,
        district=info.district,
        product_category=info.product_category,
        hazard=info.hazard,
        assessment=assessment(info),
        published_at=timezone.now() if status == "published" else None,
    )
    w.risk_infos.add(info)
    return w


def task(w: Warning, district_code: str, status: str = "open", **fields: Any) -> DisposalTask:
    fields.setdefault("due_at", timezone.now() + timedelta(hours=24))
    return DisposalTask.objects.create(
        warning=w,
        district=district(district_code),
        level=w.level,
        organiser="city",
        routes=["inspection", "recall"],
        instructions="市局统一组织立即开展应急处置",
        status=status,
        **fields,
    )


def station(name: str = "测试检验所") -> MonitoringStation:
    return MonitoringStation.objects.create(name=name, kind="lab", district=district("310115"))


def quarantined(message: str = "第3行缺少字段 title") -> QuarantinedItem:
    batch = IngestBatch.objects.create(source_label="test.csv", quarantined=1)
    return QuarantinedItem.objects.create(
        batch=batch,
        source_kind="spot_check",
        location="test.csv:3",
        content='{"id": "x"}',
        reason="missing_field",
        message=message,
    )
