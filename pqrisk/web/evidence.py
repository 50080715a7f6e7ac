"""What screening (信息初筛) found in an item, as its page shows it: the screened text with
every evidence span marked, and the extracted fields each with its evidence snippets.

``RiskInfo.evidence`` is a list of ``{"field", "value", "start", "end", "text", "note"}`` with
``screened_text[start:end] == text`` (see ``pqrisk.core.screening.extract``). Spans overlap —
a place name at the start of an enterprise name, a product word inside it — so the text is
cut at every span boundary; each piece is coloured by the innermost (shortest) span covering
it, and its tooltip names every field that covers it.

The screened text is untrusted input (complaints, posts, records): every piece of it is
escaped here before it is marked. Colours are in pqrisk.css (``mark.ev-<field>``); labels,
in Chinese, are here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from pqrisk.core.assessment.matrix import SEVERITY_LABELS
from pqrisk.reference.models import District, HazardType, ProductCategory

if TYPE_CHECKING:
    from pqrisk.screening.models import RiskInfo

# Evidence fields as analysts read them, in the order the fields table lists them.
FIELD_LABELS: dict[str, str] = {
    "product": "产品类别",
    "hazard": "危害",
    "enterprise": "企业",
    "brand": "品牌",
    "model": "型号",
    "batch": "批号",
    "region": "地区",
    "date": "日期",
    "severity": "伤害程度",
    "victims": "伤亡人数",
    "units": "涉及数量",
    "sense": "非产品词义",
    "ambiguous": "未判定",
}
FIELD_ORDER = {name: i for i, name in enumerate(FIELD_LABELS)}
OTHER_FIELD = "other"

# How the enterprise named by an item was matched against the register (``tags.enterprise_match``).
MATCH_METHOD_LABELS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "exact": "名称一致",
    "normalized": "规范化名称一致",
    "brand": "字号一致",
    "ambiguous": "多个候选，未匹配",
}

SNIPPET_CONTEXT = 12  # characters shown either side of a span in the fields table
SNIPPETS_PER_VALUE = 3


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def field_class(name: str) -> str:
    """The CSS class of a field's marks (one colour per field; unknown fields share one)."""
    return f"ev-{name if name in FIELD_LABELS else OTHER_FIELD}"


@dataclass(frozen=True)
class Span:
    """One evidence entry that points into the screened text."""

    field: str
    value: str
    start: int
    end: int
    note: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


def spans_of(text: str, evidence: Iterable[Any]) -> list[Span]:
    """The evidence entries that point into ``text``. An entry that does not (malformed, out
    of range, or whose ``text`` differs from what the span covers) is left out rather than
    marking the wrong characters."""
    spans: list[Span] = []
    for ev in evidence or ():
        if not isinstance(ev, Mapping):
            continue
        start, end = ev.get("start"), ev.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        if "text" in ev and text[start:end] != ev["text"]:
            continue
        spans.append(
            Span(
                field=str(ev.get("field") or OTHER_FIELD),
                value=str(ev.get("value") if ev.get("value") is not None else ""),
                start=start,
                end=end,
                note=str(ev.get("note") or ""),
            )
        )
    return spans


def _inner_first(span: Span) -> tuple[int, int, int]:
    return (span.length, FIELD_ORDER.get(span.field, len(FIELD_ORDER)), span.start)


@dataclass(frozen=True)
class Piece:
    """A stretch of text covered by the same spans (none, for plain text)."""

    text: str
    start: int
    spans: tuple[Span, ...] = ()  # innermost first

    @property
    def field(self) -> str | None:
        """The field whose colour the piece takes: the innermost span's."""
        return self.spans[0].field if self.spans else None


def segment(text: str, spans: Sequence[Span]) -> list[Piece]:
    """Cut ``text`` at every span boundary; each piece knows the spans covering it."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    by_start = sorted(spans, key=lambda s: s.start)
    active: list[Span] = []
    pieces: list[Piece] = []
    i = 0
    for a, b in pairwise(cuts):
        active = [s for s in active if s.end > a]
        while i < len(by_start) and by_start[i].start <= a:
            if by_start[i].end > a:
                active.append(by_start[i])
            i += 1
        pieces.append(Piece(text[a:b], a, tuple(sorted(active, key=_inner_first))))
    return pieces


# ---------------------------------------------------------------- readable values


def region_text(value: Any) -> str:
    """A region as 省 / 市 / 区: from a path ("上海市/浦东新区"), a ``tags.region`` dict, or a
    name; a municipality's city (上海市 / 上海市) is said once."""
    if isinstance(value, Mapping):
        parts = [str(value.get(k) or "") for k in ("province", "city", "district")]
    else:
        parts = str(value or "").split("/")
    out: list[str] = []
    for part in (p.strip() for p in parts):
        if part and (not out or out[-1] != part):
            out.append(part)
    return " / ".join(out)


def severity_text(value: Any) -> str:
    """The level as "N 级（…）" on the 1–4 injury-severity scale (EU 2019/417;
    ``SEVERITY_LABELS``)."""
    try:
        level = int(value)
    except (TypeError, ValueError):
        return str(value)
    meaning = SEVERITY_LABELS.get(level)
    return f"{level} 级（{meaning}）" if meaning else f"{level} 级"


def count_text(value: Any, note: str) -> str:
    """A count with its unit and what it counts: "3 名（受伤）", "500 台（约数）"."""
    unit, *rest = (note or "").split("，")
    text = f"{value} {unit}".strip()
    return f"{text}（{'、'.join(rest)}）" if rest else text


@dataclass(frozen=True)
class Names:
    """Readable names for the codes evidence values carry (catalogue and hazard codes,
    district codes)."""

    products: Mapping[str, str] = field(default_factory=dict)
    hazards: Mapping[str, str] = field(default_factory=dict)
    districts: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, value: str, note: str = "") -> str:
        if name == "product":
            return self.products.get(value, value)
        if name == "hazard":
            return self.hazards.get(value, value)
        if name == "region":
            return self.districts.get(value) or region_text(value)
        if name == "severity":
            return severity_text(value)
        if name in ("units", "victims"):
            return count_text(value, note)
        if name == "sense":
            return note.split("（依据")[0] or value
        return value

    def code(self, name: str, value: str) -> str:
        """The catalogue code behind a product's name (shown beside it: analysts file by it)."""
        return value if name == "product" and value in self.products else ""


def describe(span: Span, names: Names) -> str:
    return f"{field_label(span.field)}：{names.value(span.field, span.value, span.note)}"


# ---------------------------------------------------------------- HTML


def highlight(text: str, spans: Sequence[Span], names: Names | None = None) -> SafeString:
    """``text``, escaped, with every span a ``<mark>``: overlapping spans are split at their
    boundaries, the innermost decides the colour, the tooltip lists every field covering the
    piece. Line breaks are kept as text (the container has ``white-space: pre-wrap``)."""
    names = names or Names()
    out: list[str] = []
    for piece in segment(text, spans):
        if not piece.spans:
            out.append(format_html("{}", piece.text))
            continue
        tip = "；".join(dict.fromkeys(describe(s, names) for s in piece.spans))
        css = field_class(piece.spans[0].field)
        if len({s.field for s in piece.spans}) > 1:
            css += " ev-nested"  # inside another field's span: the tooltip names them all
        out.append(format_html('<mark class="ev {}" title="{}">{}</mark>', css, tip, piece.text))
    return mark_safe("".join(out))  # every part went through format_html


def snippet(text: str, span: Span, context: int = SNIPPET_CONTEXT) -> SafeString:
    """A few characters either side of ``span``, the span marked; line breaks become spaces."""
    lo, hi = max(0, span.start - context), min(len(text), span.end + context)

    def flat(s: str) -> str:
        return s.replace("\n", " ")

    return format_html(
        '{}{}<mark class="ev {}">{}</mark>{}{}',
        "…" if lo > 0 else "",
        flat(text[lo : span.start]),
        field_class(span.field),
        flat(text[span.start : span.end]),
        flat(text[span.end : hi]),
        "…" if hi < len(text) else "",
    )


# ---------------------------------------------------------------- the fields table


@dataclass
class FieldRow:
    """One value of one field, with where the text says it."""

    name: str
    label: str
    value: str
    code: str = ""
    notes: list[str] = field(default_factory=list)
    snippets: list[SafeString] = field(default_factory=list)
    more: int = 0  # further mentions not shown as snippets
    chosen: bool = False  # the value screening took for the item (its category, hazard …)

    @property
    def css(self) -> str:
        return field_class(self.name)

    @property
    def undecided(self) -> bool:
        return self.name == "ambiguous"


# Notes that only repeat what the value already says.
_QUIET_NOTES = {"region", "units", "victims", "severity", "enterprise"}


def field_rows(
    text: str,
    spans: Sequence[Span],
    names: Names | None = None,
    *,
    ranking: Mapping[str, Sequence[str]] | None = None,
    chosen: Mapping[str, str] | None = None,
) -> list[FieldRow]:
    """One row per (field, value), fields in ``FIELD_LABELS`` order; within a field in the
    order of ``ranking[field]`` (screening's own ranking, most specific product first) and
    then of first mention. ``chosen[field]`` is the value the item was filed under."""
    names = names or Names()
    ranking = ranking or {}
    chosen = chosen or {}
    groups: dict[tuple[str, str], list[Span]] = {}
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        groups.setdefault((span.field, span.value), []).append(span)

    def order(key: tuple[str, str]) -> tuple[int, int, int]:
        name, value = key
        ranked = list(ranking.get(name) or ())
        rank = ranked.index(value) if value in ranked else len(ranked)
        return (FIELD_ORDER.get(name, len(FIELD_ORDER)), rank, groups[key][0].start)

    rows: list[FieldRow] = []
    for key in sorted(groups, key=order):
        name, value = key
        found = groups[key]
        notes: list[str] = []
        if name not in _QUIET_NOTES:
            said = {"", FIELD_LABELS.get(name, "")}  # a note that is the label says nothing
            for s in found:
                if s.note not in said and s.note != text[s.start : s.end]:
                    said.add(s.note)
                    notes.append(s.note)
        rows.append(
            FieldRow(
                name=name,
                label=field_label(name),
                value=names.value(name, value, found[0].note),
                code=names.code(name, value),
                notes=notes,
                snippets=[snippet(text, s) for s in found[:SNIPPETS_PER_VALUE]],
                more=max(0, len(found) - SNIPPETS_PER_VALUE),
                chosen=bool(chosen.get(name)) and chosen.get(name) == value,
            )
        )
    return rows


def legend(spans: Iterable[Span]) -> list[tuple[str, str]]:
    """(css class, label) of the fields present, in table order: the colour key."""
    present = {s.field if s.field in FIELD_LABELS else OTHER_FIELD for s in spans}
    keys = sorted(present, key=lambda f: FIELD_ORDER.get(f, len(FIELD_ORDER)))
    return [(field_class(f), FIELD_LABELS.get(f, "其他")) for f in keys]


# ---------------------------------------------------------------- one item


@dataclass
class ScreeningResult:
    """What the page shows of an item's screening."""

    error: str = ""  # the item could not be screened (``tags.error``)
    text_html: SafeString | None = None  # None: screened before evidence was kept
    legend: list[tuple[str, str]] = field(default_factory=list)
    rows: list[FieldRow] = field(default_factory=list)
    region: str = ""
    match_label: str = ""  # how the enterprise was matched against the register
    match_name: str = ""
    tag_rows: list[tuple[str, list[str]]] = field(default_factory=list)  # rows without evidence


def load_names(codes: Mapping[str, Iterable[str]]) -> Names:
    """Names of the catalogue, hazard and district codes in ``codes`` (one query each)."""

    def names(model: Any, wanted: Iterable[str]) -> dict[str, str]:
        wanted = {str(c) for c in wanted if c}
        if not wanted:
            return {}
        return dict(model.objects.filter(code__in=wanted).values_list("code", "name"))

    return Names(
        products=names(ProductCategory, codes.get("product", ())),
        hazards=names(HazardType, codes.get("hazard", ())),
        districts=names(District, codes.get("region", ())),
    )


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def screening_result(info: RiskInfo) -> ScreeningResult:
    """The screening of a ``RiskInfo``: its text marked, its fields with their evidence, or,
    for an item screened before evidence was kept, its tags as names."""
    tags: Mapping[str, Any] = info.tags if isinstance(info.tags, Mapping) else {}
    text = info.screened_text or ""
    spans = spans_of(text, info.evidence) if text else []
    codes: dict[str, set[str]] = {"product": set(), "hazard": set(), "region": set()}
    for s in spans:
        if s.field in codes:
            codes[s.field].add(s.value)
    codes["product"].update(_list(tags.get("products")))
    codes["hazard"].update(_list(tags.get("hazards")))
    codes["region"].update(_list(tags.get("districts")))
    names = load_names(codes)
    result = ScreeningResult(error=str(tags.get("error") or ""))
    if text:
        chosen = {
            "product": info.product_category.code if info.product_category else "",
            "hazard": info.hazard.code if info.hazard else "",
            "brand": info.brand,
        }
        match = tags.get("enterprise_match")
        if isinstance(match, Mapping) and match.get("method") != "ambiguous":
            chosen["enterprise"] = str(match.get("name") or "")
        result.text_html = highlight(text, spans, names)
        result.legend = legend(spans)
        result.rows = field_rows(
            text,
            spans,
            names,
            ranking={"product": _list(tags.get("products")), "hazard": _list(tags.get("hazards"))},
            chosen=chosen,
        )
    region = tags.get("region")
    if isinstance(region, Mapping):
        result.region = region_text(region)
    match = tags.get("enterprise_match")
    if isinstance(match, Mapping):
        method = str(match.get("method") or "")
        result.match_label = MATCH_METHOD_LABELS.get(method, method)
        result.match_name = str(match.get("name") or "")
    if not text and not result.error:
        result.tag_rows = [
            (label, values)
            for label, values in (
                ("产品类别", [names.products.get(c, c) for c in _list(tags.get("products"))]),
                ("危害", [names.hazards.get(c, c) for c in _list(tags.get("hazards"))]),
                ("行政区", [names.districts.get(c, c) for c in _list(tags.get("districts"))]),
                ("命中词", _list(tags.get("terms"))),
            )
            if values
        ]
    return result
