"""网络舆情 from RSS 2.0 and Atom feeds: entries become canonical ``media`` records.

Feeds are parsed from bytes the caller already has (a saved file, a fetched body); nothing
here touches the network. feedparser honours the encoding the feed declares (UTF-8, GBK,
GB18030, …). JSONL and CSV dumps of media posts need no code: they go through the common
readers with the headers in docs/sources.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser

from pqrisk.core.text.normalize import strip_html

from .readers import Entry, decode_bytes
from .records import MAX_EXTERNAL_ID, RecordRejected

SHANGHAI = ZoneInfo("Asia/Shanghai")
# How much of a payload that is not a feed the quarantine keeps (an HTML error page, say).
QUARANTINE_BYTES = 100_000


def parse_feed(data: bytes, feed_url: str) -> list[dict[str, Any]]:
    """The feed's entries as media records (not yet validated); ``feed_url`` names the feed
    and is the base for relative links. Raises RecordRejected if ``data`` is not a feed."""
    # response_headers only give feedparser a base URI; it never fetches when given bytes.
    parsed = feedparser.parse(data, response_headers={"content-location": feed_url})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        why = parsed.get("bozo_exception")
        raise RecordRejected(
            "malformed",
            f"无法解析为RSS或Atom订阅源：{feed_url}",
            f"not an RSS/Atom feed: {feed_url}: {why}",
        )
    site = _clean(parsed.feed.get("title", "")) or urlsplit(feed_url).hostname or feed_url
    return [_record(entry, site, feed_url) for entry in parsed.entries]


def feed_entries(data: bytes, feed_url: str, location: str) -> list[Entry]:
    """The feed as entries for ingest: one per item, or, if ``data`` is not a feed, a single
    rejected entry holding the start of the payload so that the quarantine keeps it."""
    try:
        records = parse_feed(data, feed_url)
    except RecordRejected as exc:
        return [Entry(location, _readable(data[:QUARANTINE_BYTES]), exc)]
    return [
        Entry(f"{location}#{i}", json.dumps(r, ensure_ascii=False), r)
        for i, r in enumerate(records, start=1)
    ]


def _readable(data: bytes) -> str:
    """Text in whatever encoding it is in (an error page in GBK stays legible); bytes that
    fit none are shown as \\xNN rather than dropped."""
    try:
        return decode_bytes(data)
    except RecordRejected:
        return data.decode("utf-8", "backslashreplace")


def _record(entry: Any, site: str, feed_url: str) -> dict[str, Any]:
    url = entry.get("link", "")
    title = _clean(entry.get("title", ""))
    body = entry.get("content") or []
    text = _clean(body[0].get("value", "") if body else entry.get("summary", ""))
    published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
    return {
        "source": "media",
        "external_id": _external_id(entry.get("id", ""), url, title),
        "occurred_at": published,
        "title": title,
        "text": text,
        "details": {
            "url": url,
            "site": site,
            "author": _clean(entry.get("author", "")),
            "published_at": published,
            "feed_url": feed_url,
        },
    }


def _clean(html: str) -> str:
    """Text without markup, whitespace collapsed; screening normalises further."""
    return " ".join(strip_html(html or "").split())


def _external_id(entry_id: str, url: str, title: str) -> str:
    """The entry's own id when short enough, else a stable hash of its link (or title)."""
    entry_id = entry_id.strip()
    if entry_id and len(entry_id) <= MAX_EXTERNAL_ID:
        return entry_id
    basis = entry_id or url or title
    return "media-" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def _iso(parsed: time.struct_time | None) -> str | None:
    # feedparser gives dates as UTC struct_time; we store Shanghai time with its offset.
    if parsed is None:
        return None
    return datetime(*parsed[:6], tzinfo=UTC).astimezone(SHANGHAI).isoformat()
