"""Forms of the lab pages: they check what a form can check and hand the rest to the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.assessment.models import AssessmentCase
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import District, ProductCategory
from pqrisk.web.forms import ANY, FilterForm, PlainForm

from .choices import CustodyKind, LeadStatus, PurchaseChannel, TaskStatus
from .models import Sample, SamplingTask
from .results_file import MAX_RESULTS_FILE_BYTES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SUFFIXES

MAX_PURCHASE_RECORD_BYTES = 20 * 1024 * 1024
PURCHASE_RECORD_SUFFIXES = (".jpg", ".jpeg", ".png", ".pdf", ".webp", ".gif", ".bmp")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TaskFilter(FilterForm):
    search_fields = ("code", "title", "product_name", "platform", "shop_name")
    exact = ("status", "channel")
    status = forms.ChoiceField(label="状态", choices=ANY + TaskStatus.choices, required=False)
    channel = forms.ChoiceField(
        label="购买渠道", choices=ANY + PurchaseChannel.choices, required=False
    )


class LeadFilter(FilterForm):
    search_fields = ("code", "summary", "enterprise__name", "sample__code")
    exact = ("status",)
    status = forms.ChoiceField(label="状态", choices=ANY + LeadStatus.choices, required=False)


class TaskForm(PlainForm):
    """Plan a sampling task (创建抽样任务)."""

    title = forms.CharField(label="任务名称", max_length=200)
    case_code = forms.CharField(
        label="评估任务编号",
        max_length=30,
        required=False,
        help_text="本次抽样服务的评估任务；检验结果将作为证据添加到该任务",
    )
    product_category = forms.ModelChoiceField(
        label="产品类别", queryset=ProductCategory.objects.order_by("code")
    )
    product_name = forms.CharField(label="产品名称", max_length=200, required=False)
    enterprise_uscc = forms.CharField(
        label="生产企业统一社会信用代码", max_length=18, required=False
    )
    district = forms.ModelChoiceField(
        label="所属区", queryset=District.objects.all(), required=False, empty_label="不限/未知"
    )
    channel = forms.ChoiceField(label="计划购买渠道", choices=PurchaseChannel.choices)
    platform = forms.CharField(label="电商平台", max_length=100, required=False)
    shop_name = forms.CharField(label="店铺名称", max_length=200, required=False)
    shop_url = forms.URLField(
        label="店铺网址", max_length=500, required=False, assume_scheme="https"
    )
    shop_address = forms.CharField(label="店铺地址", max_length=300, required=False)
    lab = forms.CharField(label="承检机构", max_length=200, required=False)
    due_on = forms.DateField(label="完成期限", required=False, widget=_date_input())
    requirements = forms.CharField(
        label="抽样要求", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_case_code(self) -> AssessmentCase | None:
        code = self.cleaned_data["case_code"].strip()
        if not code:
            return None
        case = AssessmentCase.objects.filter(code=code).first()
        if case is None:
            raise forms.ValidationError(f"评估任务“{code}”不存在")
        return case

    def clean_enterprise_uscc(self) -> Enterprise | None:
        uscc = self.cleaned_data["enterprise_uscc"].strip().upper()
        if not uscc:
            return None
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise forms.ValidationError(f"没有统一社会信用代码为 {uscc} 的企业")
        return enterprise

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["case"] = data.pop("case_code")
        data["enterprise"] = data.pop("enterprise_uscc")
        return data


class PurchaseForm(PlainForm):
    """Record the purchase made as a consumer (登记购买)."""

    channel = forms.ChoiceField(label="购买渠道", choices=PurchaseChannel.choices)
    platform = forms.CharField(
        label="电商平台", max_length=100, required=False, help_text="网购必填"
    )
    shop_name = forms.CharField(label="店铺名称", max_length=200)
    shop_url = forms.URLField(
        label="店铺网址", max_length=500, required=False, assume_scheme="https"
    )
    shop_address = forms.CharField(label="店铺地址", max_length=300, required=False)
    purchased_on = forms.DateField(label="购买日期", widget=_date_input())
    order_number = forms.CharField(
        label="订单号", max_length=100, required=False, help_text="网购必填"
    )
    price = forms.DecimalField(
        label="单价（元）", max_digits=12, decimal_places=2, min_value=0, required=False
    )
    quantity = forms.IntegerField(label="购买数量", min_value=1, initial=1)
    buyer = forms.ModelChoiceField(
        label="购买人",
        queryset=User.objects.filter(is_active=True, groups__isnull=False)
        .distinct()
        .order_by("username"),
        required=False,
        empty_label="本人",
    )
    buyer_account = forms.CharField(
        label="购买账号/收货人", max_length=100, required=False, help_text="以消费者身份使用的账号"
    )
    purchase_record = forms.FileField(
        label="购买凭证", help_text="发票、小票或订单截图（图片或PDF，20 MB以内）"
    )
    note = forms.CharField(
        label="购买说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_purchase_record(self) -> Any:
        upload = self.cleaned_data["purchase_record"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in PURCHASE_RECORD_SUFFIXES:
            raise forms.ValidationError(
                f"不支持的文件类型：{suffix or '（无扩展名）'}，请上传图片或PDF"
            )
        if upload.size > MAX_PURCHASE_RECORD_BYTES:
            raise forms.ValidationError("文件过大（上限 20 MB）")
        return upload

    @classmethod
    def for_task(cls, task: SamplingTask, data: Any = None, files: Any = None) -> PurchaseForm:
        initial = {
            "channel": task.channel,
            "platform": task.platform,
            "shop_name": task.shop_name,
            "shop_url": task.shop_url,
            "shop_address": task.shop_address,
            "purchased_on": timezone.localdate(),
        }
        return cls(data, files, initial=initial)


class SampleForm(PlainForm):
    """Register a sealed sample (登记样品)."""

    name = forms.CharField(label="样品名称", max_length=200)
    code = forms.CharField(
        label="样品编号",
        max_length=40,
        required=False,
        help_text="印在封条上；留空则按任务编号自动生成",
    )
    seal_number = forms.CharField(label="封条编号", max_length=60)
    brand = forms.CharField(label="品牌", max_length=100, required=False)
    model = forms.CharField(label="型号规格", max_length=100, required=False)
    batch = forms.CharField(label="批号", max_length=100, required=False)
    produced_on = forms.DateField(label="生产日期", required=False, widget=_date_input())
    manufacturer_name = forms.CharField(label="标称生产者", max_length=200, required=False)
    quantity = forms.IntegerField(label="样品数量", min_value=1, initial=1)
    condition = forms.CharField(
        label="收货时状态", max_length=300, required=False, help_text="如“外包装完好，无破损”"
    )


class CustodyForm(PlainForm):
    """Append a hand-over to the chain of custody (登记样品流转)."""

    kind = forms.ChoiceField(label="环节", choices=CustodyKind.choices)
    at = forms.DateTimeField(label="交接时间", widget=_datetime_input())
    from_party = forms.CharField(label="交出方", max_length=200)
    to_party = forms.CharField(label="接收方", max_length=200)
    location = forms.CharField(label="地点", max_length=300, required=False)
    seal_intact = forms.BooleanField(label="封条完好", required=False, initial=True)
    note = forms.CharField(label="说明", max_length=500, required=False)

    @classmethod
    def for_sample(cls, sample: Sample, data: Any = None) -> CustodyForm:
        last = sample.custody.order_by("-at", "-id").first()
        initial: dict[str, Any] = {"at": timezone.localtime().replace(second=0, microsecond=0)}
        if last is not None:
            initial["from_party"] = last.to_party
        else:
            initial["from_party"] = sample.task.shop_name
            initial["kind"] = CustodyKind.RECEIVED
        return cls(data, initial=initial)


class ResultForm(PlainForm):
    """Enter one test item of a sample (录入检验结果)."""

    name = forms.CharField(label="检验项目", max_length=200)
    standard = forms.CharField(
        label="标准", max_length=200, help_text="检验依据的标准及条款，如 GB 4943.1-2022 5.4.2"
    )
    requirement = forms.CharField(
        label="技术要求", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    limit = forms.CharField(
        label="限值",
        max_length=100,
        required=False,
        help_text="如 ≤0.5、≥1500、0.5~1.0、220±10、不得检出；定性要求留空",
    )
    unit = forms.CharField(label="单位", max_length=40, required=False)
    measured = forms.CharField(
        label="实测值", max_length=200, help_text="数值、<检出限、未检出，或定性结果"
    )
    verdict = forms.ChoiceField(
        label="判定",
        required=False,
        choices=[("", "按限值计算"), ("合格", "合格"), ("不合格", "不合格"), ("不判定", "不判定")],
        help_text="定性要求必填；数值限值留空即按限值计算",
    )
    uncertainty = forms.DecimalField(label="扩展不确定度U", required=False, min_value=0)
    lab = forms.CharField(label="检验机构", max_length=200)
    report_number = forms.CharField(label="检验报告编号", max_length=100, required=False)
    tested_on = forms.DateField(label="检验日期", widget=_date_input())

    @classmethod
    def for_sample(cls, sample: Sample, data: Any = None) -> ResultForm:
        initial = {"lab": sample.task.lab, "tested_on": timezone.localdate()}
        return cls(data, initial=initial)


class ImportForm(PlainForm):
    """Upload a lab's results file (导入检验结果)."""

    file = forms.FileField(
        label="结果文件",
        help_text=f"CSV 或 Excel；表头：{'、'.join(REQUIRED_COLUMNS)}"
        f"（可加 {'、'.join(OPTIONAL_COLUMNS)}）",
    )
    lab = forms.CharField(label="检验机构", max_length=200)
    report_number = forms.CharField(label="检验报告编号", max_length=100, required=False)
    tested_on = forms.DateField(
        label="检验日期", widget=_date_input(), help_text="文件中没有“检验日期”列时使用"
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in SUFFIXES:
            raise forms.ValidationError(
                f"不支持的文件类型：{suffix or '（无扩展名）'}，请上传 .csv 或 .xlsx 文件"
            )
        if upload.size > MAX_RESULTS_FILE_BYTES:
            raise forms.ValidationError(
                f"文件过大（上限 {MAX_RESULTS_FILE_BYTES // 1024 // 1024} MB）"
            )
        return upload

    @classmethod
    def for_task(cls, task: SamplingTask, data: Any = None, files: Any = None) -> ImportForm:
        return cls(data, files, initial={"lab": task.lab, "tested_on": timezone.localdate()})


class RapidTestForm(PlainForm):
    """Record a rapid test (登记快检)."""

    sample = forms.ModelChoiceField(
        label="样品", queryset=Sample.objects.none(), required=False, empty_label="现场快检"
    )
    location = forms.CharField(label="检测地点", max_length=300, required=False)
    item = forms.CharField(label="检测项目", max_length=200, help_text="与实验室检验项目同名")
    method = forms.CharField(label="检测方法", max_length=200)
    instrument = forms.CharField(label="仪器/试剂", max_length=200, required=False)
    limit = forms.CharField(
        label="筛查阈值", max_length=100, required=False, help_text="如 ≤90；试纸等定性快检留空"
    )
    unit = forms.CharField(label="单位", max_length=40, required=False)
    result = forms.CharField(label="结果", max_length=200, help_text="数值，或 阳性/阴性/可疑")
    uncertainty = forms.DecimalField(label="扩展不确定度U", required=False, min_value=0)
    coverage_factor = forms.DecimalField(label="包含因子k", required=False, min_value=0)
    detection_limit = forms.DecimalField(label="检出限", required=False, min_value=0)
    tested_at = forms.DateTimeField(label="检测时间", widget=_datetime_input())

    def __init__(self, *args: Any, task: SamplingTask, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"tested_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)
        field: Any = self.fields["sample"]
        field.queryset = task.samples.all()


class TaskActionForm(PlainForm):
    note = forms.CharField(label="说明", max_length=500, required=False)


class LeadReferForm(PlainForm):
    referred_to = forms.CharField(label="移送单位", max_length=200)
    legal_basis = forms.CharField(
        label="建议法律依据", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label="说明", max_length=500, required=False)


class LeadCloseForm(PlainForm):
    note = forms.CharField(
        label="办理结果",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="立案、不予立案或不予移送的理由",
    )
