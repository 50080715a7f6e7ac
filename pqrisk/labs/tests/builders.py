"""Builders for the lab stories: a task bought online in Pudong, its sample on the way to the
lab, and the files a lab sends back. They go through the services, as a person would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import PUDONG
from pqrisk.assessment.models import AssessmentCase
from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises.models import Enterprise
from pqrisk.labs import services
from pqrisk.labs.choices import CustodyKind
from pqrisk.labs.models import Sample, SamplingTask
from pqrisk.reference.models import District, ProductCategory

LAB = "上海市质量监督检验技术研究院"
HEADER = "样品编号,检验项目,标准,技术要求,限值,单位,实测值,判定"


def receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("订单截图.png", b"\x89PNG\r\n\x1a\n fake", content_type="image/png")


def category() -> ProductCategory:
    return ProductCategory.objects.order_by("code").first()  # type: ignore[return-value]


def case_in(district_code: str) -> AssessmentCase:
    return AssessmentCase.objects.create(
        code=f"PG-{district_code}",
        title="儿童电动玩具铅含量风险评估",
        origin="risk_info",
        district=District.objects.get(code=district_code),
    )


def enterprise_in(district_code: str) -> Enterprise:
    return Enterprise.objects.create(
        uscc=complete_uscc(f"91{district_code}00000001A"),
        name="上海某某玩具有限公司",
        district=District.objects.get(code=district_code),
    )


def planned_task(user: Any, district_code: str = PUDONG, **changes: Any) -> SamplingTask:
    fields: dict[str, Any] = {
        "title": "儿童电动玩具网购抽样",
        "product_category": category(),
        "channel": "ecommerce",
        "platform": "淘宝",
        "shop_name": "某某玩具旗舰店",
        "lab": LAB,
        "district": District.objects.get(code=district_code),
    }
    fields.update(changes)
    return services.create_task(user, **fields)


def bought_task(user: Any, district_code: str = PUDONG, **changes: Any) -> SamplingTask:
    task = planned_task(user, district_code, **changes)
    return services.record_purchase(
        task,
        user,
        channel="ecommerce",
        platform="淘宝",
        shop_name="某某玩具旗舰店",
        shop_url="https://shop.example.com/123",
        purchased_on=timezone.localdate() - timedelta(days=3),
        order_number="TB20260301-88",
        price=None,
        quantity=2,
        buyer_account="消费者张三",
        purchase_record=receipt(),
    )


def at(days_ago: float) -> datetime:
    return timezone.now() - timedelta(days=days_ago)


def sealed_sample(task: SamplingTask, user: Any, **changes: Any) -> Sample:
    fields: dict[str, Any] = {
        "name": "儿童电动遥控车",
        "seal_number": "FT-0001",
        "brand": "乐乐",
        "model": "RC-8",
        "batch": "20260101",
        "manufacturer_name": "上海某某玩具有限公司",
    }
    fields.update(changes)
    return services.add_sample(task, user, **fields)


def to_lab(sample: Sample, user: Any, *, seal_intact: bool = True, receive: bool = True) -> None:
    """收货 → 寄送 → 实验室收样, one day apart."""
    services.add_custody_entry(
        sample,
        user,
        kind=CustodyKind.RECEIVED,
        at=at(2.5),
        from_party="某某玩具旗舰店（快递）",
        to_party="购买人张三",
        location="浦东新区某小区",
    )
    services.add_custody_entry(
        sample,
        user,
        kind=CustodyKind.SHIPPED,
        at=at(2),
        from_party="购买人张三",
        to_party="顺丰速运",
        note="运单 SF123",
    )
    if receive:
        services.add_custody_entry(
            sample,
            user,
            kind=CustodyKind.LAB_RECEIVED,
            at=at(1),
            from_party="顺丰速运",
            to_party=LAB,
            seal_intact=seal_intact,
        )


def csv_upload(*rows: str, header: str = HEADER, name: str = "结果.csv") -> SimpleUploadedFile:
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def today() -> date:
    return timezone.localdate()
