"""Cases and meetings as the tests need them: screened, assessed items in an assessing case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from pqrisk.assessment.cases import act_on_case, open_case
from pqrisk.assessment.models import AssessmentCase
from pqrisk.assessment.services import assess_pending
from pqrisk.audit.models import AuditEvent
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.tests import records

FIRE = "浦东新区居民投诉：晶澜牌取暖器使用中外壳过热起火，烧毁窗帘，请求调查处理。"
SHOCK = "嘉定区消费者反映：某品牌电热水壶底座漏电，使用时手部被电击，已就医。"

_counter = {"n": 0}


def screened(*texts: str) -> list[RiskInfo]:
    """Ingest, screen and first-assess complaints; the new risk information."""
    numbers = range(_counter["n"] + 1, _counter["n"] + len(texts) + 1)
    _counter["n"] += len(texts)
    infos = records.screened(
        *(records.complaint(f"M-{n}", text) for n, text in zip(numbers, texts, strict=True))
    )
    assess_pending()
    return list(RiskInfo.objects.filter(pk__in=[i.pk for i in infos]).order_by("id"))


def assessing_case(user: Any, text: str = FIRE) -> AssessmentCase:
    case = open_case(user, risk_infos=screened(text))
    return act_on_case(case, "start", user)


def soon(hours: int = 2) -> Any:
    return timezone.now() + timedelta(hours=hours)


def actions(obj: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
