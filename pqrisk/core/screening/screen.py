"""Screening (信息初筛) as one chain: check, clean, de-duplicate, score relevance, extract,
cluster — for many items at a time, with no database.

``Screener.screen`` takes items (mappings with ``id``, ``text`` and optionally ``title``,
``source``, ``published_at``, ``url``) and yields one result per item, in order. An item that
cannot be screened (no id, no text, a text too long, binary content, nothing but emoji)
yields a result with ``error`` set, in Chinese, and the run goes on: nothing is dropped.

The steps and who owns them:

- cleaning: ``pqrisk.core.text.normalize.clean_text`` (width, 繁→简, HTML, URLs, boilerplate);
- duplicates: ``NearDupIndex`` (exact fingerprint, then MinHash + LSH); ``duplicate_of`` is
  the first-seen item. Only free-text sources are matched by similarity (media, complaints,
  station reports, items of unknown source); templated records (licences, penalties …) are
  near-identical by construction, so for them only the exact fingerprint counts;
- relevance: a ``RelevanceScorer`` (a trained classifier) when given; without one, an item
  is relevant when it names a product and a hazard, and its score says how much it names;
- extraction: ``Extractor`` (products, hazards, enterprises, brands, models, batches, region,
  dates, severity, counts), every value with its evidence span in the cleaned text;
- events: ``EventClusterer``; a duplicate joins its original's event.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from pqrisk.core.screening.events import EventClusterer, EventItem
from pqrisk.core.screening.extract import Extraction, Extractor, default_extractor
from pqrisk.core.screening.neardup import Match, NearDupIndex
from pqrisk.core.text.normalize import clean_text
from pqrisk.sources.readers import has_bad_bytes

# Our limits: a news article or complaint is far below them; above them it is not one item.
MAX_TEXT_CHARS = 100_000
MAX_ID_CHARS = 200
CHUNK = 500
# Ids remembered for duplicates to join their original's event and for "one id, one text":
# the most recent ones, so a Screener on an endless stream stays bounded (about 30 MB).
RECENT_IDS = 200_000
# Sources whose texts people write freely; the others come from forms and templates.
NEAR_DUP_SOURCES = frozenset({"", "media", "complaint", "station", "news"})
NO_WORDS = "没有可识别的文字（只有表情或符号）"
_ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ue000-\uf8ff]")


class RelevanceScorer(Protocol):
    """A trained relevance model: a score in [0, 1] per cleaned text and its threshold."""

    threshold: float

    def scores(self, texts: Sequence[str]) -> Sequence[float]: ...


@dataclass(frozen=True)
class ScreenError(Exception):
    """An item that cannot be screened; ``message_zh`` is what the output says."""

    message_zh: str


@dataclass
class _Item:
    position: int
    item_id: str
    source: str
    title: str
    text: str
    published: datetime | None
    url: str
    doc: str = ""  # cleaned title + "\n" + cleaned text, what dedup and relevance read


def _clean_id(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ScreenError("缺少编号（id）")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ScreenError("编号（id）应为文本或整数")
    text = str(value).strip()
    if len(text) > MAX_ID_CHARS:
        raise ScreenError(f"编号（id）超过{MAX_ID_CHARS}个字符")
    return text


def _text_field(obj: Mapping[str, Any], key: str, name_zh: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScreenError(f"{name_zh}（{key}）应为文本")
    if len(value) > MAX_TEXT_CHARS:
        raise ScreenError(f"{name_zh}过长（{len(value):,} 个字符，上限 {MAX_TEXT_CHARS:,}）")
    if has_bad_bytes(value):
        raise ScreenError(f"{name_zh}含有无法解码的字节（文件编码有误）")
    return value


def _published(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ScreenError("发布时间（published_at）应为 ISO 日期文本，如 2026-03-05T08:30:00")
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(value.strip()[:10]), datetime.min.time())
        except ValueError:
            raise ScreenError(f"发布时间无法识别：{value[:40]}") from None


def _looks_binary(text: str) -> bool:
    """Mostly control, private-use or replacement characters: not text."""
    sample = text[:2000]
    return len(_ODD.findall(sample)) * 10 > len(sample)  # our line: more than a tenth


def _has_words(doc: str) -> bool:
    """Any letter or digit (Chinese included): emoji and punctuation alone say nothing."""
    return any(ch.isalnum() for ch in doc)


class _Recent(OrderedDict[str, Any]):
    """A mapping that forgets its oldest keys beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: str, value: Any) -> Any:
        """The value already kept for ``key``, else ``value`` (now kept)."""
        kept = self.get(key)
        if kept is not None:
            return kept
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)
        return value


class Screener:
    """Screens items in chunks; holds the dedup index and the open events between calls.

    ``cluster=False`` leaves events to the caller (``event_id`` is None): the Django side
    clusters on the fields it resolves against the register (catalogue code given by a
    record, matched enterprise), which the text alone does not know.
    """

    def __init__(
        self,
        *,
        extractor: Extractor | None = None,
        index: NearDupIndex | None = None,
        clusterer: EventClusterer | None = None,
        relevance: RelevanceScorer | None = None,
        reference_date: date | None = None,
        cluster: bool = True,
    ) -> None:
        self.extractor = extractor or default_extractor()
        self.index = index if index is not None else NearDupIndex()
        self.clusterer = clusterer or EventClusterer()
        self.cluster = cluster
        self.relevance = relevance
        self.reference_date = reference_date
        self._event_of = _Recent(RECENT_IDS)  # item id -> event id, for duplicates to join
        self._doc_of = _Recent(RECENT_IDS)  # item id -> hash of its cleaned text

    def screen(self, items: Iterable[Mapping[str, Any] | Exception]) -> Iterator[dict[str, Any]]:
        """One result per item, in order; an ``Exception`` in the input (a line that could
        not be read) becomes a result with its message as the error."""
        chunk: list[Mapping[str, Any] | Exception] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == CHUNK:
                yield from self._screen_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._screen_chunk(chunk)

    def _screen_chunk(self, raw: list[Mapping[str, Any] | Exception]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{} for _ in raw]
        good: list[_Item] = []
        for position, obj in enumerate(raw):
            try:
                good.append(self._check(position, obj))
            except ScreenError as exc:
                out[position] = _error(obj, exc.message_zh)
        near: list[_Item] = []
        for item in good:
            title = clean_text(item.title) if item.title else ""
            text = clean_text(item.text) if item.text else ""
            item.doc = f"{title}\n{text}" if title else text
            item.title, item.text = title, text
            if not _has_words(item.doc):
                out[item.position] = _error(raw[item.position], NO_WORDS)
                continue
            digest = hash(item.doc)
            if self._doc_of.remember(item.item_id, digest) != digest:
                out[item.position] = _error(raw[item.position], "同一编号（id）对应了不同的内容")
                continue
            near.append(item)
        matches = self._duplicates(near)
        scores = self._scores(near)
        for item in near:
            extraction = self.extractor.extract(
                item.text,
                item.title or None,
                reference_date=(item.published.date() if item.published else None)
                or self.reference_date,
                cleaned=True,
            )
            match = matches.get(item.item_id)
            score = scores.get(item.item_id)
            out[item.position] = self._result(item, extraction, match, score)
        return out

    def _check(self, position: int, obj: Mapping[str, Any] | Exception) -> _Item:
        if isinstance(obj, Exception):
            raise ScreenError(getattr(obj, "message_zh", None) or f"无法读取：{obj}")
        if not isinstance(obj, Mapping):
            raise ScreenError("每行应为一个JSON对象")
        item_id = _clean_id(obj.get("id"))
        title = _text_field(obj, "title", "标题")
        text = _text_field(obj, "text", "正文")
        if not text.strip() and not title.strip():
            raise ScreenError("正文（text）为空")
        if _looks_binary(title + text):
            raise ScreenError("内容疑似二进制数据，不是文字")
        source = obj.get("source") or ""
        if not isinstance(source, str):
            raise ScreenError("来源（source）应为文本")
        url = obj.get("url") or ""
        return _Item(
            position,
            item_id,
            source.strip(),
            title,
            text,
            _published(obj.get("published_at")),
            url if isinstance(url, str) else "",
        )

    def _duplicates(self, items: list[_Item]) -> dict[str, Match]:
        free = [(i.item_id, i.doc) for i in items if i.source in NEAR_DUP_SOURCES]
        found: dict[str, Match] = {}
        for (item_id, _), match in zip(
            free, self.index.check_and_add_many(free, cleaned=True), strict=True
        ):
            if match is not None:
                found[item_id] = match
        templated = [(i.item_id, i.doc) for i in items if i.source not in NEAR_DUP_SOURCES]
        for item_id, doc in templated:
            exact = self.index.query(doc, cleaned=True)
            if exact is not None and exact.exact:
                found[item_id] = exact
        return found

    def _scores(self, items: list[_Item]) -> dict[str, float]:
        if self.relevance is None or not items:
            return {}
        values = self.relevance.scores([i.doc for i in items])
        return {i.item_id: float(v) for i, v in zip(items, values, strict=True)}

    def _result(
        self, item: _Item, found: Extraction, match: Match | None, score: float | None
    ) -> dict[str, Any]:
        if score is None:  # no model: naming a product and a hazard is what counts
            score = 0.5 * bool(found.products) + 0.5 * bool(found.hazards)
            relevant = score >= 1.0
        else:
            relevant = score >= self.relevance.threshold if self.relevance else False
        event_id = self._event(item, found, match)
        region = found.region
        return {
            "id": item.item_id,
            "duplicate_of": match.duplicate_of if match else None,
            "similarity": round(match.similarity, 3) if match else None,
            "event_id": event_id,
            "relevant": relevant,
            "relevance_score": round(score, 4),
            "category": found.products[0] if found.products else None,
            "categories": list(found.products),
            "hazards": list(found.hazards),
            "enterprises": list(found.enterprises),
            "brands": list(found.brands),
            "models": list(found.models),
            "batches": list(found.batches),
            "region": (
                {
                    "province": region.province,
                    "city": region.city,
                    "district": region.district,
                    "code": region.code,
                }
                if region
                else None
            ),
            "dates": [d.isoformat() for d in found.dates],
            "severity_hint": found.severity_hint,
            "units": found.units,
            "victims": found.victims,
            "ambiguous": [e.text for e in found.ambiguous],
            "text": found.text,
            "evidence": [e.to_dict() for e in found.evidence],
            "error": None,
        }

    def _event(self, item: _Item, found: Extraction, match: Match | None) -> str | None:
        if not self.cluster:
            return None
        when = item.published or datetime.combine(
            self.reference_date or date.today(), datetime.min.time()
        )
        if when.tzinfo is not None:
            when = when.replace(tzinfo=None)
        event_item = EventItem(
            item_id=item.item_id,
            when=when,
            product=found.products[0] if found.products else None,
            hazard=found.hazards[0] if found.hazards else None,
            enterprise=found.enterprises[0] if found.enterprises else None,
            place=found.region.code if found.region and found.region.code else None,
            source=item.source,
            enterprises=found.enterprises[1:],
            brands=found.brands,
            models=found.models,
        )
        if match is not None:
            original = self._event_of.get(match.duplicate_of)
            if original is not None and self.clusterer.join(original, event_item):
                self._event_of.remember(item.item_id, original)
                return original
        assignment = self.clusterer.assign(event_item)
        if assignment is None:
            return None
        self._event_of.remember(item.item_id, assignment.event_id)
        return assignment.event_id


def _error(obj: Any, message: str) -> dict[str, Any]:
    item_id = obj.get("id") if isinstance(obj, Mapping) else None
    if not isinstance(item_id, str | int) or isinstance(item_id, bool):
        item_id = None
    return {"id": item_id, "error": message}
