"""Lab sampling (实验室风险评估): tasks, purchases, samples, custody, results, rapid tests and
violation leads. Every change is audited on the task (or the lead, or the case it feeds).

Who acts: the assessment centre and the city bureau (评估中心、市局监管处、市局管理员) run the
tasks; ``None`` as the user is the system acting from the shell. A district officer sees the
tasks and leads of their district and closes a lead referred to their enforcement.

Rules the chain of custody enforces (a lab result is only evidence if they hold):
each hand-over starts where the previous one ended (交出方 = previous 接收方), in time order, not
before the purchase; a sample is tested only after the lab received it with its seal intact.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role, workflow_roles
from pqrisk.assessment.choices import EvidenceKind
from pqrisk.assessment.models import CaseEvidence
from pqrisk.audit.services import record as audit
from pqrisk.core.assessment.lab import (
    DECISION_RULE_ZH,
    LAB_TASK_MACHINE,
    LEAD_MACHINE,
    Judgement,
    LabValueError,
    Limit,
    Measured,
    Screening,
    Verdict,
    judge,
    number,
    parse_limit,
    parse_measured,
    parse_verdict,
    same_item,
    screen,
)
from pqrisk.core.filenames import display_name, stored_name
from pqrisk.core.workflow import TransitionNotAllowed

from .choices import (
    LEGAL_BASIS_SUGGESTION,
    ONLINE_CHANNELS,
    ONLINE_LEGAL_BASIS_SUGGESTION,
    TO_LAB,
    CustodyKind,
    LeadStatus,
    PurchaseChannel,
    ResultSource,
    TaskStatus,
)
from .models import (
    CustodyEntry,
    RapidTest,
    ResultBatch,
    Sample,
    SamplingTask,
    TestItem,
    ViolationLead,
)

if TYPE_CHECKING:
    from pqrisk.intake.models import QuarantinedItem

from .results_file import (
    MAX_RESULTS_FILE_BYTES,
    ResultRow,
    ResultsRejected,
    RowError,
    read_results_file,
)

M = TypeVar("M", bound=Model)

MANAGER_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)
# States in which samples and their custody may be recorded.
SAMPLE_STATES = (TaskStatus.PURCHASED, TaskStatus.SENT_TO_LAB, TaskStatus.TESTED)
OPEN_STATES = (TaskStatus.PLANNED, *SAMPLE_STATES)
# Clocks of a phone and a server disagree a little; beyond this a time is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
TASK_PREFIX = "CY"  # 抽样
LEAD_PREFIX = "XS"  # 线索


class LabError(Exception):
    """A request the rules refuse; ``message_zh`` says why, for the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def may_manage(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*MANAGER_ROLES))


def _require_manager(user: Any) -> None:
    if user is None:
        return
    try:
        require_role(user, *MANAGER_ROLES)
    except PermissionDenied:
        raise PermissionDenied("只有评估中心、市局监管处或市局管理员可以办理抽样任务") from None


def _person(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _fail(errors: list[str]) -> None:
    if errors:
        raise LabError("；".join(errors))


def _label(status: str) -> str:
    return LAB_TASK_MACHINE.label(status)


def _next_code(model: type[Model], prefix: str) -> str:
    """``CY2026-0001``: prefix, year, and the next number of the year."""
    head = f"{prefix}{timezone.localdate().year}-"
    last = (
        model._default_manager.filter(code__startswith=head)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{head}{n:04d}"


def _with_code(model: type[M], prefix: str, make: Callable[[str], M]) -> M:
    """Create a row under the next free code; a parallel request that took it makes us retry."""
    for _ in range(5):
        code = _next_code(model, prefix)
        try:
            with transaction.atomic():
                return make(code)
        except IntegrityError:
            if not model._default_manager.filter(code=code).exists():
                raise
    raise LabError("编号生成冲突，请重试")


def _locked(task: SamplingTask) -> SamplingTask:
    return SamplingTask.objects.select_for_update().get(pk=task.pk)


def _move(task: SamplingTask, action: str, user: Any, message: str = "") -> None:
    """Take a transition of the task's workflow, save and audit it."""
    try:
        t = LAB_TASK_MACHINE.apply(task.status, action, workflow_roles(user))
    except TransitionNotAllowed as exc:
        raise LabError(exc.message_zh) from exc
    old = task.status
    task.status = t.target
    if t.target == TaskStatus.CLOSED:
        task.closed_at = timezone.now()
    task.save()
    audit(action, task, actor=user, from_state=old, to_state=task.status, message=message)


def _same_party(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return unicodedata.normalize("NFKC", s).replace(" ", "").casefold()

    return norm(a) == norm(b)


def _not_in_future(at: datetime | date, what: str, errors: list[str]) -> None:
    now = timezone.now()
    if isinstance(at, datetime):
        if at > now + CLOCK_SKEW:
            errors.append(f"{what}晚于当前时间")
    elif at > timezone.localdate(now):
        errors.append(f"{what}晚于今天")


# ---------------------------------------------------------------- tasks


@transaction.atomic
def create_task(
    user: Any,
    *,
    title: str,
    product_category: Any,
    channel: str,
    product_name: str = "",
    case: Any = None,
    enterprise: Any = None,
    district: Any = None,
    platform: str = "",
    shop_name: str = "",
    shop_url: str = "",
    shop_address: str = "",
    lab: str = "",
    due_on: date | None = None,
    requirements: str = "",
) -> SamplingTask:
    """Plan a sampling task (抽样任务); serving a case, it takes the case's enterprise and
    district unless given others."""
    _require_manager(user)
    errors = []
    if not title.strip():
        errors.append("请填写任务名称")
    if channel not in PurchaseChannel.values:
        errors.append(f"未知的购买渠道：{channel}")
    if product_category is None:
        errors.append("请选择产品类别")
    _fail(errors)
    if case is not None:
        enterprise = enterprise or case.enterprise
        district = district or case.district

    def make(code: str) -> SamplingTask:
        return SamplingTask.objects.create(
            code=code,
            title=title.strip(),
            case=case,
            product_category=product_category,
            product_name=product_name.strip(),
            enterprise=enterprise,
            district=district,
            channel=channel,
            platform=platform.strip(),
            shop_name=shop_name.strip(),
            shop_url=shop_url.strip(),
            shop_address=shop_address.strip(),
            lab=lab.strip(),
            due_on=due_on,
            requirements=requirements.strip(),
            created_by=_person(user),
        )

    task = _with_code(SamplingTask, TASK_PREFIX, make)
    audit(
        "create_task",
        task,
        actor=user,
        to_state=task.status,
        message=f"创建抽样任务：{task.title}" + (f"（服务评估任务 {case.code}）" if case else ""),
    )
    return task


@transaction.atomic
def record_purchase(
    task: SamplingTask,
    user: Any,
    *,
    channel: str,
    purchased_on: date | None,
    shop_name: str,
    purchase_record: Any,
    platform: str = "",
    shop_url: str = "",
    shop_address: str = "",
    order_number: str = "",
    price: Decimal | None = None,
    quantity: int | None = 1,
    buyer: Any = None,
    buyer_account: str = "",
    note: str = "",
) -> SamplingTask:
    """Record the purchase made as a consumer (模拟消费者购买): where, when, the order and its
    receipt or screenshot. An online purchase needs its platform and order number: without
    them the seller cannot be held to the sample."""
    _require_manager(user)
    task = _locked(task)
    errors = []
    if channel not in PurchaseChannel.values:
        errors.append(f"未知的购买渠道：{channel}")
    if not shop_name.strip():
        errors.append("请填写店铺名称")
    if channel in ONLINE_CHANNELS:
        if not platform.strip():
            errors.append("网购须填写电商平台")
        if not order_number.strip():
            errors.append("网购须填写订单号")
    if purchased_on is None:
        errors.append("请填写购买日期")
    else:
        _not_in_future(purchased_on, "购买日期", errors)
    if price is not None and price < 0:
        errors.append("单价不能为负数")
    if quantity is not None and quantity < 1:
        errors.append("购买数量至少为1")
    if not purchase_record:
        errors.append("请上传购买凭证（发票、小票或订单截图）")
    _fail(errors)
    task.channel = channel
    task.platform = platform.strip()
    task.shop_name = shop_name.strip()
    task.shop_url = shop_url.strip()
    task.shop_address = shop_address.strip()
    task.purchased_on = purchased_on
    task.order_number = order_number.strip()
    task.price = price
    task.quantity = quantity
    task.buyer = buyer or _person(user)
    task.buyer_account = buyer_account.strip()
    task.purchase_note = note.strip()
    task.purchase_record = purchase_record
    order = f"，订单号 {task.order_number}" if task.order_number else ""
    _move(task, "purchase", user, f"{purchased_on} 于 {task.where_bought} 购买{order}")
    return task


def act_on_task(task: SamplingTask, action: str, user: Any, note: str = "") -> SamplingTask:
    """Close (办结) or cancel (撤销) a task. The other moves follow from what is recorded."""
    if action not in ("close", "cancel"):
        raise LabError("该状态由购买、样品流转和检验结果的登记自动变更")
    _require_manager(user)
    with transaction.atomic():
        task = _locked(task)
        if action == "cancel" and not note.strip():
            raise LabError("撤销须填写原因")
        if action == "close":
            open_ = open_follow_ups(task).count()
            if open_:
                raise LabError(f"尚有{open_}项快检阳性或可疑结果未经实验室检验确认，不能办结")
        _move(task, action, user, note.strip())
    return task


# ---------------------------------------------------------------- samples and custody


@transaction.atomic
def add_sample(
    task: SamplingTask,
    user: Any,
    *,
    name: str,
    seal_number: str,
    code: str = "",
    brand: str = "",
    model: str = "",
    batch: str = "",
    produced_on: date | None = None,
    manufacturer_name: str = "",
    quantity: int = 1,
    condition: str = "",
) -> Sample:
    """Register a sample of what was bought, sealed under ``seal_number``; its code (given,
    or ``<task code>-NN``) is printed on the seal and is what the lab reports against."""
    _require_manager(user)
    task = _locked(task)
    errors = []
    if task.status not in SAMPLE_STATES:
        hint = "，请先登记购买" if task.status == TaskStatus.PLANNED else ""
        raise LabError(f"任务当前为“{_label(task.status)}”，不能登记样品{hint}")
    if not name.strip():
        errors.append("请填写样品名称")
    if not seal_number.strip():
        errors.append("请填写封条编号")
    code = code.strip()
    if code and Sample.objects.filter(code=code).exists():
        errors.append(f"样品编号“{code}”已被使用")
    if produced_on and task.purchased_on and produced_on > task.purchased_on:
        errors.append("生产日期晚于购买日期")
    if quantity < 1:
        errors.append("样品数量至少为1")
    _fail(errors)
    if not code:
        n = task.samples.count() + 1
        while Sample.objects.filter(code=f"{task.code}-{n:02d}").exists():
            n += 1
        code = f"{task.code}-{n:02d}"
    sample = Sample.objects.create(
        task=task,
        code=code,
        name=name.strip(),
        brand=brand.strip(),
        model=model.strip(),
        batch=batch.strip(),
        produced_on=produced_on,
        manufacturer_name=manufacturer_name.strip(),
        seal_number=seal_number.strip(),
        quantity=quantity,
        condition=condition.strip(),
        registered_by=_person(user),
    )
    audit(
        "add_sample",
        task,
        actor=user,
        message=f"登记样品 {sample.code} {sample.name}（封条 {sample.seal_number}）",
        detail={"sample_id": sample.pk},
    )
    return sample


def lab_receipt(sample: Sample) -> CustodyEntry | None:
    """The lab's latest receipt of the sample (实验室收样), if any."""
    return sample.custody.filter(kind=CustodyKind.LAB_RECEIVED).order_by("-at", "-id").first()


def untestable_reason(sample: Sample, receipt: CustodyEntry | None) -> str | None:
    """Why the sample cannot be tested yet, or None: it must have reached the lab, sealed."""
    if receipt is None:
        return (
            f"样品{sample.code}尚未由实验室接收（流转记录中没有“实验室收样”），不能录入检验结果；"
            "请先登记样品送达实验室的交接"
        )
    if not receipt.seal_intact:
        when = timezone.localtime(receipt.at)
        return (
            f"样品{sample.code}于{when:%Y-%m-%d %H:%M}送达实验室时封条不完整，"
            "检验结果不能作为依据；请重新抽样"
        )
    return None


@transaction.atomic
def add_custody_entry(
    sample: Sample,
    user: Any,
    *,
    kind: str,
    at: datetime,
    from_party: str,
    to_party: str,
    location: str = "",
    seal_intact: bool = True,
    note: str = "",
) -> CustodyEntry:
    """Append one hand-over to the sample's chain of custody (样品流转). The chain must be
    unbroken: each step starts with whoever received the sample in the step before."""
    _require_manager(user)
    task = _locked(sample.task)
    if task.status not in SAMPLE_STATES:
        raise LabError(f"任务当前为“{_label(task.status)}”，不能登记样品流转")
    errors = []
    if kind not in CustodyKind.values:
        errors.append(f"未知的流转环节：{kind}")
    from_party, to_party = from_party.strip(), to_party.strip()
    if not from_party or not to_party:
        errors.append("请填写交出方和接收方")
    elif _same_party(from_party, to_party):
        errors.append("交出方和接收方不能相同")
    _not_in_future(at, "交接时间", errors)
    if task.purchased_on and timezone.localdate(at) < task.purchased_on:
        errors.append(f"交接时间早于购买日期（{task.purchased_on}）")
    previous = sample.custody.order_by("-at", "-id").first()
    if previous is not None:
        if at < previous.at:
            when = timezone.localtime(previous.at)
            errors.append(f"交接时间早于上一环节（{when:%Y-%m-%d %H:%M}）")
        if from_party and not _same_party(previous.to_party, from_party):
            errors.append(
                f"流转不连续：上一环节样品交给了“{previous.to_party}”，本次交出方却是“{from_party}”"
            )
    if kind == CustodyKind.LAB_RECEIVED and task.lab and not _same_party(to_party, task.lab):
        errors.append(f"实验室收样的接收方应为承检机构“{task.lab}”")
    _fail(errors)
    entry = CustodyEntry.objects.create(
        sample=sample,
        kind=kind,
        at=at,
        from_party=from_party,
        to_party=to_party,
        location=location.strip(),
        seal_intact=seal_intact,
        note=note.strip(),
        recorded_by=_person(user),
    )
    seal = "" if seal_intact else "，封条不完整"
    audit(
        "custody",
        task,
        actor=user,
        message=f"样品 {sample.code}：{entry.get_kind_display()} {from_party} → {to_party}{seal}",
        detail={"sample_id": sample.pk, "entry_id": entry.pk},
    )
    if kind in TO_LAB and task.status == TaskStatus.PURCHASED:
        _move(task, "send", user, f"样品 {sample.code} 送往 {to_party}")
    return entry


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CheckedRow:
    row: ResultRow
    sample: Sample
    limit: Limit
    measured: Measured
    judgement: Judgement
    uncertainty: Decimal | None
    tested_on: date


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def validate_results(
    task: SamplingTask, rows: Sequence[ResultRow], *, tested_on: date
) -> list[CheckedRow]:
    """Check every row before anything is saved; ResultsRejected lists every problem."""
    if task.status not in SAMPLE_STATES:
        raise ResultsRejected(
            [RowError(None, "", f"任务当前为“{_label(task.status)}”，不能录入检验结果")]
        )
    codes = {r.sample_code for r in rows if r.sample_code}
    samples = {s.code: s for s in Sample.objects.filter(code__in=codes).select_related("task")}
    receipts = {s.pk: lab_receipt(s) for s in samples.values() if s.task_id == task.pk}
    own = "、".join(task.samples.values_list("code", flat=True)[:10]) or "无"
    existing: dict[int, list[TestItem]] = defaultdict(list)
    for item in TestItem.objects.filter(sample__in=list(samples.values())):
        existing[item.sample_id].append(item)
    seen: dict[tuple[str, str, str], int | None] = {}
    errors: list[RowError] = []
    checked: list[CheckedRow] = []
    for r in rows:
        row_errors: list[RowError] = []

        def error(
            column: str, message: str, r: ResultRow = r, out: list[RowError] = row_errors
        ) -> None:
            out.append(RowError(r.row, column, message))

        sample = samples.get(r.sample_code)
        receipt = None
        if not r.sample_code:
            error("样品编号", "样品编号为空")
        elif sample is None:
            error("样品编号", f"样品编号“{r.sample_code}”不存在（本任务的样品：{own}）")
        elif sample.task_id != task.pk:
            error("样品编号", f"样品“{r.sample_code}”属于任务 {sample.task.code}，不属于本任务")
        else:
            receipt = receipts[sample.pk]
            if reason := untestable_reason(sample, receipt):
                error("样品编号", reason)
        if not r.name:
            error("检验项目", "检验项目为空")
        for column, value, longest in _sized_cells(r):
            if len(value) > longest:
                error(column, f"超过{longest}个字符")
        if not r.standard:
            error("标准", "请填写检验依据的标准（及条款）")
        limit = measured = lab_verdict = None
        uncertainty: Decimal | None = None
        try:
            limit = parse_limit(r.limit)
        except LabValueError as exc:
            error("限值", exc.message_zh)
        if limit is not None and not limit.is_numeric and not r.requirement:
            error("技术要求", "定性要求（限值为空）须在“技术要求”中写明要求")
        try:
            measured = parse_measured(r.measured)
        except LabValueError as exc:
            error("实测值", exc.message_zh)
        try:
            lab_verdict = parse_verdict(r.verdict)
        except LabValueError as exc:
            error("判定", exc.message_zh)
        if r.uncertainty not in (None, ""):
            uncertainty = number(r.uncertainty)
            if uncertainty is None:
                error("扩展不确定度", f"“{r.uncertainty}”不是数字")
        day = tested_on
        if r.tested_on not in (None, ""):
            try:
                day = _date(r.tested_on) or tested_on
            except ValueError:
                error("检验日期", f"“{r.tested_on}”不是日期（应为 2026-03-05）")
        if day > timezone.localdate():
            error("检验日期", f"检验日期 {day} 晚于今天")
        elif receipt is not None and day < timezone.localdate(receipt.at):
            error("检验日期", f"检验日期 {day} 早于实验室收样日期 {timezone.localdate(receipt.at)}")
        judgement = None
        if limit is not None and measured is not None and not (r.verdict and lab_verdict is None):
            try:
                judgement = judge(limit, measured, lab_verdict=lab_verdict, uncertainty=uncertainty)
            except LabValueError as exc:
                column = "实测值" if limit.is_numeric and not measured.is_numeric else "判定"
                error(column, exc.message_zh)
        if r.sample_code and r.name:
            key = (r.sample_code, _item_key(r.name), _item_key(r.standard))
            if key in seen:
                where = f"第{seen[key]}行" if seen[key] is not None else "前面"
                error("检验项目", f"与{where}重复（同一样品、项目和标准）")
            else:
                seen[key] = r.row
            if sample is not None:
                for old in existing.get(sample.pk, []):
                    if same_item(old.name, r.name) and same_item(old.standard, r.standard):
                        error(
                            "检验项目",
                            f"样品{sample.code}的“{r.name}”（{r.standard}）已有检验结果"
                            f"（{old.tested_on}），不能重复录入",
                        )
                        break
        if row_errors:
            errors.extend(row_errors)
            continue
        assert sample is not None and limit is not None and measured is not None
        assert judgement is not None
        checked.append(CheckedRow(r, sample, limit, measured, judgement, uncertainty, day))
    if errors:
        raise ResultsRejected(errors)
    return checked


def _sized_cells(r: ResultRow) -> list[tuple[str, str, int]]:
    """The cells that are stored in fields of a fixed length, with that length."""
    return [
        ("检验项目", r.name, TestItem._meta.get_field("name").max_length or 0),
        ("标准", r.standard, TestItem._meta.get_field("standard").max_length or 0),
        ("限值", r.limit, TestItem._meta.get_field("limit_text").max_length or 0),
        ("单位", r.unit, TestItem._meta.get_field("unit").max_length or 0),
        ("实测值", str(r.measured), TestItem._meta.get_field("measured_text").max_length or 0),
        ("判定", r.verdict, TestItem._meta.get_field("lab_verdict").max_length or 0),
    ]


def _item_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").casefold()


def _float(d: Decimal | None) -> float | None:
    return float(d) if d is not None else None


@transaction.atomic
def record_results(
    task: SamplingTask,
    rows: Sequence[ResultRow],
    user: Any,
    *,
    lab: str,
    tested_on: date,
    source: str = ResultSource.MANUAL,
    report_number: str = "",
    file: tuple[str, bytes] | None = None,
) -> ResultBatch:
    """Record a lab's results, all or none: validated first (``validate_results``), then
    saved with their verdicts; failed items raise violation leads, positive rapid tests of
    the same items are confirmed, the task becomes 已检验 and its case gets the evidence."""
    _require_manager(user)
    if not lab.strip():
        raise ResultsRejected([RowError(None, "检验机构", "请填写检验机构")])
    task = _locked(task)
    checked = validate_results(task, rows, tested_on=tested_on)
    batch = ResultBatch(
        task=task,
        source=source,
        lab=lab.strip(),
        report_number=report_number.strip(),
        rows=len(checked),
        recorded_by=_person(user),
    )
    if file is not None:
        name, data = file
        batch.file_name = name[:200]
        batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    items = [
        TestItem(
            batch=batch,
            sample=c.sample,
            name=c.row.name,
            standard=c.row.standard,
            requirement=c.row.requirement,
            comparison=c.limit.comparison.value,
            limit_text=c.limit.describe() if c.limit.is_numeric else "",
            unit=c.row.unit,
            measured_text=c.measured.text,
            measured_value=_float(c.measured.value) if c.measured.bound == "" else None,
            uncertainty=_float(c.uncertainty),
            lab_verdict=c.row.verdict,
            verdict=c.judgement.verdict.value,
            verdict_reason=c.judgement.reason_zh[:500],
            near_limit=c.judgement.near_limit,
            lab=batch.lab,
            tested_on=c.tested_on,
            row_number=c.row.row,
        )
        for c in checked
    ]
    # One by one: the leads and the rapid tests need the items' keys on every database.
    for item in items:
        item.save()
    confirmed = _confirm_rapid_tests(task, items)
    counts = {v: sum(1 for i in items if i.verdict == v.value) for v in Verdict}
    failed = [i for i in items if i.verdict == Verdict.FAIL]
    if task.status == TaskStatus.SENT_TO_LAB:
        _move(task, "test", user, f"{batch.lab} 检验结果已录入")
    leads = _flag_leads(task, failed, user)
    lead_text = f"，生成/补充违法线索{len(leads)}条" if leads else ""
    confirm_text = f"，确认快检{len(confirmed)}项" if confirmed else ""
    audit(
        "results",
        task,
        actor=user,
        message=f"录入检验结果{len(items)}项（{batch.get_source_display()}"
        f"{'：' + batch.file_name if batch.file_name else ''}）："
        f"合格{counts[Verdict.PASS]}项、不合格{counts[Verdict.FAIL]}项、"
        f"不判定{counts[Verdict.NOT_JUDGED]}项{lead_text}{confirm_text}",
        detail={"batch_id": batch.pk, "leads": [lead.pk for lead in leads]},
    )
    _attach_evidence(task, batch, items, user)
    return batch


def enter_result(
    sample: Sample,
    user: Any,
    *,
    name: str,
    standard: str,
    limit: str,
    measured: str,
    lab: str,
    tested_on: date,
    requirement: str = "",
    unit: str = "",
    verdict: str = "",
    uncertainty: Any = None,
    report_number: str = "",
) -> TestItem:
    """Enter one test item by hand (the same checks as an imported row)."""
    row = ResultRow(
        row=None,
        sample_code=sample.code,
        name=name.strip(),
        standard=standard.strip(),
        requirement=requirement.strip(),
        limit=limit.strip(),
        unit=unit.strip(),
        measured=measured.strip(),
        verdict=verdict.strip(),
        uncertainty=uncertainty,
    )
    batch = record_results(
        sample.task, [row], user, lab=lab, tested_on=tested_on, report_number=report_number
    )
    return batch.items.get()


def import_results(
    task: SamplingTask,
    upload: Any,
    user: Any,
    *,
    lab: str,
    tested_on: date,
    report_number: str = "",
) -> ResultBatch:
    """Import a lab's results file (CSV or Excel, docs/labs.md): the whole file is checked
    first and either every row is saved or none (ResultsRejected names each bad row)."""
    _require_manager(user)
    data = upload.read()
    name = display_name(upload.name)  # shown and kept as metadata, never a path
    try:
        if len(data) > MAX_RESULTS_FILE_BYTES:
            limit = MAX_RESULTS_FILE_BYTES // 1024 // 1024
            raise ResultsRejected([RowError(None, "", f"文件过大（上限 {limit} MB）")])
        rows = read_results_file(upload.name, data)
        return record_results(
            task,
            rows,
            user,
            lab=lab,
            tested_on=tested_on,
            source=ResultSource.FILE,
            report_number=report_number,
            file=(name, data),
        )
    except ResultsRejected as exc:
        keep_rejected_file(task, name, data, exc, user)
        raise


# A refused file's text is kept in the quarantine row up to this size; the file itself is
# always stored (under MEDIA_ROOT/quarantine/labs/), so that nothing is lost.
QUARANTINE_TEXT_CHARS = 200_000


def keep_rejected_file(
    task: SamplingTask, name: str, data: bytes, exc: ResultsRejected, user: Any
) -> QuarantinedItem:
    """Keep a results file refused whole in quarantine (隔离区) with its reasons: the file is
    stored, its text (when it is text) shown; audited. Nothing of it was recorded."""
    from django.core.files.storage import default_storage

    from pqrisk.intake.choices import QuarantineReason
    from pqrisk.intake.models import QuarantinedItem

    # Stored under a generated name: the sender's name is shown, never used as a path.
    name = display_name(name)
    stored = default_storage.save(
        stored_name(f"quarantine/labs/{task.code}", name),
        ContentFile(data),
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    too_large = len(data) > MAX_RESULTS_FILE_BYTES
    content = (
        text[:QUARANTINE_TEXT_CHARS]
        if text and not too_large
        else f"（二进制或过大的文件，已保存为 {stored}，{len(data)} 字节）"
    )
    item = QuarantinedItem.objects.create(
        source_kind="lab_results",
        location=f"{name}（抽样任务 {task.code}，文件 {stored}）"[:300],
        content=content,
        reason=QuarantineReason.TOO_LARGE if too_large else QuarantineReason.MALFORMED,
        message=str(exc)[:500],
        parsed={"errors": [str(e) for e in exc.errors[:200]], "file": stored, "task": task.code},
    )
    audit(
        "quarantine",
        task,
        actor=user,
        message=f"检验结果文件“{name}”未导入，已存入隔离区 #{item.pk}：{exc.message_zh}",
        detail={"quarantine": item.pk, "file": stored},
    )
    return item


def _confirm_rapid_tests(task: SamplingTask, items: Iterable[TestItem]) -> list[RapidTest]:
    """A lab test of the item a positive or suspect rapid test screened confirms it (either
    way): the rapid test of the sample, or the on-site one of the task."""
    waiting = list(
        task.rapid_tests.filter(
            screening__in=(Screening.POSITIVE, Screening.SUSPECT), confirmed_by__isnull=True
        )
    )
    done = []
    for rt in waiting:
        match = next(
            (
                i
                for i in items
                if (rt.sample_id is None or rt.sample_id == i.sample_id)
                and same_item(rt.item, i.name)
            ),
            None,
        )
        if match is not None:
            rt.confirmed_by = match
            rt.save(update_fields=["confirmed_by"])
            done.append(rt)
    return done


def open_follow_ups(task: SamplingTask) -> QuerySet[RapidTest]:
    """Positive or suspect rapid tests still waiting for a lab test (后续须实验室检验确认)."""
    return task.rapid_tests.filter(
        screening__in=(Screening.POSITIVE, Screening.SUSPECT), confirmed_by__isnull=True
    )


# ---------------------------------------------------------------- rapid tests


@transaction.atomic
def add_rapid_test(
    task: SamplingTask,
    user: Any,
    *,
    item: str,
    method: str,
    result: str,
    tested_at: datetime,
    sample: Sample | None = None,
    location: str = "",
    instrument: str = "",
    limit: str = "",
    unit: str = "",
    uncertainty: Decimal | None = None,
    coverage_factor: Decimal | None = None,
    detection_limit: Decimal | None = None,
) -> RapidTest:
    """Record a rapid test (快检) and its screening (阳性/可疑/阴性, ``core.lab.screen``). It
    never concludes non-conformity: a positive or suspect one waits for a lab test of the
    same item, and the task cannot be closed until it has one."""
    _require_manager(user)
    task = _locked(task)
    if task.status not in OPEN_STATES:
        raise LabError(f"任务当前为“{_label(task.status)}”，不能登记快检")
    errors = []
    if sample is not None and sample.task_id != task.pk:
        errors.append("样品不属于本任务")
    if sample is None and not location.strip():
        errors.append("现场快检须填写检测地点（或选择样品）")
    if not item.strip() or not method.strip():
        errors.append("请填写检测项目和检测方法")
    if uncertainty is not None and uncertainty < 0:
        errors.append("扩展不确定度不能为负数")
    if coverage_factor is not None and coverage_factor <= 0:
        errors.append("包含因子k应大于0")
    _not_in_future(tested_at, "检测时间", errors)
    _fail(errors)
    try:
        threshold = parse_limit(limit)
        measured = parse_measured(result)
        outcome = screen(
            threshold, measured, uncertainty=uncertainty, detection_limit=detection_limit
        )
    except LabValueError as exc:
        raise LabError(exc.message_zh) from exc
    rt = RapidTest.objects.create(
        task=task,
        sample=sample,
        location=location.strip(),
        item=item.strip(),
        method=method.strip(),
        instrument=instrument.strip(),
        comparison=threshold.comparison.value,
        limit_text=threshold.describe() if threshold.is_numeric else "",
        unit=unit.strip(),
        result_text=measured.text,
        result_value=_float(measured.value) if measured.bound == "" else None,
        uncertainty=_float(uncertainty),
        coverage_factor=_float(coverage_factor),
        detection_limit=_float(detection_limit),
        screening=outcome.result.value,
        screening_reason=outcome.reason_zh[:500],
        tested_at=tested_at,
        tested_by=_person(user),
    )
    if outcome.result.needs_lab_test:
        earlier = TestItem.objects.filter(sample__task=task).order_by("-id")
        if sample is not None:
            earlier = earlier.filter(sample=sample)
        match = next((i for i in earlier if same_item(i.name, rt.item)), None)
        if match is not None:
            rt.confirmed_by = match
            rt.save(update_fields=["confirmed_by"])
    where = f"样品 {sample.code}" if sample else f"现场（{rt.location}）"
    follow = "，须送实验室检验确认" if rt.needs_lab_test else ""
    audit(
        "rapid_test",
        task,
        actor=user,
        message=f"快检 {where} {rt.item}：{rt.result_text}{rt.unit} → "
        f"{outcome.result.label}{follow}",
        detail={"rapid_test_id": rt.pk},
    )
    return rt


# ---------------------------------------------------------------- leads


def _item_line(item: TestItem) -> str:
    unit = item.unit
    if item.comparison == "qualitative":
        return (
            f"{item.name}（{item.standard}）：要求“{item.requirement}”，实测“{item.measured_text}”"
        )
    return (
        f"{item.name}（{item.standard}）：实测 {item.measured_text}{unit}，"
        f"限值 {item.limit_text}{unit}"
    )


def lead_summary(lead: ViolationLead) -> str:
    """What the enforcement officer reads first: who sold what, and what failed."""
    task, sample = lead.task, lead.sample
    product = " ".join(p for p in (sample.brand, sample.model) if p)
    facts = [f"{task.purchased_on or '—'} 于 {task.where_bought} 以消费者身份购买“{sample.name}”"]
    if product:
        facts.append(f"品牌型号 {product}")
    if sample.batch:
        facts.append(f"批号 {sample.batch}")
    maker = lead.enterprise.name if lead.enterprise else sample.manufacturer_name
    if maker:
        facts.append(f"{'生产企业' if lead.enterprise else '标称生产者'} {maker}")
    if task.order_number:
        facts.append(f"订单号 {task.order_number}")
    items = list(lead.failed_items.order_by("id"))
    lab = items[0].lab if items else ""
    lines = "；".join(_item_line(i) for i in items)
    return f"{'，'.join(facts)}。样品 {sample.code} 经 {lab} 检验，不合格项目：{lines}。"


def _flag_leads(task: SamplingTask, failed: list[TestItem], user: Any) -> list[ViolationLead]:
    """One lead per sample with failed items: a new one, or the sample's lead not yet
    referred, completed with the further items."""
    by_sample: dict[int, list[TestItem]] = defaultdict(list)
    for item in failed:
        by_sample[item.sample_id].append(item)
    leads = []
    for sample_id, items in by_sample.items():
        sample = items[0].sample
        rapid = RapidTest.objects.filter(confirmed_by__in=items)
        lead = ViolationLead.objects.filter(sample_id=sample_id, status=LeadStatus.NEW).first()
        if lead is not None:
            lead.failed_items.add(*items)
            lead.rapid_tests.add(*rapid)
            lead.summary = lead_summary(lead)
            lead.save(update_fields=["summary"])
            audit(
                "add_items",
                lead,
                actor=user,
                message=f"补充不合格项目：{'、'.join(i.name for i in items)}",
            )
            leads.append(lead)
            continue
        basis = LEGAL_BASIS_SUGGESTION + (
            ONLINE_LEGAL_BASIS_SUGGESTION if task.channel in ONLINE_CHANNELS else ""
        )

        def make(code: str, sample: Sample = sample, basis: str = basis) -> ViolationLead:
            return ViolationLead.objects.create(
                code=code,
                task=task,
                sample=sample,
                enterprise=task.enterprise,
                district=task.district,
                summary="",
                legal_basis=basis,
            )

        lead = _with_code(ViolationLead, LEAD_PREFIX, make)
        lead.failed_items.add(*items)
        lead.rapid_tests.add(*rapid)
        lead.summary = lead_summary(lead)
        lead.save(update_fields=["summary"])
        confirmed = f"，确认快检阳性{rapid.count()}项" if rapid.exists() else ""
        audit(
            "flag_lead",
            lead,
            actor=user,
            to_state=lead.status,
            message=f"样品 {sample.code} 检验不合格（{'、'.join(i.name for i in items)}）"
            f"{confirmed}，自动生成违法线索",
        )
        leads.append(lead)
    return leads


def act_on_lead(
    lead: ViolationLead,
    action: str,
    user: Any,
    *,
    note: str = "",
    referred_to: str = "",
    legal_basis: str | None = None,
) -> ViolationLead:
    """Refer a lead to enforcement (移送执法, naming the unit) or close it with its outcome
    (or, not referred, with the reason). A district officer closes their district's only."""
    with transaction.atomic():
        lead = ViolationLead.objects.select_for_update().get(pk=lead.pk)
        if (
            getattr(user, "is_authenticated", False)
            and not user.is_city_wide
            and user.district_id != lead.district_id
        ):
            raise LabError("只能办理本区的违法线索")
        try:
            t = LEAD_MACHINE.apply(lead.status, action, workflow_roles(user))
        except TransitionNotAllowed as exc:
            raise LabError(exc.message_zh) from exc
        old = lead.status
        now = timezone.now()
        if action == "refer":
            if not referred_to.strip():
                raise LabError("请填写移送的执法单位")
            lead.referred_to = referred_to.strip()
            lead.referred_at = now
            if legal_basis is not None and legal_basis.strip():
                lead.legal_basis = legal_basis.strip()
            message = f"移送 {lead.referred_to}" + (f"：{note.strip()}" if note.strip() else "")
        else:
            if not note.strip():
                raise LabError("办结须填写办理结果或不予移送的理由")
            lead.outcome = note.strip()
            lead.closed_at = now
            message = note.strip()
        lead.status = t.target
        lead.save()
        audit(action, lead, actor=user, from_state=old, to_state=lead.status, message=message)
    return lead


# ---------------------------------------------------------------- case evidence


def _attach_evidence(
    task: SamplingTask, batch: ResultBatch, items: list[TestItem], user: Any
) -> CaseEvidence | None:
    """The batch's results as evidence (检验结果) of the assessment case the task serves."""
    if task.case_id is None:
        return None
    case = task.case
    assert case is not None
    failed = sum(1 for i in items if i.verdict == Verdict.FAIL)
    lines = [
        f"{i.sample.code} {_item_line(i)}：{Verdict(i.verdict).label}"
        + ("（临界）" if i.near_limit else "")
        for i in items
    ]
    report = f"，报告编号 {batch.report_number}" if batch.report_number else ""
    evidence = CaseEvidence.objects.create(
        case=case,
        kind=EvidenceKind.LAB_RESULT,
        title=f"实验室检验结果：{task.code}（{len(items)}项，不合格{failed}项）"[:200],
        note=f"抽样任务 {task.code} {task.title}；检验机构 {batch.lab}{report}。\n"
        + "\n".join(lines)
        + f"\n{DECISION_RULE_ZH}",
        file=batch.file.name if batch.file else "",
        added_by=_person(user),
    )
    batch.evidence = evidence
    batch.save(update_fields=["evidence"])
    audit(
        "lab_result",
        case,
        actor=user,
        district_id=case.district_id,
        message=f"抽样任务 {task.code} 的检验结果（{len(items)}项，不合格{failed}项）列为证据",
        detail={"evidence_id": evidence.pk, "batch_id": batch.pk},
    )
    return evidence


# ---------------------------------------------------------------- queries (pages)


def dao_tasks() -> QuerySet[SamplingTask]:
    """Tasks with their counts: samples, failed items, leads and open follow-ups."""
    follow = Q(
        rapid_tests__screening__in=(Screening.POSITIVE, Screening.SUSPECT),
        rapid_tests__confirmed_by__isnull=True,
    )
    return (
        SamplingTask.objects.select_related("district", "product_category", "case")
        .annotate(
            n_samples=Count("samples", distinct=True),
            n_failed=Count(
                "samples__test_items",
                filter=Q(samples__test_items__verdict=Verdict.FAIL),
                distinct=True,
            ),
            n_leads=Count("leads", distinct=True),
            n_follow_ups=Count("rapid_tests", filter=follow, distinct=True),
        )
        .order_by("-created_at", "-id")
    )  # Meta.ordering does not apply to aggregate queries


def dao_leads() -> QuerySet[ViolationLead]:
    return ViolationLead.objects.select_related("task", "sample", "enterprise", "district")
