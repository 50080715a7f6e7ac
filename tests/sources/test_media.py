"""News feeds (RSS 2.0, Atom, GBK-encoded) become media records, without any network."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from pqrisk.intake.models import RawItem
from pqrisk.intake.services import ingest_objects
from pqrisk.sources.media import parse_feed
from pqrisk.sources.records import RecordRejected

FEEDS = Path(__file__).resolve().parents[2] / "samples" / "media"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the feed parser must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def parse(name: str) -> list[dict[str, Any]]:
    return parse_feed((FEEDS / name).read_bytes(), f"https://feeds.example.cn/{name}")


def test_rss_entries_become_media_records() -> None:
    first, second, third = parse("feed_rss.xml")
    assert first["source"] == "media"
    assert first["external_id"] == "xm-31201001"
    assert first["title"].startswith("闵行一居民家中电热水壶漏电")
    assert "<" not in first["text"] and "莘庄镇" in first["text"]
    assert first["occurred_at"] == "2026-11-20T09:30:00+08:00"
    assert first["details"] == {
        "url": "https://www.xinmin.cn/news/2026/11/20/31201001.html",
        "site": "新民网",
        "author": "记者 王敏",
        "published_at": "2026-11-20T09:30:00+08:00",
        "feed_url": "https://feeds.example.cn/feed_rss.xml",
    }
    assert "冒烟&发烫" in second["text"], "escaped HTML is unescaped, not dropped"
    # No guid: the id is a stable hash of the link.
    assert third["external_id"].startswith("media-")
    assert third["external_id"] == parse("feed_rss.xml")[2]["external_id"]


def test_atom_entries_become_media_records() -> None:
    first, second = parse("feed_atom.xml")
    assert first["external_id"] == "tag:thepaper.cn,2026:29876543"
    assert first["details"]["site"] == "澎湃新闻·上海"
    assert first["details"]["author"] == "澎湃新闻记者 周洁"
    assert first["occurred_at"] == "2026-11-24T15:20:00+08:00"
    assert "复旦大学附属儿科医院" in first["text"] and "<p>" not in first["text"]
    # No published date: the updated date; summary when there is no content.
    assert second["occurred_at"] == "2026-11-26T09:45:00+08:00"
    assert "熄火保护装置失灵" in second["text"]


def test_a_gbk_feed_is_read_by_its_declared_encoding() -> None:
    records = parse("feed_gbk.xml")
    assert len(records) == 3
    assert records[0]["details"]["site"] == "东方网"
    assert records[0]["title"].startswith("闵行一居民家中电热水壶漏电")


def test_something_that_is_not_a_feed_is_rejected() -> None:
    with pytest.raises(RecordRejected) as info:
        parse_feed("这不是订阅源".encode(), "https://feeds.example.cn/x")
    assert info.value.reason == "malformed"
    assert "RSS" in info.value.message_zh


@pytest.mark.django_db
def test_feed_records_are_ingested_once() -> None:
    records = parse("feed_rss.xml") + parse("feed_atom.xml") + parse("feed_gbk.xml")
    first = ingest_objects(records, source_label="订阅源", source="media")
    assert (first.accepted, first.quarantined) == (8, 0)
    again = ingest_objects(records, source_label="订阅源", source="media")
    assert (again.accepted, again.duplicates) == (0, 8)
    assert RawItem.objects.count() == 8
