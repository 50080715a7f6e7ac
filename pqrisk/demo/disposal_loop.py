"""The demo's disposal loops, walked through the real services: one red, one yellow and one
green warning from approval to feedback and closure (or tracking), so every disposal page
has a complete example."""

from __future__ import annotations

from typing import Any

from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.core.disposal.routing import ROUTE_TERMS
from pqrisk.core.levels import DisposalRoute, WarningLevel


def _officer(task: Any, supervisor: User) -> User:
    """The district's demo officer, or the city bureau where the district has none."""
    officer = (
        User.objects.filter(district=task.district, groups__name=Role.DISTRICT_OFFICER.label)
        .order_by("id")
        .first()
    )
    return officer or supervisor


def _outcomes(task: Any, kind: str) -> list[Any]:
    from pqrisk.disposal.services import OutcomeIn, task_enterprises

    return [OutcomeIn(e.pk, kind) for e in task_enterprises(task)[:5]]


def _work_routes(task: Any, supervisor: User) -> None:
    from pqrisk.disposal.services import (
        record_recall_progress,
        record_route_result,
    )

    officer = _officer(task, supervisor)
    results = {
        DisposalRoute.INSPECTION: ("对涉事企业开展现场监督检查，封存问题批次库存。", ""),
        DisposalRoute.CERTIFICATION: (
            "函告发证认证机构，建议暂停相关产品CCC证书。",
            "沪市监认函〔演示〕1号",
        ),
        DisposalRoute.ENFORCEMENT: (
            "涉嫌生产销售不合格产品，已移交执法部门立案调查。",
            "沪市监案〔演示〕1号",
        ),
        DisposalRoute.RECALL: ("督促生产企业提交召回计划并实施召回。", "召回备案〔演示〕1号"),
        DisposalRoute.STANDARDS: ("向标准化处反馈现行标准缺少相关试验项目。", ""),
        DisposalRoute.YRD_SHARING: ("已编制长三角共享摘要，待交换。", ""),
    }
    for item in task.route_items.all():
        route = DisposalRoute(item.route)
        if route == DisposalRoute.YRD_SHARING:
            continue  # the exchange package is sent by pqrisk.exchange
        actor = supervisor if ROUTE_TERMS[route].city_only else officer
        if route == DisposalRoute.RECALL:
            record_recall_progress(item, supervisor, units_in_use=1200, units_recovered=480)
            record_recall_progress(item, supervisor, units_in_use=1200, units_recovered=1020)
        text, reference = results.get(route, ("已办理。", ""))
        record_route_result(item, actor, result=text, reference=reference)


def walk_disposal_loops(supervisor: User) -> list[str]:
    """Approve three proposals as red, yellow and green and walk each one's loop."""
    from pqrisk.disposal.models import DisposalTask, TrackingItem
    from pqrisk.disposal.services import act_on_task, record_tracking_check, submit_feedback
    from pqrisk.warnings.models import Warning
    from pqrisk.warnings.services import act_on_warning, approve_warning

    proposals = list(Warning.objects.filter(status="in_review").order_by("created_at", "id")[:12])
    if len(proposals) < 3:
        return ["演示处置闭环：待审批预警不足3条，未演示红黄绿闭环"]
    demo_districts = set(
        User.objects.filter(groups__name=Role.DISTRICT_OFFICER.label).values_list(
            "district_id", flat=True
        )
    )
    # yellow goes to a district with a demo officer, so its own login shows the loop
    yellow = next((w for w in proposals if w.district_id in demo_districts), proposals[1])
    rest = [w for w in proposals if w.pk != yellow.pk]
    red, green = rest[0], rest[1]
    lines = []

    # red: the city bureau organises at once; every task reports, the bureau closes and lifts
    red = approve_warning(
        red, supervisor, level=WarningLevel.RED, note="演示：红色预警，市局统一组织应急处置"
    )
    act_on_warning(red, "publish", supervisor, note="演示：立即发布")
    red_tasks = list(DisposalTask.objects.filter(warning=red).select_related("district"))
    # the lead task last: its report, by the city bureau, lifts the warning
    for task in sorted(red_tasks, key=lambda t: t.lead):
        officer = supervisor if task.lead else _officer(task, supervisor)
        act_on_task(task, "start", officer)
        _work_routes(task, supervisor)
        act_on_task(task, "complete", officer)
        submit_feedback(
            task,
            officer,
            measures="责令涉事企业停止生产销售，问题批次全部下架封存，督促实施召回。",
            findings="问题批次已下架，召回率达85%。",
            enterprises_checked=4,
            products_removed=1200,
            products_recalled=1020,
            penalties=1,
            penalty_amount=80000,
            outcomes=_outcomes(task, "recalled"),
            warning_advice="lift" if task.lead else "keep",
            warning_note="召回完成，各区处置到位，风险已得到控制" if task.lead else "",
        )
        act_on_task(task, "close", supervisor, note="演示：市局验收办结")
    lines.append(
        f"红色预警闭环：{red.title}（{len(red_tasks)}项处置任务，已反馈并办结，预警已解除）"
    )
    # The closed red loop is shared with the Yangtze River Delta partners (长三角共享包).
    from pqrisk.exchange.yrd import export_package

    red.refresh_from_db()
    package = export_package(red, user=supervisor)
    lines.append(f"长三角共享：已签发红色预警及处置情况共享包 {package.package_id}")

    # yellow: the district disposes and reports within 24 h of completing
    yellow = approve_warning(
        yellow, supervisor, level=WarningLevel.YELLOW, note="演示：黄色预警，区局处置"
    )
    yellow_tasks = list(DisposalTask.objects.filter(warning=yellow).select_related("district"))
    for task in yellow_tasks:
        officer = _officer(task, supervisor)
        act_on_task(task, "start", officer)
        _work_routes(task, supervisor)
        act_on_task(task, "complete", officer)
        submit_feedback(
            task,
            officer,
            measures="对辖区内相关生产经营企业开展监督检查，责令整改。",
            findings="企业已完成整改，复查合格。",
            enterprises_checked=2,
            products_removed=60,
            outcomes=_outcomes(task, "rectified"),
        )
        act_on_task(task, "close", supervisor, note="演示：书面报告按时提交，办结")
    lines.append(
        f"黄色预警闭环：{yellow.title}（{len(yellow_tasks)}项区局任务，24小时内书面报告，已办结）"
    )

    # green: no task, continued monitoring with a follow-up check
    green = approve_warning(
        green, supervisor, level=WarningLevel.GREEN, note="演示：绿色预警，持续跟踪"
    )
    item = TrackingItem.objects.get(warning=green)
    checker = (
        User.objects.filter(district_id=item.district_id).first() if item.district_id else None
    ) or supervisor
    record_tracking_check(
        item, checker, finding="抽查辖区经营者，未发现新增风险信号。", conclusion="continue"
    )
    lines.append(f"绿色预警跟踪：{green.title}（不下达任务，已完成首次跟踪检查）")
    return lines
