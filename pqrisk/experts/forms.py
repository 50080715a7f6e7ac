"""Forms of the expert pages: the library's record, the draw, the response to a draw and the
expert's rating. They check what a person typed; the services check the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.assessment.choices import RISK_LEVEL_CHOICES
from pqrisk.core.assessment.draw import MAX_PANEL_SIZE, Availability
from pqrisk.core.assessment.experts import parse_probability
from pqrisk.core.assessment.matrix import SEVERITY_LABELS, InvalidAssessment
from pqrisk.core.uscc import is_valid_uscc, normalize
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.web.forms import ANY, FilterForm, PlainForm

from .choices import AVAILABILITY_CHOICES, MATCH_CHOICES
from .models import FAMILY_LEVEL, Expert
from .services import MAX_STEPS

EXTRA_STEP_ROWS = 2  # empty rows for the expert's own steps


def _families() -> QuerySet[ProductCategory]:
    return ProductCategory.objects.filter(level=FAMILY_LEVEL).order_by("code")


class ExpertFilter(FilterForm):
    search_fields = ("name", "organisation", "title", "employer")
    exact = ("availability",)
    availability = forms.ChoiceField(
        label="可参加情况", choices=ANY + AVAILABILITY_CHOICES, required=False
    )
    family = forms.ModelChoiceField(
        label="产品大类", queryset=_families(), required=False, empty_label="全部"
    )
    hazard = forms.ModelChoiceField(
        label="危害类型", queryset=HazardType.objects.all(), required=False, empty_label="全部"
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data, city=True)
        self.fields.pop("district", None)  # experts serve the whole city

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().apply(qs)
        if not self.is_bound or not self.is_valid():
            return qs
        if self.cleaned_data.get("family"):
            qs = qs.filter(product_families=self.cleaned_data["family"])
        if self.cleaned_data.get("hazard"):
            qs = qs.filter(hazards=self.cleaned_data["hazard"])
        return qs.distinct()


def enterprise_lines(enterprises: Any) -> str:
    return "\n".join(f"{e.uscc} {e.name}" for e in enterprises)


class ExpertForm(PlainForm):
    """An expert's record in the library (登记/修改专家)."""

    name = forms.CharField(label="姓名", max_length=50)
    organisation = forms.CharField(label="所在单位", max_length=200)
    title = forms.CharField(label="职称", max_length=50, required=False)
    phone = forms.CharField(label="电话", max_length=50, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    account = forms.ModelChoiceField(
        label="登录账户",
        queryset=User.objects.none(),
        required=False,
        empty_label="暂不关联",
        help_text="具有“专家”角色的账户；专家开通账户后再关联亦可",
    )
    product_families = forms.ModelMultipleChoiceField(
        label="熟悉的产品大类",
        queryset=ProductCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hazards = forms.ModelMultipleChoiceField(
        label="熟悉的危害类型",
        queryset=HazardType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disciplines = forms.CharField(
        label="专业方向",
        max_length=300,
        required=False,
        help_text="以顿号或逗号分隔，如“电气安全、材料阻燃”",
    )
    availability = forms.ChoiceField(label="可参加情况", choices=AVAILABILITY_CHOICES)
    unavailable_until = forms.DateField(
        label="暂不可参加至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="“暂不可参加”时填写；留空表示恢复日期未定",
    )
    employer = forms.CharField(
        label="任职或兼职单位",
        max_length=200,
        required=False,
        help_text="与所在单位不同时填写（兼职、顾问单位等）",
    )
    conflict_enterprises = forms.CharField(
        label="曾任职或提供服务的企业",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一家，填写统一社会信用代码或企业全称（须已在企业库中）",
    )
    conflict_declaration = forms.CharField(
        label="利益冲突声明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="与企业的其他利益关系；声明中提及的企业在抽取时回避",
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, expert: Expert | None = None, **kwargs: Any) -> None:
        if expert is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": expert.name,
                "organisation": expert.organisation,
                "title": expert.title,
                "phone": expert.phone,
                "email": expert.email,
                "account": expert.user_id,
                "product_families": list(expert.product_families.all()),
                "hazards": list(expert.hazards.all()),
                "disciplines": "、".join(expert.disciplines),
                "availability": expert.availability,
                "unavailable_until": expert.unavailable_until,
                "employer": expert.employer,
                "conflict_enterprises": enterprise_lines(expert.conflict_enterprises.all()),
                "conflict_declaration": expert.conflict_declaration,
                "note": expert.note,
            }
        super().__init__(*args, **kwargs)
        taken = Expert.objects.exclude(user=None)
        if expert is not None:
            taken = taken.exclude(pk=expert.pk)
        fields: Any = self.fields
        fields["account"].queryset = (
            User.objects.filter(groups__name=Role.EXPERT.label, is_active=True)
            .exclude(pk__in=taken.values("user"))
            .order_by("username")
        )
        fields["product_families"].queryset = _families()
        fields["hazards"].queryset = HazardType.objects.order_by("code")

    def clean_conflict_enterprises(self) -> list[Enterprise]:
        found: list[Enterprise] = []
        unknown: list[str] = []
        for line in str(self.cleaned_data.get("conflict_enterprises") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            head = line.split()[0]
            if is_valid_uscc(head):
                rows = list(Enterprise.objects.filter(uscc=normalize(head)))
            else:
                rows = list(Enterprise.objects.filter(Q(name=line) | Q(name=head)))
            if rows:
                found += [e for e in rows if e not in found]
            else:
                unknown.append(line)
        if unknown:
            raise forms.ValidationError(
                "以下企业未在企业库中找到，请核对名称或统一社会信用代码：" + "；".join(unknown)
            )
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("availability") != Availability.UNAVAILABLE:
            data["unavailable_until"] = None
        return data

    def service_data(self) -> dict[str, Any]:
        """The cleaned data as ``register_expert`` / ``update_expert`` take it."""
        return dict(self.cleaned_data)


class DrawForm(PlainForm):
    """Criteria of a random draw. There is no seed field on purpose: a seed typed in could be
    chosen to pick particular experts; it is drawn by the system and recorded."""

    size = forms.IntegerField(label="抽取人数", min_value=1, max_value=MAX_PANEL_SIZE)
    match = forms.ChoiceField(
        label="匹配方式",
        choices=MATCH_CHOICES,
        help_text="专家熟悉的产品大类、危害类型与本任务的匹配要求",
    )


class RespondForm(PlainForm):
    decision = forms.ChoiceField(choices=[("accept", "接受"), ("decline", "拒绝")])
    reason = forms.CharField(label="拒绝理由", required=False, max_length=1000)


class RatingForm(PlainForm):
    """An expert's rating: severity, a probability for each scenario step (the case's steps,
    and empty rows for the expert's own), the level they state and why, suggestions and
    dissent. Probabilities may be written 0.001, 1/1000 or 0.1%."""

    severity = forms.TypedChoiceField(
        label="伤害严重程度",
        coerce=int,
        choices=[("", "请选择"), *((k, f"{k}级：{v}") for k, v in SEVERITY_LABELS.items())],
    )
    stated_level = forms.ChoiceField(
        label="认定风险等级",
        required=False,
        choices=[("", "同矩阵等级"), *RISK_LEVEL_CHOICES],
        help_text="与矩阵计算的等级不同时须说明理由",
    )
    level_reason = forms.CharField(
        label="认定等级理由", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    suggestions = forms.CharField(
        label="处置建议", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(
        label="不同意见或说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = min(rows, MAX_STEPS)
        for i in range(self.rows):
            self.fields[f"step-{i}-description"] = forms.CharField(
                label=f"步骤{i + 1}", required=False, max_length=200
            )
            self.fields[f"step-{i}-probability"] = forms.CharField(
                label="概率",
                required=False,
                max_length=30,
                widget=forms.TextInput(attrs={"placeholder": "如 0.01 或 1/100"}),
            )
            self.fields[f"step-{i}-evidence"] = forms.CharField(
                label="依据", required=False, max_length=500
            )

    def step_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"step-{i}-description"],
                self[f"step-{i}-probability"],
                self[f"step-{i}-evidence"],
            )
            for i in range(self.rows)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps = []
        for i in range(self.rows):
            description = (data.get(f"step-{i}-description") or "").strip()
            raw = (data.get(f"step-{i}-probability") or "").strip()
            if not description and not raw:
                continue
            if not description:
                self.add_error(f"step-{i}-description", "请填写步骤描述")
                continue
            if not raw:
                self.add_error(f"step-{i}-probability", "请填写概率")
                continue
            try:
                probability = parse_probability(raw)
            except InvalidAssessment as exc:
                self.add_error(f"step-{i}-probability", exc.message_zh)
                continue
            steps.append(
                {
                    "description": description,
                    "probability": probability,
                    "evidence": (data.get(f"step-{i}-evidence") or "").strip(),
                }
            )
        if not steps and not self.errors:
            raise forms.ValidationError("伤害情景至少需要一个步骤")
        data["steps"] = steps
        return data


def rating_initial(steps: list[dict[str, Any]], rating: Any = None) -> dict[str, Any]:
    """Initial values: the expert's earlier rating in this round, else the case's step
    descriptions with empty probabilities (so that nobody rates by accepting a default)."""
    initial: dict[str, Any] = {}
    if rating is not None:
        for i, s in enumerate(rating.steps):
            initial[f"step-{i}-description"] = s["description"]
            initial[f"step-{i}-probability"] = f"{s['probability']:g}"
            initial[f"step-{i}-evidence"] = s.get("evidence", "")
        initial.update(
            severity=rating.severity,
            stated_level=rating.stated_level,
            level_reason=rating.level_reason,
            suggestions=rating.suggestions,
            comment=rating.comment,
        )
        return initial
    for i, s in enumerate(steps):
        initial[f"step-{i}-description"] = s["description"]
    return initial
