"""境外通报 pages: the queue of foreign recall alerts (EU Safety Gate, US CPSC) with facet
filters and export, an alert's original English text beside its Chinese summary with the
tagger's evidence marked, the review of candidate local firms, enterprise aliases, and
「立案评估」 from an alert.

Who sees what (``pqrisk.foreign.services.visible_alerts``): city-wide roles see every alert; a
district officer sees the alerts matched to firms of their district, the unmatched ones (read
only) and those with a candidate firm of their district; any other alert is 404. Candidate
firms of other districts are counted on an alert's page, never named.

Who decides: confirming or rejecting a candidate firm and adding an alias follow the review
of record-to-enterprise matches (企业匹配复核, ``pqrisk.enterprises.matching.may_review``):
the city bureau (市局管理员, 市局监管处) and the assessment centre (评估中心) for any firm, a
district officer for the firms of their own district; experts read only
(``services.may_review`` / ``services.may_add_alias``). Opening an assessment case is the
assessment centre's and the city bureau's (``pqrisk.assessment.cases.CASE_ROLES``), as on
every other page that opens one, and only for an alert matched to a local firm whose risk
information exists: a case rests on risk information, and an alert without a local firm is
reference only. The services audit every change; these views validate, call one service and
show.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from pqrisk.assessment.cases import CASE_ROLES, CaseError, open_case
from pqrisk.audit.models import AuditEvent
from pqrisk.core.safe_export import SafeCsvWriter, safe_row
from pqrisk.enterprises.models import Enterprise
from pqrisk.foreign import services
from pqrisk.foreign.choices import (
    ALERT_STATUS_COLOURS,
    MATCH_STATE_COLOURS,
    AlertOrigin,
    AlertStatus,
    AliasKind,
    MatchState,
)
from pqrisk.foreign.models import ForeignAlert, ForeignAlertRiskType, ForeignMatch
from pqrisk.reference.models import HazardType, ProductCategory

from .evidence import Names, highlight, spans_of
from .feedback import form_refused, service_error
from .forms import PlainForm
from .views import page

PAGE_SIZE = 30
REVIEW_ALERTS_PER_PAGE = 20
# Original text shown on an alert's page: a 5 MB description is cut here (the raw item keeps
# it whole); evidence beyond the cut is not marked.
DISPLAY_CHARS = 20_000
EXPORT_MAX_ROWS = 20_000
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNKNOWN = "未知"
# Newest alerts first; alerts whose source date could not be read last (PostgreSQL would put
# NULL first in a descending order).
NEWEST_FIRST = (F("alert_date").desc(nulls_last=True), "-id")

# The made-in-China filter: mainland China is "made in China"; Hong Kong, Macao and Taiwan
# are listed separately (origin_region), as the tagger keeps them.
MADE_IN: dict[str, tuple[str, Q]] = {
    "cn": ("中国制造（大陆）", Q(made_in_china=True)),
    "hk": ("中国香港", Q(origin_region="HK")),
    "mo": ("中国澳门", Q(origin_region="MO")),
    "tw": ("中国台湾", Q(origin_region="TW")),
    "other": (
        "其他国家或地区",
        Q(made_in_china=False) & ~Q(origin_region__in=("", "CN", "HK", "MO", "TW")),
    ),
    "unknown": ("原产地不明", Q(made_in_china=False, origin_region="")),
}
MATCHED = {"yes": "已关联本地企业", "review": "有待复核候选", "no": "无本地关联"}
TAG_SOURCES = {"rule": "规则", "model": "模型", "given": "来源标注", "mapping": "映射"}
# Tagger fields (pqrisk.core.foreign.tagging) → the alert's fields holding that text.
TEXT_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("product_name", "product_name", "产品名称", "Product"),
    ("product_description", "product_description", "产品描述", "Description"),
    ("risk_description", "risk_description", "风险描述", "Risk"),
    ("brand", "brand", "品牌", "Brand"),
    ("model", "model", "型号", "Model / type"),
    ("product_category", "category_given", "产品类别（来源标注）", "Category"),
    ("risk_type", "risk_type_given", "风险类型（来源标注）", "Risk type"),
    ("country_of_origin", "country_of_origin", "原产地（原文）", "Country of origin"),
)
FIELD_NAMES = {tag_field: zh for tag_field, _, zh, _ in TEXT_FIELDS}
# Kind of tag → the evidence colour class it is marked with (pqrisk.css, ``mark.ev-*``).
TAG_FIELD = {
    "risk_types": "hazard",
    "hazards": "hazard",
    "category": "product",
    "catalogue_code": "product",
    "country": "region",
}
TAG_KIND_LABELS = {
    "risk_types": "风险类型",
    "hazards": "危害",
    "category": "产品类别",
    "catalogue_code": "产品目录",
    "country": "原产地",
}


# ---------------------------------------------------------------- labels


def _colour(colours: Mapping[Any, str], value: str) -> str:
    """A choice's colour (``choices.py``), grey for a value it does not know."""
    return colours.get(value, "#8c8c8c")


def _risk_type_zh(value: str) -> str:
    from pqrisk.foreign.summary import RISK_TYPE_ZH

    return str(RISK_TYPE_ZH.get(value) or value)


def _category_zh(value: str) -> str:
    from pqrisk.foreign.summary import CATEGORY_ZH

    return str(CATEGORY_ZH.get(value) or value)


def _country_zh(value: str) -> str:
    from pqrisk.foreign.summary import country_zh

    return str(country_zh(value) or value)


def _with_original(zh: str, original: str) -> str:
    if not original:
        return UNKNOWN
    return original if zh == original else f"{zh}（{original}）"


# ---------------------------------------------------------------- filters


class AlertFilterForm(PlainForm):
    """The queue's filters. Facet values are free text validated against the data (a value
    no alert has simply finds nothing); dates are checked."""

    q = forms.CharField(label="关键词", required=False, max_length=100)
    origin = forms.CharField(required=False, max_length=20)
    notifier = forms.CharField(required=False, max_length=80)
    country = forms.CharField(required=False, max_length=80)
    category = forms.CharField(required=False, max_length=80)
    risk_type = forms.CharField(required=False, max_length=60)
    made_in = forms.CharField(required=False, max_length=10)
    matched = forms.CharField(required=False, max_length=10)
    status = forms.CharField(required=False, max_length=20)
    firm = forms.CharField(label="企业", required=False, max_length=100)
    since = forms.DateField(label="通报日期自", required=False)
    until = forms.DateField(label="至", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("起始日期不能晚于截止日期")
        return data


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    options: list[Option]


def _pending_candidate() -> Exists:
    return Exists(ForeignMatch.objects.filter(alert=OuterRef("pk"), state=MatchState.PENDING))


def _conditions(data: Mapping[str, Any]) -> dict[str, Q]:
    """One condition per filter in use, by filter name."""
    out: dict[str, Q] = {}
    if q := (data.get("q") or "").strip():
        out["q"] = (
            Q(product_name__icontains=q)
            | Q(product_description__icontains=q)
            | Q(brand__icontains=q)
            | Q(model__icontains=q)
            | Q(alert_number__icontains=q)
            | Q(manufacturer__icontains=q)
        )
    for name, column in (
        ("origin", "origin"),
        ("notifier", "notifying_country"),
        ("country", "country"),
        ("category", "category"),
        ("status", "status"),
    ):
        value = data.get(name)
        if value:
            out[name] = Q(**{column: "" if value == "-" else value})
    if risk := data.get("risk_type"):
        out["risk_type"] = Q(
            Exists(ForeignAlertRiskType.objects.filter(alert=OuterRef("pk"), risk_type=risk))
        )
    if (made := data.get("made_in")) in MADE_IN:
        out["made_in"] = MADE_IN[made][1]
    matched = data.get("matched")
    if matched == "yes":
        out["matched"] = Q(enterprise__isnull=False)
    elif matched == "review":
        out["matched"] = Q(_pending_candidate())
    elif matched == "no":
        out["matched"] = Q(enterprise__isnull=True) & ~Q(_pending_candidate())
    if firm := (data.get("firm") or "").strip():
        out["firm"] = Q(enterprise__name__icontains=firm) | Q(
            Exists(
                ForeignMatch.objects.filter(
                    alert=OuterRef("pk"), enterprise__name__icontains=firm
                ).exclude(state=MatchState.REJECTED)
            )
        )
    if since := data.get("since"):
        out["since"] = Q(alert_date__gte=since)
    if until := data.get("until"):
        out["until"] = Q(alert_date__lte=until)
    return out


def _filtered(qs: QuerySet[ForeignAlert], conds: Mapping[str, Q], skip: str = "") -> Any:
    for name, cond in conds.items():
        if name != skip:
            qs = qs.filter(cond)
    return qs


def _options(
    counted: Iterable[tuple[str, str, int]], selected: str, unknown_label: str = UNKNOWN
) -> list[Option]:
    """(value, label, count) → options, the busiest first; "" is offered as "-" (unknown)."""
    options = []
    seen = False
    for value, label, n in sorted(counted, key=lambda x: (-x[2], x[1])):
        key = value or "-"
        seen = seen or key == selected
        options.append(Option(key, label or unknown_label, n, key == selected))
    if selected and not seen:
        options.append(Option(selected, selected if selected != "-" else unknown_label, 0, True))
    return options


def _facets(
    base: QuerySet[ForeignAlert], conds: Mapping[str, Q], data: Mapping[str, Any]
) -> list[Facet]:
    """Each facet's values with the number of alerts they would give, counted under the other
    filters in use (one grouped query per facet)."""

    def grouped(skip: str, column: str, label_column: str | None = None) -> list[Any]:
        cols = [column, label_column] if label_column else [column]
        return list(
            _filtered(base, conds, skip)
            .order_by()
            .values(*cols)
            .annotate(n=Count("id"))
            .values_list(*cols, "n")
        )

    def sel(name: str) -> str:
        return str(data.get(name) or "")

    origins = dict(AlertOrigin.choices)
    statuses = dict(AlertStatus.choices)
    facets = [
        Facet(
            "origin",
            "通报来源",
            _options(
                ((v, origins.get(v, v), n) for v, n in grouped("origin", "origin")), sel("origin")
            ),
        ),
        Facet(
            "notifier",
            "通报国",
            _options(
                _merge(
                    (v, _with_original(zh or v, v) if v else "", n)
                    for v, zh, n in grouped("notifier", "notifying_country", "notifying_country_zh")
                ),
                sel("notifier"),
            ),
        ),
        Facet(
            "country",
            "原产地",
            _options(
                _merge(
                    (v, _with_original(zh or _country_zh(v), v) if v else "", n)
                    for v, zh, n in grouped("country", "country", "origin_zh")
                ),
                sel("country"),
            ),
        ),
        Facet(
            "category",
            "产品类别",
            _options(
                (
                    (v, _with_original(_category_zh(v), v) if v else "", n)
                    for v, n in grouped("category", "category")
                ),
                sel("category"),
                "类别不明",
            ),
        ),
    ]
    risk_rows = (
        ForeignAlertRiskType.objects.filter(alert__in=_filtered(base, conds, "risk_type"))
        .order_by()
        .values("risk_type")
        .annotate(n=Count("alert", distinct=True))
        .values_list("risk_type", "n")
    )
    facets.append(
        Facet(
            "risk_type",
            "风险类型",
            _options(
                ((v, _with_original(_risk_type_zh(v), v), n) for v, n in risk_rows),
                sel("risk_type"),
            ),
        )
    )
    made_base = _filtered(base, conds, "made_in")
    made_counts = made_base.aggregate(
        **{key: Count("id", filter=cond) for key, (_, cond) in MADE_IN.items()}
    )
    facets.append(
        Facet(
            "made_in",
            "中国制造",
            [
                Option(key, label, made_counts.get(key) or 0, sel("made_in") == key)
                for key, (label, _) in MADE_IN.items()
            ],
        )
    )
    matched_base = _filtered(base, conds, "matched")
    pending = _pending_candidate()
    matched_counts = matched_base.annotate(has_pending=pending).aggregate(
        yes=Count("id", filter=Q(enterprise__isnull=False)),
        review=Count("id", filter=Q(has_pending=True)),
        no=Count("id", filter=Q(enterprise__isnull=True, has_pending=False)),
    )
    facets.append(
        Facet(
            "matched",
            "关联企业",
            [
                Option(key, label, matched_counts.get(key) or 0, sel("matched") == key)
                for key, label in MATCHED.items()
            ],
        )
    )
    facets.append(
        Facet(
            "status",
            "状态",
            _options(
                ((v, statuses.get(v, v), n) for v, n in grouped("status", "status")),
                sel("status"),
            ),
        )
    )
    return facets


def _merge(rows: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Rows of the same value (one value, several Chinese labels) added up."""
    out: dict[str, list[Any]] = {}
    for value, label, n in rows:
        if value in out:
            out[value][2] += n
        else:
            out[value] = [value, label, n]
    return [(v, label, n) for v, label, n in out.values()]


def _queue(request: HttpRequest) -> tuple[AlertFilterForm, Any, dict[str, Q]]:
    """The filter form, the user's alerts and the conditions of the valid filters."""
    form = AlertFilterForm(request.GET or None)
    base = services.visible_alerts(request.user)
    conds = _conditions(form.cleaned_data) if form.is_bound and form.is_valid() else {}
    return form, base, conds


# ---------------------------------------------------------------- the queue


@require_GET
@page()
def foreign_list(request: HttpRequest) -> HttpResponse:
    """境外通报: the user's alerts, newest first, with facet counts under the other filters."""
    form, base, conds = _queue(request)
    alerts = _filtered(base, conds).select_related("enterprise", "district", "case")
    alerts = alerts.order_by(*NEWEST_FIRST)
    page_obj = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    user: Any = request.user
    for alert in page_obj.object_list:
        alert.status_colour = _colour(ALERT_STATUS_COLOURS, alert.status)
        alert.firm_shown = _firm_shown(user, alert)
    return render(
        request,
        "foreign/alert_list.html",
        {
            "form": form,
            "facets": _facets(base, conds, data),
            "page_obj": page_obj,
            "filtered": bool(conds),
            "total": base.count(),
            "review_count": services.review_queue(user).count(),
            "export_query": request.GET.urlencode(),
        },
    )


EXPORT_HEADER = (
    "通报编号",
    "通报来源",
    "通报日期",
    "通报国",
    "原产地",
    "中国制造",
    "产品名称",
    "品牌",
    "型号",
    "产品类别",
    "风险类型",
    "危害",
    "关联企业",
    "状态",
    "原文链接",
)


def _firm_shown(user: Any, alert: ForeignAlert) -> bool:
    """Whether the alert's local firm may be named to ``user``: a district officer sees an
    alert matched to another district's firm only through a candidate of their own, and the
    other district's firm stays unnamed."""
    return alert.enterprise is not None and (
        bool(user.is_city_wide) or alert.enterprise.district_id == user.district_id
    )


def _export_row(a: ForeignAlert, user: Any) -> list[Any]:
    return [
        a.alert_number,
        a.get_origin_display(),
        a.alert_date.isoformat() if a.alert_date else a.date_raw,
        a.notifying_country_zh or a.notifying_country,
        a.origin_zh or a.country or a.country_of_origin,
        "是" if a.made_in_china else "否",
        a.product_name,
        a.brand,
        a.model,
        a.category_zh or a.category,
        a.risk_types_zh or "；".join(str(r) for r in a.risk_types or ()),
        a.hazard_zh,
        a.enterprise.name if a.enterprise and _firm_shown(user, a) else "",
        a.get_status_display(),
        a.url,
    ]


@require_GET
@page()
def foreign_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered queue as CSV (UTF-8 with BOM) or Excel; text from abroad is neutralised
    so that no cell runs as a formula (``pqrisk.core.safe_export``)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("导出格式须为 csv 或 xlsx")
    _form, base, conds = _queue(request)
    alerts = _filtered(base, conds).select_related("enterprise").order_by(*NEWEST_FIRST)
    user = request.user
    rows = (_export_row(a, user) for a in alerts[:EXPORT_MAX_ROWS].iterator(chunk_size=1000))
    header = list(EXPORT_HEADER)
    if fmt == "csv":
        out = io.StringIO()
        writer = SafeCsvWriter(out)
        writer.writerow(header)
        writer.writerows(rows)
        body = ("\ufeff" + out.getvalue()).encode("utf-8")
    else:
        book = Workbook(write_only=False)
        sheet = book.active
        assert sheet is not None
        sheet.title = "境外通报"
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(safe_row(row))
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="foreign-alerts-{stamp}.{fmt}"'
    return response


# ---------------------------------------------------------------- one alert


def _tag_list(tags: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = tags.get(key)
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, Mapping)]
    return []


@dataclass(frozen=True)
class TagRow:
    kind: str
    value: str
    label: str
    score: float | None
    source: str
    evidence: list[str]


def _tag_label(kind: str, value: str, names: Names) -> str:
    if kind == "risk_types":
        return _risk_type_zh(value)
    if kind == "hazards":
        return str(names.hazards.get(value, value))
    if kind == "category":
        return _category_zh(value)
    if kind == "catalogue_code":
        return str(names.products.get(value, value))
    if kind == "country":
        return _country_zh(value)
    return value


def _names(tags: Mapping[str, Any]) -> Names:
    hazard_codes = [str(t.get("value")) for t in _tag_list(tags, "hazards")]
    product_codes = [str(t.get("value")) for t in _tag_list(tags, "catalogue_code")]
    return Names(
        products=dict(
            ProductCategory.objects.filter(code__in=product_codes).values_list("code", "name")
        ),
        hazards=dict(HazardType.objects.filter(code__in=hazard_codes).values_list("code", "name")),
    )


def _tag_rows(tags: Mapping[str, Any], names: Names) -> list[TagRow]:
    rows = []
    for kind in TAG_KIND_LABELS:
        for tag in _tag_list(tags, kind):
            value = str(tag.get("value") or "")
            score = tag.get("score")
            evidence = list(
                dict.fromkeys(
                    f"{FIELD_NAMES.get(str(ev.get('field')), ev.get('field', ''))}："
                    f"{str(ev.get('text', ''))[:120]}"
                    for ev in tag.get("evidence") or ()
                    if isinstance(ev, Mapping)
                )
            )
            rows.append(
                TagRow(
                    kind=TAG_KIND_LABELS[kind],
                    value=value,
                    label=_tag_label(kind, value, names),
                    score=float(score) if isinstance(score, int | float) else None,
                    source=TAG_SOURCES.get(str(tag.get("source")), str(tag.get("source") or "")),
                    evidence=evidence[:5],
                )
            )
    return rows


@dataclass(frozen=True)
class OriginalText:
    label: str
    html: SafeString
    truncated: bool
    length: int


def _original_texts(alert: ForeignAlert, tags: Mapping[str, Any], names: Names) -> list[Any]:
    """The alert's English fields, escaped, with the evidence of every tag marked (the
    tooltip says what it is evidence for, in Chinese)."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    for kind, css in TAG_FIELD.items():
        for tag in _tag_list(tags, kind):
            value = str(tag.get("value") or "")
            label = f"{_tag_label(kind, value, names)}（{TAG_KIND_LABELS[kind]}）"
            for ev in tag.get("evidence") or ():
                if isinstance(ev, Mapping):
                    evidence.setdefault(str(ev.get("field")), []).append(
                        {**ev, "field": css, "value": label}
                    )
    out = []
    for tag_field, attr, zh, en in TEXT_FIELDS:
        text = str(getattr(alert, attr, "") or "")
        if not text:
            continue
        shown = text[:DISPLAY_CHARS]
        spans = spans_of(shown, evidence.get(tag_field, []))
        out.append(
            OriginalText(
                label=f"{zh} {en}",
                html=highlight(shown, spans, _PassThrough()),
                truncated=len(text) > DISPLAY_CHARS,
                length=len(text),
            )
        )
    return out


class _PassThrough(Names):
    """Evidence values that are already Chinese labels: shown as they are."""

    def value(self, name: str, value: str, note: str = "") -> str:
        return value


def _visible_alert(request: HttpRequest, pk: int) -> ForeignAlert:
    return get_object_or_404(
        services.visible_alerts(request.user).select_related(
            "raw_item",
            "enterprise",
            "enterprise__district",
            "district",
            "risk_info",
            "case",
            "product_category",
            "hazard",
        ),
        pk=pk,
    )


def _safe_url(url: str) -> str:
    """Only web addresses become links (never ``javascript:``)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


class RejectForm(PlainForm):
    reason = forms.CharField(
        label="驳回理由", max_length=300, help_text="如：同名不同企业、品牌不属于该企业"
    )


class AliasForm(PlainForm):
    enterprise = forms.ModelChoiceField(
        label="企业", queryset=Enterprise.objects.none(), empty_label=None
    )
    alias = forms.CharField(
        label="别名", max_length=200, help_text="境外通报中出现的英文名称、品牌或拼音"
    )
    kind = forms.ChoiceField(label="类型", choices=AliasKind.choices)

    def __init__(self, *args: Any, firms: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["enterprise"]
        field.queryset = firms

    def clean_alias(self) -> str:
        alias = " ".join(str(self.cleaned_data.get("alias") or "").split())
        if not alias:
            raise forms.ValidationError("别名不能为空")
        return alias


def _alias_firms(
    user: Any, alert: ForeignAlert, matches: list[ForeignMatch]
) -> QuerySet[Enterprise]:
    """Firms of this alert (the matched one, the candidates) the user may add an alias to."""
    ids = {m.enterprise_id for m in matches}
    if alert.enterprise_id:
        ids.add(alert.enterprise_id)
    firms = Enterprise.objects.filter(pk__in=ids).select_related("district").order_by("name")
    allowed = [e.pk for e in firms if services.may_add_alias(user, e)]
    return Enterprise.objects.filter(pk__in=allowed).order_by("name")


def _case_refusal(alert: ForeignAlert) -> str:
    """Why no case may be opened from this alert ("" when one may)."""
    if alert.case_id:
        return "该通报已立案评估"
    if not alert.enterprise_id:
        return "该通报尚未关联本地企业（确认候选企业后方可立案）"
    if not alert.risk_info_id:
        return "该通报尚未转为本地风险信息（信息初筛完成后方可立案）"
    return ""


@require_GET
@page()
def foreign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert: the original English beside the Chinese summary, evidence marked, tag
    scores, disagreements, candidate firms with review, aliases and 「立案评估」."""
    alert = _visible_alert(request, pk)
    user: Any = request.user
    tags = alert.tags if isinstance(alert.tags, Mapping) else {}
    names = _names(tags)
    all_matches = services.alert_matches(alert)
    city = bool(user.is_city_wide)
    shown = [m for m in all_matches if city or m.enterprise.district_id == user.district_id]
    for m in shown:
        m.colour = _colour(MATCH_STATE_COLOURS, m.state)  # type: ignore[attr-defined]
        m.reviewable = m.state == MatchState.PENDING and services.may_review(user, m)  # type: ignore[attr-defined]
        m.notes = _evidence_notes(m.evidence)  # type: ignore[attr-defined]
    firms = _alias_firms(user, alert, shown)
    may_open = user.has_role(*CASE_ROLES)
    enterprise_visible = _firm_shown(user, alert)
    return render(
        request,
        "foreign/alert_detail.html",
        {
            "alert": alert,
            "status_colour": _colour(ALERT_STATUS_COLOURS, alert.status),
            "texts": _original_texts(alert, tags, names),
            "measures": alert.measures[:DISPLAY_CHARS],
            "source_url": _safe_url(alert.url),
            "tag_rows": _tag_rows(tags, names),
            "disagreements": alert.disagreements,
            "errors": alert.errors,
            "matches": shown,
            "hidden_matches": len(all_matches) - len(shown),
            "enterprise_visible": enterprise_visible,
            "reject_form": RejectForm(),
            "alias_form": AliasForm(firms=firms, initial={"alias": alert.brand[:200]})
            if firms.exists()
            else None,
            "may_open_case": may_open,
            "case_refusal": _case_refusal(alert),
            "trail": _trail(alert, shown),
        },
    )


def _trail(alert: ForeignAlert, matches: list[ForeignMatch]) -> list[AuditEvent]:
    """The alert's audit events and those of the candidates the user may see, in order."""
    return list(
        AuditEvent.objects.filter(
            Q(object_type=ForeignAlert._meta.label_lower, object_id=str(alert.pk))
            | Q(
                object_type=ForeignMatch._meta.label_lower,
                object_id__in=[str(m.pk) for m in matches],
            )
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def _evidence_notes(evidence: Any) -> list[str]:
    """A match's evidence as short lines: its explanation, then field = value pairs."""
    if not isinstance(evidence, Mapping):
        return [str(evidence)] if evidence else []
    notes = []
    explanation = evidence.get("explanation")
    if explanation:
        notes.append(str(explanation))
    for key, value in evidence.items():
        if key == "explanation" or value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            value = "、".join(str(v) for v in value[:10])
        elif isinstance(value, Mapping):
            value = "；".join(f"{k}={v}" for k, v in list(value.items())[:10])
        notes.append(f"{key}：{str(value)[:200]}")
    return notes[:12]


# ---------------------------------------------------------------- review


def _back(request: HttpRequest, alert_pk: int) -> HttpResponse:
    if request.POST.get("back") == "review":
        return redirect("web:foreign_review")
    return redirect("web:foreign_detail", pk=alert_pk)


def _visible_match(request: HttpRequest, pk: int) -> ForeignMatch:
    """A candidate of an alert the user may see (404 otherwise) that the user may review
    (403 otherwise: a district officer decides on their own district's firms only)."""
    match = (
        ForeignMatch.objects.select_related("alert", "enterprise", "enterprise__district")
        .filter(pk=pk, alert__in=services.visible_alerts(request.user))
        .first()
    )
    if match is None:
        raise Http404("没有这条候选企业记录")
    if not services.may_review(request.user, match):
        raise PermissionDenied("您无权复核该候选企业（区局仅可复核本区企业）。")
    return match


@require_POST
@page()
def foreign_match_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    match = _visible_match(request, pk)
    try:
        services.confirm_match(match, request.user, request.POST.get("reason", "")[:300])
    except (services.ForeignReviewError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已确认关联企业：{match.enterprise.name}")
    return _back(request, match.alert_id)


@require_POST
@page()
def foreign_match_reject(request: HttpRequest, pk: int) -> HttpResponse:
    match = _visible_match(request, pk)
    form = RejectForm(request.POST)
    if form_refused(request, form):
        return _back(request, match.alert_id)
    try:
        services.reject_match(match, request.user, form.cleaned_data["reason"])
    except (services.ForeignReviewError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已驳回候选企业：{match.enterprise.name}")
    return _back(request, match.alert_id)


@require_POST
@page()
def foreign_alias_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an English / foreign / pinyin name or brand to a firm of this alert; the service
    rematches the open alerts with it."""
    alert = _visible_alert(request, pk)
    firms = _alias_firms(request.user, alert, services.alert_matches(alert))
    form = AliasForm(request.POST, firms=firms)
    if form_refused(request, form):
        return redirect("web:foreign_detail", pk=alert.pk)
    data = form.cleaned_data
    try:
        alias = services.add_alias(data["enterprise"], data["alias"], data["kind"], request.user)
    except (services.ForeignReviewError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已为{data['enterprise'].name}添加别名：{alias.alias}")
    return redirect("web:foreign_detail", pk=alert.pk)


@require_POST
@page()
def foreign_case(request: HttpRequest, pk: int) -> HttpResponse:
    """「立案评估」: open an assessment case on the alert's risk information, as the case
    pages do (``open_case``: analyst or city bureau, audited), and mark the alert 已立案."""
    alert = _visible_alert(request, pk)
    if alert.case_id:
        messages.info(request, f"该通报已立案：{alert.case.code if alert.case else ''}")
        return redirect("web:case_detail", pk=alert.case_id)
    refusal = _case_refusal(alert)
    if refusal:
        messages.error(request, f"不能立案：{refusal}")
        return redirect("web:foreign_detail", pk=alert.pk)
    assert alert.risk_info is not None
    title = f"境外通报{alert.alert_number}：{alert.category_zh or alert.product_name[:40]}风险评估"
    try:
        with transaction.atomic():
            case = open_case(
                request.user,
                risk_infos=[alert.risk_info],
                title=title[:200],
                description=_case_description(alert),
            )
            services.mark_case_opened(alert, case, request.user)
    except (CaseError, services.ForeignReviewError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:foreign_detail", pk=alert.pk)
    messages.success(request, f"已立项：{case.code}")
    return redirect("web:case_detail", pk=case.pk)


def _case_description(alert: ForeignAlert) -> str:
    parts = [
        f"来源：{alert.get_origin_display()} {alert.alert_number}",
        f"通报国：{alert.notifying_country_zh or alert.notifying_country or UNKNOWN}",
        f"原产地：{alert.origin_zh or alert.country or UNKNOWN}",
        f"产品：{alert.product_name}",
        f"风险类型：{alert.risk_types_zh or UNKNOWN}",
        f"危害：{alert.hazard_zh or UNKNOWN}",
        f"关联企业：{alert.enterprise.name if alert.enterprise else UNKNOWN}",
    ]
    if alert.url:
        parts.append(f"原文：{alert.url}")
    return "\n".join(parts)


@require_GET
@page()
def foreign_review(request: HttpRequest) -> HttpResponse:
    """待人工复核: pending candidate firms the user may decide on, grouped by alert, the
    newest alerts first. City bureau and assessment centre see every district; a district
    officer the candidates in their own district (``services.review_queue``)."""
    queue = services.review_queue(request.user).select_related(
        "alert", "enterprise", "enterprise__district", "product"
    )
    alert_ids = list(
        dict.fromkeys(
            queue.order_by(
                F("alert__alert_date").desc(nulls_last=True), "-alert_id", "-confidence"
            ).values_list("alert_id", flat=True)
        )
    )
    page_obj = Paginator(alert_ids, REVIEW_ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    groups: dict[int, dict[str, Any]] = {pk: {"alert": None, "matches": []} for pk in page_obj}
    for m in queue.filter(alert_id__in=list(page_obj.object_list)).order_by("-confidence", "id"):
        g = groups[m.alert_id]
        g["alert"] = m.alert
        m.notes = _evidence_notes(m.evidence)  # type: ignore[attr-defined]
        m.colour = _colour(MATCH_STATE_COLOURS, m.state)  # type: ignore[attr-defined]
        m.reviewable = services.may_review(request.user, m)  # type: ignore[attr-defined]
        g["matches"].append(m)
    return render(
        request,
        "foreign/review_queue.html",
        {
            "groups": [g for g in groups.values() if g["alert"] is not None],
            "page_obj": page_obj,
            "total": len(alert_ids),
            "reject_form": RejectForm(),
            "city": bool(getattr(request.user, "is_city_wide", False)),
        },
    )
