"""The official document (公文) of a warning in each of its modes, as .docx and PDF.

风险通报 (``InternalNotice``) goes to the district bureaus that must act, 风险警示
(``IndustryWarning``) to the operators and associations concerned, 风险提示
(``ConsumerAdvisory``) to 广大消费者 in plain words. The words come from Django templates the
bureau can edit (``warnings/documents/{notice,industry,consumer}.txt``; the PDF's layout from
``warnings/documents/document.html``): a copy under ``<PQRISK_VAR_DIR>/templates/`` overrides
the shipped one, see docs/warnings.md "预警文书".

A text template starts with header lines ``标题：…``, ``主送：…`` (and optionally
``落款：…``), then a blank line, then the body: every non-blank line is a paragraph, and a
line starting with 一、二、… is a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone

from pqrisk.core.levels import Scope, WarningLevel, WarningMode
from pqrisk.documents import docx as wd
from pqrisk.documents.pdf import html_to_pdf

from .models import DocumentYear, Warning

DEFAULT_ISSUER = "上海市市场监督管理局"
DEFAULT_NUMBER_PREFIX = "沪市监产质"

TEMPLATES = {
    WarningMode.INTERNAL_NOTICE: "warnings/documents/notice.txt",
    WarningMode.INDUSTRY_WARNING: "warnings/documents/industry.txt",
    WarningMode.CONSUMER_ADVISORY: "warnings/documents/consumer.txt",
}
HTML_TEMPLATE = "warnings/documents/document.html"
HEADER_KEYS = {"标题": "title", "主送": "recipients", "落款": "signature"}
HEADING = re.compile(r"^[一二三四五六七八九十]+、")
# The drafted warning text (services.advisory_text) speaks to operators in a line of its own;
# the consumer advisory leaves that line out.
OPERATOR_LINE = "提示生产经营者"
MAX_IDENTIFIERS = 5


class DocumentError(ValueError):
    """A document that cannot be made; the message says why to the user."""


@dataclass(frozen=True)
class DocumentContent:
    """What one warning document says, before layout (发文机关, 文号, 标题, 主送, 正文, 落款,
    成文日期)."""

    mode: WarningMode
    issuer: str
    number: str
    title: str
    recipients: str
    body: tuple[str, ...]
    signature: str
    date: str
    # Product photos (file paths and captions) shown after the body of a consumer advisory.
    photos: tuple[tuple[str, str], ...] = ()

    def is_heading(self, paragraph: str) -> bool:
        return bool(HEADING.match(paragraph))

    @property
    def blocks(self) -> list[tuple[str, str]]:
        """``(kind, text)`` for the body: kind is "heading" or "para"."""
        return [("heading" if self.is_heading(p) else "para", p) for p in self.body]

    def filename(self, extension: str) -> str:
        return f"{self.number}{self.title}.{extension}"


def issuer() -> str:
    return str(getattr(settings, "PQRISK_DOCUMENT_ISSUER", DEFAULT_ISSUER))


def chinese_date(day: date) -> str:
    """成文日期 as GB/T 9704-2012 §7.3.5.3 writes it: Arabic numerals, the year in full,
    month and day without leading zeros ("2026年11月27日")."""
    return f"{day.year}年{day.month}月{day.day}日"


def document_date(warning: Warning) -> date:
    """The 成文日期: the day the warning was approved (签发), or today for a draft."""
    if warning.approved_at:
        return timezone.localdate(warning.approved_at)
    return timezone.localdate()


def _modes(warning: Warning) -> list[WarningMode]:
    return [m for m in WarningMode if m.value in (warning.modes or [])]


def document_number(warning: Warning, mode: WarningMode) -> str:
    """The 发文字号, e.g. 沪市监产质〔2026〕12号: one number per document and year.

    Fixed at approval (``assign_document_numbers``, stored on the warning) and read from
    there. Before approval it is derived: the year's warnings in order (approved ones by
    approval time, then drafts by creation), each taking one number for each of its modes —
    a draft's number is provisional until it is approved.
    """
    stored = (warning.document_numbers or {}).get(mode.value)
    if stored:
        return str(stored)
    return _derived_number(warning, mode)


def assign_document_numbers(warning: Warning) -> dict[str, str]:
    """Fix the 文号 of each of the warning's modes that has none yet (at approval, and for a
    mode an update adds), under a lock on the year so concurrent approvals never share one."""
    year = document_date(warning).year
    DocumentYear.objects.get_or_create(year=year)
    DocumentYear.objects.select_for_update().get(year=year)
    numbers = dict(warning.document_numbers or {})
    taken = set(
        n
        for w in Warning.objects.exclude(pk=warning.pk).exclude(document_numbers={})
        for n in (w.document_numbers or {}).values()
    )
    for mode in _modes(warning):
        if mode.value in numbers:
            continue
        number = _derived_number(warning, mode)
        while number in taken:  # a deleted warning freed a number before this one: move on
            number = _next(number)
        numbers[mode.value] = number
        taken.add(number)
    warning.document_numbers = numbers
    Warning.objects.filter(pk=warning.pk).update(document_numbers=numbers)
    return numbers


def _next(number: str) -> str:
    head, _, tail = number.rpartition("〕")
    return f"{head}〕{int(tail.removesuffix('号')) + 1}号"


def _derived_number(warning: Warning, mode: WarningMode) -> str:
    prefix = str(getattr(settings, "PQRISK_DOCUMENT_NUMBER_PREFIX", DEFAULT_NUMBER_PREFIX))
    year = document_date(warning).year
    rows = list(
        Warning.objects.filter(
            Q(approved_at__year=year) | Q(approved_at__isnull=True, created_at__year=year)
        )
        .exclude(pk=warning.pk)
        .only("pk", "modes", "approved_at", "created_at")
    )
    rows.append(warning)
    rows.sort(key=lambda w: (w.approved_at is None, w.approved_at or w.created_at, w.pk))
    sequence = 0
    for w in rows:
        modes = _modes(w)
        if w.pk == warning.pk:
            sequence += modes.index(mode) + 1 if mode in modes else len(modes) + 1
            break
        sequence += len(modes)
    return f"{prefix}〔{year}〕{sequence}号"


def _unique(values: list[Any], limit: int = MAX_IDENTIFIERS) -> list[str]:
    return list(dict.fromkeys(str(v).strip() for v in values if v and str(v).strip()))[:limit]


SEPARATORS = re.compile(r"[、,，;；\n]+")


def _listed(text: str) -> list[str]:
    return _unique(SEPARATORS.split(text), limit=50)


def identification(warning: Warning) -> dict[str, list[str]]:
    """What identifies the products concerned: the brands, models and batches the bureau
    wrote on the warning, else as far as the evidence says; product names and enterprises
    from the evidence (each list empty when unknown)."""
    derived = _derived_identification(warning)
    for key, field in (("brands", "brands"), ("models", "product_models"), ("batches", "batches")):
        written = _listed(getattr(warning, field) or "")
        if written:
            derived[key] = written
    return derived


def _derived_identification(warning: Warning) -> dict[str, list[str]]:
    infos = list(warning.risk_infos.select_related("product", "enterprise", "raw_item"))
    tags = [i.tags if isinstance(i.tags, dict) else {} for i in infos]
    return {
        "products": _unique([i.product.name if i.product else i.product_name for i in infos]),
        "brands": _unique(
            [i.brand for i in infos]
            + [i.product.brand for i in infos if i.product]
            + [b for t in tags for b in t.get("brands") or []]
        ),
        "models": _unique(
            [i.product.model for i in infos if i.product]
            + [
                i.raw_item.payload.get("model")
                for i in infos
                if isinstance(i.raw_item.payload, dict)
            ]
            + [m for t in tags for m in t.get("models") or []]
        ),
        "batches": _unique([b for t in tags for b in t.get("batches") or []]),
        "enterprises": _unique(
            [i.enterprise.name if i.enterprise else i.enterprise_name for i in infos]
        ),
    }


def identification_text(ident: dict[str, list[str]]) -> str:
    """ "产品名称：…；品牌：…；型号：…；批次：…", or "" when nothing is known."""
    parts = [
        f"{label}：{'、'.join(ident[key])}"
        for key, label in (
            ("products", "产品名称"),
            ("brands", "品牌"),
            ("models", "型号规格"),
            ("batches", "生产日期/批号"),
        )
        if ident[key]
    ]
    return "；".join(parts)


def _districts(warning: Warning) -> list[str]:
    names = [warning.district.name] if warning.district else []
    names += [t.district.name for t in warning.tasks.select_related("district")]
    names += [i.district.name for i in warning.risk_infos.select_related("district") if i.district]
    return _unique(names, limit=17)


def default_recipients(warning: Warning, mode: WarningMode, ident: dict[str, list[str]]) -> str:
    """主送: the district bureaus that must act (notice), the operators and associations
    concerned (industry warning), 广大消费者 (consumer advisory)."""
    product = warning.product_category.name if warning.product_category else "相关产品"
    if mode == WarningMode.INTERNAL_NOTICE:
        districts = _districts(warning)
        if warning.scope == Scope.CITY.value or not districts:
            return "各区市场监督管理局，市局各相关处室"
        return "、".join(f"{d}市场监督管理局" for d in districts)
    if mode == WarningMode.INDUSTRY_WARNING:
        named = "、".join(ident["enterprises"])
        others = f"本市{product}相关生产经营企业、有关行业协会"
        return f"{named}，{others}" if named else others
    return "广大消费者"


def _subject(warning: Warning) -> str:
    """The subject of "关于……的风险通报": the warning's title without its final 风险."""
    title = warning.title.strip()
    return title[: -len("风险")] if title.endswith("风险") and len(title) > 2 else title


def document_context(warning: Warning, mode: WarningMode, number: str) -> dict[str, Any]:
    """What the text templates may use."""
    ident = identification(warning)
    lines = [line.strip() for line in (warning.body or "").splitlines() if line.strip()]
    category = warning.product_category
    return {
        "warning": warning,
        "mode": mode,
        "level": WarningLevel(warning.level),
        "scope": Scope(warning.scope),
        "issuer": issuer(),
        "number": number,
        "date": chinese_date(document_date(warning)),
        "subject": _subject(warning),
        "product": category.name if category else (ident["products"] or ["相关产品"])[0],
        "hazard": warning.hazard.name if warning.hazard else "质量安全",
        "where": warning.district.name if warning.district else "本市",
        "ccc": bool(category and category.ccc),
        "recipients": default_recipients(warning, mode, ident),
        "body_lines": lines,
        "consumer_lines": [line for line in lines if not line.startswith(OPERATOR_LINE)],
        "reasons": [str(r) for r in warning.reasons or []],
        "identification": ident,
        "identification_text": identification_text(ident),
        "advice_lines": [
            line.strip() for line in (warning.advice or "").splitlines() if line.strip()
        ],
        "photo_count": warning.photos.count(),
    }


def _parse(text: str, template: str) -> tuple[dict[str, str], tuple[str, ...]]:
    lines = text.splitlines()
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    header: dict[str, str] = {}
    while i < len(lines) and lines[i].strip():
        key, sep, value = lines[i].strip().partition("：")
        if not sep or key not in HEADER_KEYS:
            raise DocumentError(
                f"文书模板 {template} 的开头应为“标题：…”“主送：…”“落款：…”各一行，"
                f"然后空一行再写正文；这一行不符合：{lines[i].strip()}"
            )
        header[HEADER_KEYS[key]] = value.strip()
        i += 1
    if not header.get("title"):
        raise DocumentError(f"文书模板 {template} 缺少“标题：…”一行")
    return header, tuple(line.strip() for line in lines[i:] if line.strip())


def warning_document(
    warning: Warning, mode: WarningMode | str, *, number: int | str | None = None
) -> DocumentContent:
    """The document of ``warning`` in ``mode``. ``number`` overrides the derived 文号: a full
    文号 (str) or the sequence number within the year (int)."""
    mode = WarningMode(mode)
    if mode.value not in (warning.modes or []):
        raise DocumentError(f"该预警未采用{mode.label}方式，不能生成{mode.label}文书")
    if isinstance(number, int):
        prefix = str(getattr(settings, "PQRISK_DOCUMENT_NUMBER_PREFIX", DEFAULT_NUMBER_PREFIX))
        number = f"{prefix}〔{document_date(warning).year}〕{number}号"
    doc_number = number or document_number(warning, mode)
    context = document_context(warning, mode, doc_number)
    template_name = TEMPLATES[mode]
    # Plain text, not HTML: no escaping (the PDF's HTML template escapes when it lays it out).
    django_engine: Any = engines["django"]
    text = django_engine.engine.get_template(template_name).render(
        Context(context, autoescape=False)
    )
    header, body = _parse(text, template_name)
    return DocumentContent(
        mode=mode,
        issuer=context["issuer"],
        number=doc_number,
        title=header["title"],
        recipients=header.get("recipients", ""),
        body=body,
        signature=header.get("signature") or context["issuer"],
        date=context["date"],
        photos=_photos(warning) if mode == WarningMode.CONSUMER_ADVISORY else (),
    )


def _photos(warning: Warning) -> tuple[tuple[str, str], ...]:
    """The warning's product photos whose files exist, as (path, caption)."""
    found = []
    for photo in warning.photos.all():
        try:
            path = photo.image.path
        except (ValueError, NotImplementedError):
            continue
        if Path(path).is_file():
            found.append((path, photo.caption))
    return tuple(found)


def render_docx(content: DocumentContent) -> bytes:
    """The document as .docx: red 发文机关标志, 文号, red separator line, 标题, 主送, 正文,
    落款 and 成文日期 (GB/T 9704-2012 layout)."""
    doc = wd.a4_document()
    wd.add_text(
        doc, content.issuer, font=wd.TITLE_FONT, size=wd.SIZE_ISSUER, colour=wd.RED, align=wd.CENTER
    )
    wd.add_text(doc, content.number, align=wd.CENTER)
    wd.add_red_rule(doc)
    wd.add_text(doc, "")
    wd.add_text(doc, content.title, font=wd.TITLE_FONT, size=wd.SIZE_ER, align=wd.CENTER)
    wd.add_text(doc, "")
    if content.recipients:
        wd.add_text(doc, f"{content.recipients}：")
    for kind, text in content.blocks:
        wd.add_text(
            doc, text, font=wd.HEADING_FONT if kind == "heading" else wd.BODY_FONT, indent=True
        )
    for path, caption in content.photos:
        wd.add_picture(doc, path, caption)
    wd.add_text(doc, "")
    wd.add_text(doc, content.signature, align=wd.RIGHT)
    wd.add_text(doc, content.date, align=wd.RIGHT)
    return wd.to_bytes(doc)


def render_pdf(content: DocumentContent) -> bytes:
    """The document as PDF (A4, CJK fonts) from the editable HTML template."""
    photos = [(Path(path).as_uri(), caption) for path, caption in content.photos]
    return html_to_pdf(render_to_string(HTML_TEMPLATE, {"doc": content, "photos": photos}))
