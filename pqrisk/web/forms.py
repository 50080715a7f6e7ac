"""Forms of the pages: list filters (GET) and the action forms that feed the services (POST)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from pqrisk.assessment.choices import RISK_LEVEL_CHOICES, AssessmentMethod
from pqrisk.disposal.choices import DISPOSAL_STATE_CHOICES
from pqrisk.intake.choices import QuarantineReason, SourceKind
from pqrisk.reference.models import District
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.sources.readers import MAX_FILE_BYTES
from pqrisk.stations.choices import StationKind, StationStatus
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


class QuarantineFilter(FilterForm):
    search_fields = ("location", "message", "content")
    exact = ("reason", "resolved")
    reason = forms.ChoiceField(label="原因", choices=ANY + QuarantineReason.choices, required=False)
    resolved = forms.TypedChoiceField(
        label="处理情况",
        choices=[("", "全部"), ("0", "未处理"), ("1", "已处理")],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )

    def __init__(self, data: Any, *, city: bool) -> None:
        super().__init__(data, city=city)
        self.fields.pop("district", None)  # quarantined input has no district yet


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


class FeedbackForm(PlainForm):
    measures = forms.CharField(
        label="采取措施", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    findings = forms.CharField(
        label="处置结果", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    enterprises_checked = forms.IntegerField(label="检查企业数", min_value=0, initial=0)
    products_removed = forms.IntegerField(label="下架/召回产品数", min_value=0, initial=0)


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
