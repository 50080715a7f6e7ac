"""Forms of the pages: list filters (GET) and the action forms that feed the services (POST)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from pqrisk.assessment.choices import (
    RISK_LEVEL_CHOICES,
    AssessmentMethod,
    CaseStatus,
    EvidenceKind,
)
from pqrisk.core.assessment.matrix import SEVERITY_LABELS
from pqrisk.core.levels import WarningMode
from pqrisk.disposal.choices import DISPOSAL_STATE_CHOICES
from pqrisk.intake.choices import (
    QUARANTINE_OPEN,
    QUARANTINE_STATE_LABELS,
    QuarantineReason,
    SourceKind,
)
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.sources.readers import MAX_FILE_BYTES
from pqrisk.sources.records import MAX_RECORD_BYTES
from pqrisk.stations.choices import StationKind, StationStatus
from pqrisk.stations.models import DEFAULT_DAILY_QUOTA, DEFAULT_INTERVAL_HOURS, MonitoringStation
from pqrisk.stations.services import RATE_LIMIT_PER_MINUTE
from pqrisk.warnings.choices import WARNING_LEVEL_CHOICES, WARNING_STATE_CHOICES

ANY = [("", "全部")]
UPLOAD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".xlsx", ".xlsm")


class PlainForm(forms.Form):
    """Labels sit above their fields, so no trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class FilterForm(PlainForm):
    """A GET filter; the district field is shown to city-wide users only."""

    district = forms.ModelChoiceField(
        label="行政区", queryset=District.objects.all(), required=False, empty_label="全部"
    )
    district_field = "district"
    search_fields: tuple[str, ...] = ()
    q = forms.CharField(label="关键词", required=False, max_length=100)
    exact: tuple[str, ...] = ()

    def __init__(self, data: Any, *, city: bool) -> None:
        super().__init__(data or None)
        if not city:
            del self.fields["district"]
        if not self.search_fields:
            del self.fields["q"]
        # keyword first, district last: the order people scan a filter bar in
        order = ["q", *[f for f in self.fields if f not in ("q", "district")], "district"]
        self.order_fields(order)
        for field in self.fields.values():
            if isinstance(field.widget, forms.TextInput):
                field.widget.input_type = "search"
                field.widget.attrs.setdefault("placeholder", "输入关键词")

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("district"):
            qs = qs.filter(**{self.district_field: data["district"]})
        if data.get("q"):
            cond = Q()
            for name in self.search_fields:
                cond |= Q(**{f"{name}__icontains": data["q"]})
            qs = qs.filter(cond)
        for name in self.exact:
            value = data.get(name)
            if value not in (None, ""):
                qs = qs.filter(**{name: value})
        return qs


class RiskInfoFilter(FilterForm):
    search_fields = ("title", "enterprise_name", "product_name", "brand")
    exact = ("status", "source_kind")
    status = forms.ChoiceField(label="状态", choices=ANY + RiskInfoStatus.choices, required=False)
    source_kind = forms.ChoiceField(label="来源", choices=ANY + SourceKind.choices, required=False)


class EventFilter(FilterForm):
    """Risk events (风险事件): by product category, hazard, district and the days they span."""

    search_fields = ("enterprise__name", "product_category__name", "hazard__name")
    exact = ("product_category", "hazard")
    product_category = forms.ModelChoiceField(
        label="产品类别",
        queryset=ProductCategory.objects.all(),
        required=False,
        empty_label="全部",
    )
    hazard = forms.ModelChoiceField(
        label="危害", queryset=HazardType.objects.all(), required=False, empty_label="全部"
    )
    since = forms.DateField(label="出现日期自", required=False)
    until = forms.DateField(label="至", required=False)

    def __init__(self, data: Any, *, city: bool, events: QuerySet[Any] | None = None) -> None:
        super().__init__(data, city=city)
        for name in ("since", "until"):  # the base class made every text input a search box
            widget = self.fields[name].widget
            widget.input_type = "date"
            widget.attrs.pop("placeholder", None)
        # Offer the categories and hazards of the events the user may see: a few of the
        # catalogue's hundreds of nodes, and none from districts the user does not see.
        if events is not None:
            choices: dict[str, Any] = {
                "product_category": ProductCategory.objects.filter(
                    pk__in=events.values("product_category")
                ),
                "hazard": HazardType.objects.filter(pk__in=events.values("hazard")),
            }
            for name, queryset in choices.items():
                field: Any = self.fields[name]
                field.queryset = queryset.order_by("code")

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """An event counts for the days asked if it was seen on any of them."""
        qs = super().apply(qs)
        if not self.is_bound or not self.is_valid():
            return qs
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since:
            qs = qs.filter(last_seen__gte=timezone.make_aware(datetime.combine(since, time.min)))
        if until:
            end = datetime.combine(until + timedelta(days=1), time.min)
            qs = qs.filter(first_seen__lt=timezone.make_aware(end))
        return qs


class AssessmentFilter(FilterForm):
    search_fields = ("risk_info__title",)
    exact = ("level", "method")
    level = forms.ChoiceField(
        label="风险等级", choices=ANY + list(RISK_LEVEL_CHOICES), required=False
    )
    method = forms.ChoiceField(label="方法", choices=ANY + AssessmentMethod.choices, required=False)


class WarningFilter(FilterForm):
    search_fields = ("title",)
    exact = ("status", "level")
    status = forms.ChoiceField(label="状态", choices=ANY + WARNING_STATE_CHOICES, required=False)
    level = forms.ChoiceField(
        label="预警等级", choices=ANY + list(WARNING_LEVEL_CHOICES), required=False
    )


class TaskFilter(FilterForm):
    search_fields = ("warning__title",)
    exact = ("status", "level")
    status = forms.ChoiceField(label="状态", choices=ANY + DISPOSAL_STATE_CHOICES, required=False)
    level = forms.ChoiceField(
        label="预警等级", choices=ANY + list(WARNING_LEVEL_CHOICES), required=False
    )
    overdue = forms.BooleanField(label="仅看已超时", required=False)


class EnterpriseFilter(FilterForm):
    search_fields = ("name", "uscc", "address")


class StationFilter(FilterForm):
    search_fields = ("name", "contact")
    exact = ("kind", "status")
    kind = forms.ChoiceField(label="类型", choices=ANY + StationKind.choices, required=False)
    status = forms.ChoiceField(label="状态", choices=ANY + StationStatus.choices, required=False)


class StationForm(PlainForm):
    """Register a monitoring station (登记监测站); the service issues its first token."""

    name = forms.CharField(
        label="名称", max_length=200, help_text="报送单位及监测站名称，如“仁济医院伤害监测点”"
    )
    kind = forms.ChoiceField(label="类型", choices=StationKind.choices)
    contact = forms.CharField(label="联系人及电话", max_length=200)
    district = forms.ModelChoiceField(
        label="所在区", queryset=District.objects.all(), required=False, empty_label="全市 / 不限"
    )
    allowed_sources = forms.MultipleChoiceField(
        label="可报送的信息类型",
        # Every station's records are stored as 监测站报送; these are the kinds it may claim.
        choices=[c for c in SourceKind.choices if c[0] != SourceKind.STATION],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="报送时记入详情；都不选则不限定",
    )
    expected_interval_hours = forms.IntegerField(
        label="应报送间隔（小时）",
        min_value=1,
        initial=DEFAULT_INTERVAL_HOURS,
        help_text="超过该时长没有报送即视为超期未报送；168 小时即每周一次",
    )
    daily_quota = forms.IntegerField(
        label="每日报送上限（条）", min_value=1, initial=DEFAULT_DAILY_QUOTA
    )
    rate_limit_per_minute = forms.IntegerField(
        label="每分钟调用上限（次）",
        min_value=1,
        required=False,
        help_text=f"为空则按平台默认（每分钟{RATE_LIMIT_PER_MINUTE}次）",
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if MonitoringStation.objects.filter(name=name).exists():
            raise forms.ValidationError(f"已有名为“{name}”的监测站，请换一个名称")
        return name


class QuarantineFilter(FilterForm):
    search_fields = ("location", "message", "content")
    exact = ("reason", "source_kind")
    reason = forms.ChoiceField(label="原因", choices=ANY + QuarantineReason.choices, required=False)
    source_kind = forms.ChoiceField(label="来源", choices=ANY + SourceKind.choices, required=False)
    state = forms.ChoiceField(
        label="处理情况", choices=ANY + list(QUARANTINE_STATE_LABELS.items()), required=False
    )

    def __init__(self, data: Any, *, city: bool) -> None:
        super().__init__(data, city=city)
        self.fields.pop("district", None)  # quarantined input has no district yet

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().apply(qs)
        state = self.cleaned_data.get("state") if self.is_bound and self.is_valid() else ""
        if state:  # an open item has no resolution yet
            qs = qs.filter(resolution="" if state == QUARANTINE_OPEN else state)
        return qs


class AuditFilter(FilterForm):
    search_fields = ("actor_label", "message", "object_id")
    exact = ("object_type", "action")
    object_type = forms.ChoiceField(
        label="对象",
        required=False,
        choices=[
            *ANY,
            ("screening.riskinfo", "风险信息"),
            ("assessment.assessment", "风险评估"),
            ("warnings.warning", "风险预警"),
            ("disposal.disposaltask", "处置任务"),
            ("stations.monitoringstation", "监测站"),
            ("enterprises.enterprise", "企业"),
            ("intake.quarantineditem", "隔离区记录"),
        ],
    )
    action = forms.CharField(label="动作代码", required=False, max_length=60)


class NoteForm(PlainForm):
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(NoteForm):
    level = forms.ChoiceField(
        label="批准等级",
        required=False,
        choices=[("", "按建议等级"), *WARNING_LEVEL_CHOICES],
        help_text="可调整预警颜色；红色预警只能由市局发布",
    )


class ReplayForm(PlainForm):
    """A quarantined record, corrected: the JSON object to ingest in its place."""

    record = forms.CharField(
        label="更正后的记录（JSON）",
        max_length=MAX_RECORD_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
        help_text="按隔离原因修改后重新导入；记录将与其他数据一样经过全部校验",
    )
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_record(self) -> Any:
        text = self.cleaned_data["record"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"不是合法的JSON：{exc.msg}（第{exc.lineno}行第{exc.colno}列）"
            ) from exc


class DismissForm(PlainForm):
    note = forms.CharField(
        label="不予处理的理由",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "不予处理须填写理由"},
    )


class UploadForm(PlainForm):
    """A file of records from one of the bureau's own streams (生产许可、监督抽查 …)."""

    file = forms.FileField(
        label="数据文件",
        help_text="支持 .jsonl .json .csv .xlsx；CSV 可为 UTF-8 或 GBK 编码，表头可用中文",
    )
    source = forms.ChoiceField(
        label="来源类型",
        required=False,
        choices=[("", "按文件中的“来源类型”列"), *SourceKind.choices],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                f"不支持的文件类型：{suffix or '（无扩展名）'}，"
                "请上传 .jsonl .json .csv 或 .xlsx 文件"
            )
        if upload.size > MAX_FILE_BYTES:
            mib = 1024 * 1024
            raise forms.ValidationError(
                f"文件过大（{upload.size // mib} MB），上限 {MAX_FILE_BYTES // mib} MB"
            )
        return upload


MAX_EVIDENCE_BYTES = 20 * 1024 * 1024  # a photo or a scanned report; larger: share otherwise


class CaseFilter(FilterForm):
    """Assessment cases (评估任务)."""

    search_fields = ("code", "title", "enterprise__name")
    exact = ("status", "final_level")
    status = forms.ChoiceField(label="状态", choices=ANY + CaseStatus.choices, required=False)
    final_level = forms.ChoiceField(
        label="结论等级", choices=ANY + list(RISK_LEVEL_CHOICES), required=False
    )


class OpenCaseForm(PlainForm):
    """Open a case from an item or an event (the hidden ids come from the page)."""

    risk_info = forms.IntegerField(required=False, widget=forms.HiddenInput)
    event = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label="任务名称", required=False, max_length=200)
    description = forms.CharField(
        label="情况说明", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvidenceForm(PlainForm):
    kind = forms.ChoiceField(label="类型", choices=EvidenceKind.choices)
    title = forms.CharField(label="名称", max_length=200)
    note = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label="文件", required=False)

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        if file is not None and file.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(
                f"文件过大（{file.size / 1024 / 1024:.1f} MB），上限 "
                f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB"
            )
        return file


class ConcludeForm(PlainForm):
    level = forms.ChoiceField(label="结论等级", choices=list(RISK_LEVEL_CHOICES))
    conclusion = forms.CharField(
        label="结论说明", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    rule = forms.CharField(
        label="定级规则",
        max_length=1000,
        initial="以专家评估为准，参考风险矩阵与模型研判建议",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MatrixForm(PlainForm):
    """A case's risk-matrix assessment (METHODS §1): severity, the injury scenario's steps,
    units in use; optionally the harm step estimated from counts (Beta-binomial)."""

    severity = forms.TypedChoiceField(
        label="伤害严重程度",
        coerce=int,
        choices=[(n, f"{n}级：{label}") for n, label in SEVERITY_LABELS.items()],
    )
    steps = forms.CharField(
        label="伤害情景步骤",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一步：描述 | 概率 | 下限 | 上限 | 依据，概率可写作 0.01、1/100 或 1%",
    )
    exposed_units = forms.IntegerField(label="在用数量", required=False, min_value=0)
    vulnerable_users = forms.BooleanField(label="涉及儿童、老年人等易受伤害群体", required=False)
    harm_events = forms.IntegerField(
        label="已知伤害事件数",
        required=False,
        min_value=0,
        help_text="与“暴露数”同填时，按数据估计最后一步的概率",
    )
    harm_units = forms.IntegerField(label="暴露数（件或人次）", required=False, min_value=1)
    reporting_fraction = forms.FloatField(
        label="报告比例", required=False, min_value=0.0001, max_value=1, initial=1.0
    )


class OverrideForm(PlainForm):
    level = forms.ChoiceField(label="改定等级", choices=list(RISK_LEVEL_CHOICES))
    reason = forms.CharField(
        label="理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WarningEditForm(PlainForm):
    title = forms.CharField(label="标题", max_length=300)
    body = forms.CharField(
        label="内容", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    modes = forms.MultipleChoiceField(
        label="预警方式",
        choices=[(m.value, m.label) for m in WarningMode],
        widget=forms.CheckboxSelectMultiple,
    )
    advice = forms.CharField(
        label="消费者应对建议",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="风险提示中“消费者怎么做”，用通俗的语言",
    )
    brands = forms.CharField(label="涉及品牌", required=False, max_length=300)
    product_models = forms.CharField(label="涉及型号规格", required=False, max_length=500)
    batches = forms.CharField(label="涉及批次/生产日期", required=False, max_length=500)


class WarningUpdateForm(WarningEditForm):
    """更新 a published warning: its new text and identification, and why (kept as a version)."""

    note = forms.CharField(
        label="更新说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="说明更新的内容或原因；原文本作为历史版本保留",
    )


# ---------------------------------------------------------------- disposal (pqrisk/web/disposal.py)


def _set_choices(form: forms.Form, name: str, choices: list[tuple[Any, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the report's attachments); sizes are checked by the
    disposal service, which says which file is too large."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DisposalTaskFilter(TaskFilter):
    route = forms.ChoiceField(label="处置路径", required=False)

    def __init__(self, data: Any, *, city: bool) -> None:
        from pqrisk.disposal.choices import ROUTE_CHOICES

        super().__init__(data, city=city)
        _set_choices(self, "route", ANY + list(ROUTE_CHOICES))

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().apply(qs)
        if self.is_bound and self.is_valid() and self.cleaned_data.get("route"):
            qs = qs.filter(route_items__route=self.cleaned_data["route"]).distinct()
        return qs


class DisposalFeedbackForm(PlainForm):
    """The written disposal report (书面处置报告), with one outcome per enterprise concerned."""

    measures = forms.CharField(
        label="采取措施", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    findings = forms.CharField(
        label="处置结果", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    enterprises_checked = forms.IntegerField(
        label="检查企业数", min_value=0, initial=0, required=False
    )
    products_removed = forms.IntegerField(
        label="下架/召回产品数（件）", min_value=0, initial=0, required=False
    )
    products_recalled = forms.IntegerField(
        label="其中召回产品数（件）", min_value=0, initial=0, required=False
    )
    penalties = forms.IntegerField(label="行政处罚（件）", min_value=0, initial=0, required=False)
    penalty_amount = forms.DecimalField(
        label="罚没金额（元）", min_value=0, max_digits=14, decimal_places=2, required=False
    )
    warning_advice = forms.ChoiceField(label="对预警的意见", required=False)
    warning_note = forms.CharField(
        label="意见说明",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="建议解除或提高预警等级时必填；市局用户选择“解除预警”即解除已发布的预警",
    )
    attachments = MultipleFileField(
        label="附件", required=False, help_text="每个不超过10 MB，最多5个（PDF、图片、Office文档）"
    )

    def __init__(self, *args: Any, enterprises: Any = (), **kwargs: Any) -> None:
        from pqrisk.disposal.choices import EnterpriseOutcomeKind, WarningAdvice

        super().__init__(*args, **kwargs)
        _set_choices(self, "warning_advice", list(WarningAdvice.choices))
        self.fields["warning_advice"].initial = WarningAdvice.KEEP
        self.enterprise_fields: list[str] = []
        for e in enterprises:
            name = f"outcome_{e.pk}"
            self.fields[name] = forms.ChoiceField(
                label=f"企业处置结论：{e.name}",
                required=False,
                choices=[("", "未填写"), *EnterpriseOutcomeKind.choices],
            )
            self.enterprise_fields.append(name)

    def outcomes(self) -> list[tuple[int, str]]:
        return [
            (int(name.split("_", 1)[1]), self.cleaned_data[name])
            for name in self.enterprise_fields
            if self.cleaned_data.get(name)
        ]


class ReassignForm(PlainForm):
    district = forms.ModelChoiceField(
        label="改派至", queryset=District.objects.order_by("code"), empty_label="请选择区局"
    )
    reason = forms.CharField(
        label="改派理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddRouteForm(PlainForm):
    route = forms.ChoiceField(label="增加处置路径")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from pqrisk.disposal.choices import ROUTE_CHOICES

        super().__init__(*args, **kwargs)
        _set_choices(self, "route", [c for c in ROUTE_CHOICES if c[0] != "monitor"])


class RouteResultForm(PlainForm):
    result = forms.CharField(
        label="办理结果", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reference = forms.CharField(label="文号/案号", required=False, max_length=100)
    counterpart = forms.CharField(label="对接单位", required=False, max_length=200)
    done = forms.BooleanField(label="办结该事项", required=False, initial=True)


class FollowUpForm(PlainForm):
    result = forms.CharField(
        label="跟踪检查结果", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecallProgressForm(PlainForm):
    units_in_use = forms.IntegerField(label="在用（应召回）数量", min_value=1)
    units_recovered = forms.IntegerField(label="已召回数量", min_value=0)
    note = forms.CharField(label="说明", required=False, max_length=500)


class TrackingCheckForm(PlainForm):
    finding = forms.CharField(
        label="检查情况", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    conclusion = forms.ChoiceField(label="结论")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from pqrisk.disposal.choices import TrackingConclusion

        super().__init__(*args, **kwargs)
        _set_choices(self, "conclusion", list(TrackingConclusion.choices))
