"""One row of every kind the pages and the API show, built once for the access matrix.

Where a kind belongs to a district there is one row in Pudong (bob's district) and one in
Jiading (charlie's); the matrix opens the Pudong row, so charlie stands for "another
district" and bob for "the row's own district". Names carry a marker (``PD_MARK``) so a test
can tell whether a refused page leaked the other district's row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import JIADING, PUDONG, make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.assessment.models import AssessmentCase
from pqrisk.bulletins import services as bulletin_services
from pqrisk.bulletins.models import BulletinVersion
from pqrisk.communication.models import CommunicationActivity
from pqrisk.core.levels import WarningMode
from pqrisk.disposal.models import Feedback, FeedbackAttachment, TaskRoute, TrackingItem
from pqrisk.enterprises.models import Product, RecordMatch
from pqrisk.exchange.models import ExchangePackage, Partner
from pqrisk.experts.models import DrawnExpert, Expert, ExpertDraw
from pqrisk.foreign.models import ForeignAlert, ForeignAlertRiskType, ForeignMatch
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem
from pqrisk.labs.models import Sample, SamplingTask, ViolationLead
from pqrisk.meetings.models import AgendaItem, Meeting, Participant
from pqrisk.notifications.models import Delivery, InboxEntry, Notification
from pqrisk.ops.models import DeadLetter
from pqrisk.reference.models import District, ProductCategory
from pqrisk.screening.models import Event
from pqrisk.signals.models import Signal
from pqrisk.stations import services as station_services
from pqrisk.stations.models import MonitoringStation
from pqrisk.supervision.models import (
    CreditGrade,
    InspectionTask,
    SpotCheckPlan,
    SupervisionMeasure,
    SupervisionTrigger,
)
from pqrisk.warnings.models import WarningPhoto, WarningRecipient
from pqrisk.web.tests import factories as f

# Every Pudong row's name carries this marker; a page refused to charlie must not show it.
PD_MARK = "浦东甲"
JD_MARK = "嘉定乙"

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
    b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    people: dict[str, User]
    rows: dict[str, Any] = field(default_factory=dict)
    station_token: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.rows[key]


def people() -> dict[str, User]:
    """Everyone the matrix signs in as (anonymous is nobody)."""
    adam = make_user("adam", Role.CITY_ADMIN)
    return {
        "eve": make_user("eve", None),
        "stan": make_user("stan", Role.STATION, PUDONG),
        "bob": make_user("bob", Role.DISTRICT_OFFICER, PUDONG),
        "charlie": make_user("charlie", Role.DISTRICT_OFFICER, JIADING),
        "dana": make_user("dana", Role.ANALYST),
        "alice": make_user("alice", Role.CITY_SUPERVISOR),
        "adam": adam,
        "erin": make_user("erin", Role.EXPERT),
    }


def _district(code: str) -> District:
    return District.objects.get(code=code)


def _in_district(code: str, mark: str, who: dict[str, User]) -> dict[str, Any]:
    """The district-scoped rows of one district, names marked with ``mark``."""
    d = _district(code)
    now = timezone.now()
    ent = f.enterprise(code, f"{mark}电器有限公司")
    info = f.risk_info(code, title=f"{mark}电热水壶抽查不合格", enterprise=ent)
    event = Event.objects.create(
        group="product_hazard",
        key=f"{mark}-event",
        product_category=info.product_category,
        hazard=info.hazard,
        district=d,
        enterprise=ent,
        first_seen=now - timedelta(days=5),
        last_seen=now - timedelta(days=1),
        first_item=info,
    )
    info.event = event
    info.save(update_fields=["event"])
    warning = f.warning(
        info,
        title=f"{mark}电热水壶触电风险",
        status="published",
        modes=(WarningMode.INTERNAL_NOTICE, WarningMode.INDUSTRY_WARNING),
    )
    task = f.task(warning, code)
    route = TaskRoute.objects.create(task=task, route="recall", unit=f"{mark}召回单位")
    feedback = Feedback.objects.create(task=task, measures=f"{mark}已约谈企业")
    attachment = FeedbackAttachment.objects.create(
        feedback=feedback,
        file=SimpleUploadedFile("现场照片.png", PNG, content_type="image/png"),
        name="现场照片.png",
        size=len(PNG),
    )
    tracking = TrackingItem.objects.create(warning=warning, district=d, started_at=now)
    case = AssessmentCase.objects.create(
        code=f"PG-SEC-{code}",
        title=f"{mark}电热水壶风险评估",
        origin="risk_info",
        district=d,
        enterprise=ent,
        product_category=info.product_category,
        hazard=info.hazard,
        matrix_assessment=warning.assessment,
    )
    signal = Signal.objects.create(
        key=f"sec-{code}",
        series_key=f"sec-{code}",
        kind="temporal",
        period_start=date.today() - timedelta(days=7),
        period_end=date.today(),
        observed=5,
        title=f"{mark}电热水壶投诉增多",
        district=d,
        product_category=info.product_category,
        hazard=info.hazard,
    )
    lab_task = SamplingTask.objects.create(
        code=f"CY-SEC-{code}",
        title=f"{mark}网购抽样",
        product_category=info.product_category,
        channel="ecommerce",
        district=d,
        enterprise=ent,
        case=case,
    )
    sample = Sample.objects.create(
        task=lab_task, code=f"YP-SEC-{code}", name=f"{mark}样品", seal_number=f"FT-{code}"
    )
    lead = ViolationLead.objects.create(
        code=f"XS-SEC-{code}",
        task=lab_task,
        sample=sample,
        enterprise=ent,
        district=d,
        summary=f"{mark}样品铅超标",
    )
    grade = CreditGrade.objects.create(
        enterprise=ent,
        district=d,
        grade="C",
        score=60,
        inputs_version="sec",
        policy_version="sec",
        computed_at=now,
        checked_at=now,
    )
    trigger = SupervisionTrigger.objects.create(
        rule="complaint_cluster",
        event_key=f"sec-{code}",
        enterprise=ent,
        district=d,
        description=f"{mark}投诉聚集",
        occurred_on=date.today(),
    )
    inspection = InspectionTask.objects.create(
        trigger=trigger,
        enterprise=ent,
        district=d,
        reason=f"{mark}投诉聚集",
        due_date=date.today() + timedelta(days=7),
    )
    measure = SupervisionMeasure.objects.create(
        enterprise=ent,
        district=d,
        kind="interview",
        grade="C",
        legal_basis="《产品质量法》",
        decided_on=date.today(),
    )
    product = Product.objects.create(name=f"{mark}电热水壶", enterprise=ent)
    match = RecordMatch.objects.create(
        risk_info=info,
        target="enterprise",
        enterprise=ent,
        method="name_exact",
        confidence=0.7,
        reason=f"{mark}名称一致",
    )
    recipient = WarningRecipient.objects.create(
        warning=warning, mode="internal_notice", name=f"{mark}区局", district=d
    )
    # An operator sent the industry warning (风险警示); it confirms receipt by its token.
    industry = WarningRecipient.objects.create(
        warning=warning, mode="industry_warning", name=ent.name, enterprise=ent
    )
    photo = WarningPhoto.objects.create(
        warning=warning,
        image=SimpleUploadedFile("产品.png", PNG, content_type="image/png"),
        caption=f"{mark}产品照片",
    )
    return {
        **_foreign(code, mark, ent, info),
        "enterprise": ent,
        "info": info,
        "event": event,
        "assessment": warning.assessment,
        "warning": warning,
        "task": task,
        "route": route,
        "attachment": attachment,
        "tracking": tracking,
        "case": case,
        "signal": signal,
        "lab_task": lab_task,
        "sample": sample,
        "lead": lead,
        "grade": grade,
        "inspection": inspection,
        "measure": measure,
        "product": product,
        "match": match,
        "recipient": recipient,
        "industry_recipient": industry,
        "photo": photo,
    }


def _foreign(code: str, mark: str, ent: Any, info: Any) -> dict[str, Any]:
    """A foreign alert (境外通报) matched to the district's firm, with a second firm of the
    district as a candidate waiting for review."""
    raw = RawItem.objects.create(
        source_kind="foreign_recall",
        source_name="EU Safety Gate",
        external_id=f"SG-A12/SEC-{code}",
        payload={"title": f"{mark} electric kettle"},
        payload_hash=f"sec-foreign-{code}",
    )
    alert = ForeignAlert.objects.create(
        raw_item=raw,
        origin="safety_gate",
        alert_number=f"A12/SEC-{code}",
        alert_date=date.today(),
        notifying_country="Germany",
        country_of_origin="China",
        product_name=f"{mark} electric kettle",
        risk_description="The insulation is insufficient: the user may get an electric shock.",
        risk_types=["Electric shock"],
        category="electrical appliances and equipment",
        country="China",
        origin_region="CN",
        made_in_china=True,
        status="matched",
        enterprise=ent,
        district=_district(code),
        risk_info=info,
    )
    ForeignAlertRiskType.objects.create(alert=alert, risk_type="Electric shock")
    ForeignMatch.objects.create(
        alert=alert, enterprise=ent, confidence=0.95, method="barcode", state="auto_confirmed"
    )
    other = f.enterprise(code, f"{mark}小家电有限公司")
    pending = ForeignMatch.objects.create(
        alert=alert, enterprise=other, confidence=0.7, method="brand_alias", state="pending"
    )
    return {"foreign_alert": alert, "foreign_match": pending}


def _quarantined(by: User) -> QuarantinedItem:
    # Submitted by a person: the intake page cannot yet show a batch without one (see
    # test_access_matrix.test_intake_page_shows_a_batch_without_a_submitter).
    batch = IngestBatch.objects.create(source_label="抽查.csv", quarantined=1, submitted_by=by)
    return QuarantinedItem.objects.create(
        batch=batch,
        source_kind="spot_check",
        location="抽查.csv:3",
        content='{"id": "x"}',
        reason="missing_field",
        message=f"{PD_MARK}第3行缺少字段 title",
    )


def build() -> World:
    who = people()
    world = World(people=who)
    for prefix, code, mark in (("pd", PUDONG, PD_MARK), ("jd", JIADING, JD_MARK)):
        for key, row in _in_district(code, mark, who).items():
            world.rows[f"{prefix}_{key}"] = row
    now = timezone.now()
    station = MonitoringStation.objects.create(
        name=f"{PD_MARK}检验所", kind="lab", district=_district(PUDONG)
    )
    world.station_token = station_services.issue_station_token(station, who["adam"])
    advisory = f.warning(
        f.risk_info(None, title="电动自行车电池起火"),
        status="published",
        modes=(WarningMode.INTERNAL_NOTICE, WarningMode.CONSUMER_ADVISORY),
        title="电动自行车充电起火风险提示",
    )
    advisory_photo = WarningPhoto.objects.create(
        warning=advisory,
        image=SimpleUploadedFile("电池.png", PNG, content_type="image/png"),
        caption="起火电池",
    )
    bulletin = bulletin_services.create_bulletin(
        who["dana"],
        bulletin_services.BulletinRequest(
            kind="monthly", start=date(2026, 5, 1), end=date(2026, 5, 31)
        ),
    )
    version = BulletinVersion.objects.filter(bulletin=bulletin).order_by("number").first()
    activity = CommunicationActivity.objects.create(
        kind="media_briefing",
        title="电热水壶安全使用媒体通气会",
        held_on=date.today(),
        created_by=who["alice"],
        attachment=SimpleUploadedFile("通气会.png", PNG, content_type="image/png"),
        attachment_name="通气会.png",
    )
    expert = Expert.objects.create(name="钱专家", organisation="上海质检院", user=who["erin"])
    draw = ExpertDraw.objects.create(
        case=world["pd_case"], size=1, match="any", seed=7, pool_size=1, drawn_at=now
    )
    drawn = DrawnExpert.objects.create(draw=draw, expert=expert, position=1)
    meeting = Meeting.objects.create(
        code="HS-SEC-1",
        kind="thematic",
        title="电热水壶风险会商",
        scheduled_at=now,
        chair=who["alice"],
    )
    agenda = AgendaItem.objects.create(meeting=meeting, order=1, case=world["pd_case"])
    participant = Participant.objects.create(
        meeting=meeting, name="钱专家", role="expert", user=who["erin"]
    )
    notification = Notification.objects.create(
        key="sec-1", subject=f"{PD_MARK}处置任务已下达", link="/tasks/"
    )
    inbox_entry = InboxEntry.objects.create(notification=notification, user=who["bob"])
    delivery = Delivery.objects.create(
        notification=notification, channel="email", address="bob@example.com", user=who["bob"]
    )
    partner = Partner.objects.create(
        code="JS", name="江苏省市场监督管理局", province="江苏", public_key="0" * 64
    )
    package = ExchangePackage.objects.create(
        direction="sent",
        status="issued",
        sequence=1,
        package_id="SH-20260501-00001",
        partner=partner,
        warning=world["pd_warning"],
        title="电热水壶触电风险",
        content={},
    )
    plan = SpotCheckPlan.objects.create(
        title="2026年第三季度双随机抽查计划",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        budget=10,
        seed=7,
    )
    world.rows.update(
        {
            "station": station,
            "quarantined": _quarantined(who["dana"]),
            "advisory": advisory,
            "advisory_photo": advisory_photo,
            "bulletin": bulletin,
            "bulletin_version": version,
            "activity": activity,
            "expert": expert,
            "drawn": drawn,
            "meeting": meeting,
            "agenda": agenda,
            "participant": participant,
            "inbox_entry": inbox_entry,
            "delivery": delivery,
            "partner": partner,
            "package": package,
            "plan": plan,
            "dead_letter": DeadLetter.objects.create(
                task_name="pqrisk.notifications.tasks.deliver",
                task_id="sec-dead-1",
                exception="ConnectionError: 邮件服务器无响应",
                last_failed_at=now,
            ),
            "category": ProductCategory.objects.order_by("-level", "code").first(),
        }
    )
    return world
