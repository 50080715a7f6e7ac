"""Cases and meetings as the tests need them: screened, assessed items in an assessing case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from pqrisk.assessment.cases import act_on_case, open_case
from pqrisk.assessment.models import AssessmentCase
from pqrisk.assessment.services import assess_pending
from pqrisk.audit.models import AuditEvent
from pqrisk.intake.services import ingest_objects
from pqrisk.screening.models import RiskInfo
from pqrisk.screening.services import screen_pending

FIRE = "浦东新区居民投诉：晶澜牌取暖器使用中外壳过热起火，烧毁窗帘，请求调查处理。"
SHOCK = "嘉定区消费者反映：某品牌电热水壶底座漏电，使用时手部被电击，已就医。"

_counter = {"n": 0}


def screened(*texts: str) -> list[RiskInfo]:
    """Ingest, screen and first-assess complaints; the new risk information."""
    before = set(RiskInfo.objects.values_list("pk", flat=True))
    records: list[dict[str, Any]] = []
    for text in texts:
        _counter["n"] += 1
        records.append(
            {
                "source": "complaint",
                "external_id": f"M-{_counter['n']}",
                "occurred_at": "2026-03-02",
                "title": "",
                "text": text,
            }
        )
    ingest_objects(records, source_label="测试")
    screen_pending()
    assess_pending()
    return list(RiskInfo.objects.exclude(pk__in=before).order_by("id"))


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
