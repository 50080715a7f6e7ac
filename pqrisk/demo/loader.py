"""Load the generated demo data through the real intake path and walk part of the loop.

Everything goes through the same services a bureau uses: enterprises are registered, the
generated files are ingested, the pipeline screens and assesses, and demo users approve
some warnings and report on some disposal tasks, so every queue of the home page has rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.reference.models import District

BarFactory = Callable[..., AbstractContextManager[Callable[[int], None]]]

# (username, role, district code or None, display name)
DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("admin", Role.CITY_ADMIN, None, "市局管理员"),
    ("supervisor", Role.CITY_SUPERVISOR, None, "市局产品质量安全监管处"),
    ("analyst", Role.ANALYST, None, "风险评估研究中心"),
    ("expert", Role.EXPERT, None, "专家"),
    ("pudong", Role.DISTRICT_OFFICER, "310115", "浦东新区市场监管局"),
    ("jiading", Role.DISTRICT_OFFICER, "310114", "嘉定区市场监管局"),
    ("putuo", Role.DISTRICT_OFFICER, "310107", "普陀区市场监管局"),
)


@dataclass
class DemoSummary:
    lines: list[str]
    passwords: dict[str, str]


def ensure_demo_users(password: str | None = None) -> dict[str, str]:
    """Create (or reset) the demo users; returns their passwords."""
    out: dict[str, str] = {}
    for username, role, district_code, organisation in DEMO_USERS:
        pw = password or os.environ.get("PQRISK_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=username)
        user.organisation = organisation
        user.last_name = organisation
        user.district = District.objects.get(code=district_code) if district_code else None
        user.is_staff = role == Role.CITY_ADMIN
        user.is_superuser = role == Role.CITY_ADMIN
        user.set_password(pw)
        user.save()
        user.groups.set([Group.objects.get(name=role.label)])
        out[username] = pw
    return out


def shared_data_dir() -> Path | None:
    """The shared real-data folder next to the checkout, if present."""
    candidates = [
        os.environ.get("PQRISK_SHARED_DATA", ""),
        str(Path.cwd().parent / "shared" / "data"),
    ]
    for c in candidates:
        if c and (Path(c) / "cpsc_recalls_legacy.jsonl").exists():
            return Path(c)
    return None


def load_demo(
    *,
    seed: int,
    n_enterprises: int,
    days: int,
    bar: BarFactory,
    pipeline_progress: Callable[[], tuple[Callable[[str, int], None], Callable[[], None]]],
) -> DemoSummary:
    from pqrisk.demo.generator import generate
    from pqrisk.enterprises.services import upsert_enterprises
    from pqrisk.foreign.demo import seed_demo_aliases
    from pqrisk.foreign.services import ingest_foreign_file
    from pqrisk.intake.services import ingest_file, load_cpsc_file
    from pqrisk.pipeline import run_pipeline

    lines: list[str] = []
    dataset = generate(seed=seed, n_enterprises=n_enterprises, days=days)
    out_dir = Path(settings.VAR_DIR) / "demo"
    files = dataset.write(out_dir)
    ent = upsert_enterprises(dataset.enterprises, source_label="演示企业名录")
    lines.append(f"企业：新增 {ent.created}，更新 {ent.updated}，隔离 {ent.quarantined}")
    for name, path in sorted(files.items()):
        if name in ("enterprises", "ground_truth") or path.suffix != ".jsonl":
            continue
        with bar(f"采集 {path.name}") as update:
            result = ingest_file(path, progress=update)
        lines.append(f"{path.name}：{result.summary_zh}")
    shared = shared_data_dir()
    if shared is not None:
        result = load_cpsc_file(shared / "cpsc_recalls_legacy.jsonl")
        lines.append(f"CPSC境外召回：{result.summary_zh}")
        recent = shared / "cpsc_recalls_recent.csv"
        if recent.exists():
            result = ingest_foreign_file(recent)
            lines.append(f"CPSC近期召回：{result.summary_zh}")
        # English names and brands of a few demo firms, so that some recalls match them.
        lines.append(f"境外通报企业别名：新增 {seed_demo_aliases()} 个")
    step_progress, close = pipeline_progress()
    try:
        report = run_pipeline(progress=step_progress)
    finally:
        close()
    lines.extend(report.lines_zh())
    lines.extend(detect_demo_signals())
    passwords = ensure_demo_users()
    lines.extend(walk_demo_loop())
    lines.extend(walk_demo_assessment())
    lines.extend(demo_supervision_and_summaries())
    lines.append(f"真实事件标注：{out_dir / 'ground_truth.json'}")
    lines.append("演示账号（用户名 / 密码 / 角色）：")
    for username, role, _district, organisation in DEMO_USERS:
        lines.append(f"  {username} / {passwords[username]} / {role.label}（{organisation}）")
    return DemoSummary(lines, passwords)


def detect_demo_signals() -> list[str]:
    """Run every signal detection method over the demo year, so that the signals queue
    (风险信号) holds what the statistics found, the injected incidents among them."""
    from pqrisk.signals.services import backfill

    runs = backfill()
    by_kind = {run.kind: run for run in runs}
    names = {
        "temporal_week": "按周时间序列",
        "temporal_day": "按日时间序列",
        "disproportionality": "比例失衡",
        "scan": "时空扫描",
    }
    parts = "，".join(f"{names[k]} {r.new_signals} 条" for k, r in by_kind.items() if k in names)
    seconds = sum(r.seconds for r in runs)
    return [f"风险信号检测：{parts}（用时 {seconds:.1f} 秒）"]


def demo_supervision_and_summaries() -> list[str]:
    """What the scheduled jobs would have done by now: product risk levels and credit
    grades, trigger-based inspection tasks, the dashboard's summary tables and last
    month's bulletin draft."""
    from collections import Counter

    from pqrisk.bulletins.choices import BulletinKind
    from pqrisk.bulletins.services import draft_periodic
    from pqrisk.dashboard.summaries import refresh
    from pqrisk.supervision.models import CreditGrade
    from pqrisk.supervision.services import regrade_changed, run_triggers

    graded = regrade_changed()
    grades = Counter(CreditGrade.objects.filter(is_current=True).values_list("grade", flat=True))
    triggers = run_triggers()
    summary = refresh(full=True)
    bulletin = draft_periodic(BulletinKind.MONTHLY)
    shown = "、".join(f"{g}类 {grades.get(g, 0)} 家" for g in "ABCD")
    return [
        f"信用风险分级：{graded['regraded']} 家企业（{shown}）；触发检查任务 {triggers.created} 项",
        f"综合看板汇总：{summary.rows} 行（用时 {summary.seconds:.1f} 秒）",
        f"产品质量安全资讯：{bulletin.title if bulletin else '上月月刊已存在'}（草稿）",
    ]


@transaction.atomic
def walk_demo_loop() -> list[str]:
    """Demo users act on the proposals: one red, one yellow and one green loop walked to
    feedback and closure (or tracking), a few more approved and published, and some
    disposal tasks started, so every stage of the loop has examples."""
    from pqrisk.demo.disposal_loop import walk_disposal_loops
    from pqrisk.disposal.models import DisposalTask
    from pqrisk.disposal.services import act_on_task
    from pqrisk.warnings.models import Warning
    from pqrisk.warnings.services import act_on_warning, approve_warning

    supervisor = User.objects.get(username="supervisor")
    lines = walk_disposal_loops(supervisor)
    approved = 0
    for warning in Warning.objects.filter(status="in_review").order_by("created_at")[:3]:
        approve_warning(warning, supervisor, note="演示：市局监管处审批")
        approved += 1
    published = 0
    for warning in Warning.objects.filter(status="approved").order_by("approved_at")[:2]:
        act_on_warning(warning, "publish", supervisor, note="演示：按时限发布")
        published += 1
    started = 0
    for task in DisposalTask.objects.filter(status="open").order_by("id")[:3]:
        officer = User.objects.filter(district=task.district).first() or supervisor
        act_on_task(task, "start", officer)
        started += 1
    lines.append(
        f"演示流程：另批准预警 {approved} 条，发布 {published} 条，开始处置任务 {started} 项"
    )
    return lines


# Experts of the demo library: (name, organisation, title, linked to the demo "expert" login).
DEMO_EXPERTS: tuple[tuple[str, str, str, bool], ...] = (
    ("王建国", "上海市质量监督检验技术研究院", "正高级工程师", True),
    ("李慧敏", "同济大学机械与能源工程学院", "教授", False),
    ("张伟", "上海市消防救援总队火灾调查处", "高级工程师", False),
    ("陈静", "复旦大学附属儿科医院", "主任医师", False),
    ("刘洋", "上海电器科学研究所（集团）有限公司", "高级工程师", False),
)


@transaction.atomic
def walk_demo_assessment() -> list[str]:
    """The assessment centre opens cases on the two largest events: the model's suggestion
    and a matrix assessment; an expert library with a declared conflict and a draw (the demo
    "expert" login is on the panel and can rate); a sampling task; a consultation meeting."""
    from datetime import timedelta

    from django.utils import timezone

    from pqrisk.assessment.cases import act_on_case, assess_case, default_matrix_input, open_case
    from pqrisk.assessment.judgement import suggest
    from pqrisk.experts.services import draw_experts, family_of, register_expert
    from pqrisk.labs.services import create_task
    from pqrisk.meetings.services import add_agenda_case, convene_meeting
    from pqrisk.screening.models import Event

    analyst = User.objects.get(username="analyst")
    events = list(
        Event.objects.filter(hazard__isnull=False, enterprise__isnull=False)
        .select_related("product_category", "hazard", "enterprise")
        .order_by("-item_count", "id")[:2]
    )
    if not events:
        return []
    cases = []
    for event in events:
        case = open_case(analyst, event=event, description="演示：评估中心对高发事件立项评估")
        act_on_case(case, "start", analyst)
        suggest(case, analyst)
        inp = default_matrix_input(case)
        if inp is not None:
            assess_case(case, analyst, inp)
        cases.append(case)
    first, event = cases[0], events[0]
    family = family_of(event.product_category)
    families = [family] if family else []
    expert_login = User.objects.get(username="expert")
    for name, organisation, title, linked in DEMO_EXPERTS:
        register_expert(
            analyst,
            name=name,
            organisation=organisation,
            title=title,
            product_families=families,
            hazards=[event.hazard],
            account=expert_login if linked else None,
        )
    register_expert(
        analyst,
        name="赵明",
        organisation="上海某检测技术服务有限公司",
        title="工程师",
        employer=event.enterprise.name if event.enterprise else "",
        product_families=families,
        hazards=[event.hazard],
    )
    draw = draw_experts(first, analyst, size=len(DEMO_EXPERTS), seed=20261127)
    create_task(
        analyst,
        title=f"{first.title}（网购抽样）",
        product_category=event.product_category,
        channel="ecommerce",
        product_name=event.product_category.name,
        case=first,
        lab="上海市质量监督检验技术研究院",
        due_on=timezone.localdate() + timedelta(days=20),
        requirements="模拟消费者网购，保留订单与物流记录，样品封样后送检",
    )
    meeting = convene_meeting(
        analyst,
        kind="thematic",
        title=f"{cases[-1].title}专题会商",
        scheduled_at=timezone.now() + timedelta(days=2),
        place="市局第三会议室",
    )
    add_agenda_case(meeting, cases[-1], analyst, presenter="风险评估研究中心")
    return [
        f"评估任务：立项 {len(cases)} 项（{'、'.join(c.code for c in cases)}），"
        f"专家库 {len(DEMO_EXPERTS) + 1} 人，为 {first.code} 抽取专家 {draw.size} 人"
        f"（回避 {len(draw.excluded)} 人），抽样任务 1 项，会商会议 {meeting.code} 已召集"
    ]
