"""Feeds are polled on their interval: new items are stored once, a feed that fails is told
in Chinese on its subscription, and nothing a feed sent is lost."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.feeds import fetch, services
from pqrisk.feeds.models import FeedSubscription
from pqrisk.feeds.services import (
    INTERNAL_ERROR_ZH,
    add_subscription,
    due_subscriptions,
    poll_due_feeds,
    poll_feed,
    poll_subscriptions,
)
from pqrisk.intake.models import IngestBatch, QuarantinedItem, RawItem

from .conftest import SAMPLES, FeedServer, Reply

pytestmark = pytest.mark.django_db


def subscribe(url: str, name: str = "新民网", **kw: object) -> FeedSubscription:
    return add_subscription(name=name, url=url, **kw)  # type: ignore[arg-type]


def failures(action: str = "feed_failed") -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_items_become_media_raw_items_and_a_second_poll_stores_nothing(
    feed_server: FeedServer,
) -> None:
    sub = subscribe(feed_server.serve_sample("/rss.xml", "feed_rss.xml"))
    first = poll_feed(sub)
    assert (first.status, first.accepted, first.quarantined) == ("ok", 3, 0)
    items = RawItem.objects.filter(source_kind="media")
    assert items.count() == 3
    assert {i.payload["details"]["feed_url"] for i in items} == {sub.url}
    assert items.first().batch.source_label == "舆情订阅：新民网"  # type: ignore[union-attr]

    again = poll_feed(sub)  # same bytes, and this server sends no validators
    assert (again.status, again.accepted, again.changed) == ("ok", 0, False)
    assert again.summary_zh == "新民网：无更新"
    assert RawItem.objects.count() == 3
    sub.refresh_from_db()
    assert (sub.items_seen, sub.items_new, sub.consecutive_failures) == (3, 3, 0)
    assert sub.last_status == "ok" and sub.last_polled_at is not None


def test_a_feed_that_changed_stores_only_its_new_items(feed_server: FeedServer) -> None:
    body = (SAMPLES / "feed_rss.xml").read_bytes()
    sub = subscribe(feed_server.serve("/rss.xml", Reply(body)))
    poll_feed(sub)
    feed_server.serve("/rss.xml", Reply(body + b"\n<!-- republished -->\n"))
    changed = poll_feed(sub)
    assert (changed.accepted, changed.duplicates, changed.changed) == (0, 3, True)
    assert RawItem.objects.count() == 3
    assert IngestBatch.objects.count() == 2


def test_a_gbk_feed_is_read_in_its_declared_encoding(feed_server: FeedServer) -> None:
    sub = subscribe(feed_server.serve_sample("/gbk.xml", "feed_gbk.xml"), name="东方网")
    assert poll_feed(sub).accepted == 3
    titles = {i.payload["title"] for i in RawItem.objects.all()}
    assert any(t.startswith("闵行一居民家中电热水壶漏电") for t in titles)
    assert {i.payload["details"]["site"] for i in RawItem.objects.all()} == {"东方网"}


def test_an_unchanged_feed_answers_304_and_nothing_is_parsed(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = subscribe(feed_server.serve_sample("/etag.xml", "feed_rss.xml", etag='"v1"'))
    poll_feed(sub)
    sub.refresh_from_db()
    assert sub.etag == '"v1"'

    def must_not_parse(*args: object) -> None:
        raise AssertionError("a 304 needs no parsing")

    monkeypatch.setattr(services, "feed_entries", must_not_parse)
    result = poll_feed(sub)
    assert (result.status, result.accepted, result.changed) == ("ok", 0, False)
    assert feed_server.seen[-1] == ("/etag.xml", '"v1"')
    assert RawItem.objects.count() == 3 and IngestBatch.objects.count() == 1


def test_a_server_error_is_recorded_in_chinese_and_audited_once_while_it_lasts(
    feed_server: FeedServer,
) -> None:
    sub = subscribe(feed_server.serve("/down.xml", Reply(b"oops", 500, content_type="text/plain")))
    result = poll_feed(sub)
    assert result.failed and "500" in result.message_zh and "服务器错误" in result.message_zh
    sub.refresh_from_db()
    assert sub.last_status == "error" and "订阅源返回错误状态 500" in sub.last_error
    assert sub.consecutive_failures == 1
    assert failures() == 1
    assert not IngestBatch.objects.exists(), "no payload, nothing to quarantine"

    poll_feed(sub)
    sub.refresh_from_db()
    assert sub.consecutive_failures == 2
    assert failures() == 1, "the same failure again is counted, not audited again"

    feed_server.serve_sample("/down.xml", "feed_rss.xml")
    assert poll_feed(sub).accepted == 3
    sub.refresh_from_db()
    assert (sub.last_status, sub.last_error, sub.consecutive_failures) == ("ok", "", 0)
    assert failures("feed_recovered") == 1


def test_a_malformed_feed_is_kept_in_quarantine_once(feed_server: FeedServer) -> None:
    page = "<html><body>系统维护中，请稍后访问</body></html>".encode()
    sub = subscribe(feed_server.serve("/junk.xml", Reply(page, content_type="text/html")))
    result = poll_feed(sub)
    assert result.failed and result.quarantined == 1
    assert "无法解析为RSS或Atom订阅源" in result.message_zh
    held = QuarantinedItem.objects.get()
    assert held.reason == "malformed" and held.location == sub.url
    assert "系统维护中" in held.content
    assert held.batch is not None and held.batch.source_label == "舆情订阅：新民网"
    sub.refresh_from_db()
    assert sub.last_status == "error" and sub.last_batch == held.batch
    event = AuditEvent.objects.get(action="feed_failed")
    assert event.object_id == str(sub.pk) and "无法解析" in event.message

    # The same page again: still a failure, but the quarantine already holds it.
    assert poll_feed(sub).failed
    sub.refresh_from_db()
    assert sub.consecutive_failures == 2 and QuarantinedItem.objects.count() == 1


def test_an_oversize_feed_is_refused(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_FEED_BYTES", 64 * 1024)
    big = b"<rss>" + b"x" * (200 * 1024) + b"</rss>"
    declared = subscribe(feed_server.serve("/big.xml", Reply(big)), name="声明长度")
    streamed = subscribe(
        feed_server.serve("/stream.xml", Reply(big, declare_length=False)), name="不声明长度"
    )
    for sub in (declared, streamed):
        result = poll_feed(sub)
        assert result.failed and "超过 0.0625 MB 上限" in result.message_zh, result.message_zh
    assert not IngestBatch.objects.exists()


def test_timeouts_and_refused_connections_are_failures_not_crashes(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "READ_TIMEOUT", 0.2)
    slow = subscribe(feed_server.serve("/slow.xml", Reply(b"<rss/>", delay=1.0)), name="慢")
    assert "超时" in poll_feed(slow).message_zh
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    gone = subscribe(f"http://127.0.0.1:{closed_port}/rss.xml", name="关闭")
    assert "无法连接订阅源 127.0.0.1" in poll_feed(gone).message_zh


@pytest.mark.parametrize(
    "url", ["ftp://feeds.example.cn/rss.xml", "file:///etc/passwd", "gopher://x/", "rss.xml"]
)
def test_only_http_and_https_can_be_subscribed(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        subscribe(url)
    assert "http:// 或 https://" in " ".join(info.value.messages)
    assert not FeedSubscription.objects.exists()


def test_a_scheme_changed_behind_the_validators_back_is_still_refused() -> None:
    sub = subscribe("https://feeds.example.cn/rss.xml")
    FeedSubscription.objects.filter(pk=sub.pk).update(url="file:///etc/passwd")
    sub.refresh_from_db()
    result = poll_feed(sub)
    assert result.failed and "只能是 http 或 https" in result.message_zh


def test_subscriptions_are_for_the_city(alice: User, bob: User) -> None:
    with pytest.raises(PermissionDenied):
        add_subscription(name="区里的源", url="https://feeds.example.cn/a.xml", user=bob)
    sub = add_subscription(name="市局的源", url="https://feeds.example.cn/b.xml", user=alice)
    assert sub.created_by == alice
    assert AuditEvent.objects.get(action="add_feed").actor == alice


def test_a_feed_is_due_when_its_interval_has_elapsed() -> None:
    now = timezone.now()
    fresh = subscribe("https://a.example.cn/rss", name="刚采集", interval_minutes=30)
    due = subscribe("https://b.example.cn/rss", name="已到期", interval_minutes=30)
    subscribe("https://c.example.cn/rss", name="从未采集")
    off = subscribe("https://d.example.cn/rss", name="已停用")
    FeedSubscription.objects.filter(pk=fresh.pk).update(last_polled_at=now - timedelta(minutes=29))
    FeedSubscription.objects.filter(pk=due.pk).update(last_polled_at=now - timedelta(minutes=30))
    FeedSubscription.objects.filter(pk=off.pk).update(active=False)
    assert [s.name for s in due_subscriptions(now)] == ["从未采集", "已到期"]
    assert [s.name for s in due_subscriptions(now, everything=True)] == [
        "从未采集",
        "刚采集",
        "已到期",
    ]


def test_polling_due_feeds_skips_the_fresh_and_survives_a_broken_one(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rss = subscribe(feed_server.serve_sample("/rss.xml", "feed_rss.xml"), name="A 新民网")
    gbk = subscribe(feed_server.serve_sample("/gbk.xml", "feed_gbk.xml"), name="B 东方网")
    results = poll_due_feeds()
    assert [(r.feed, r.accepted) for r in results] == [("A 新民网", 3), ("B 东方网", 3)]
    assert poll_due_feeds() == [], "both were just polled"

    real = services.feed_entries

    def flaky(data: bytes, feed_url: str, location: str) -> object:
        if feed_url == rss.url:
            raise RuntimeError("bug")
        return real(data, feed_url, location)

    monkeypatch.setattr(services, "feed_entries", flaky)
    feed_server.serve("/rss.xml", Reply((SAMPLES / "feed_rss.xml").read_bytes() + b" "))
    feed_server.serve("/gbk.xml", Reply((SAMPLES / "feed_gbk.xml").read_bytes() + b" "))
    rss.refresh_from_db()
    gbk.refresh_from_db()
    broken, fine = poll_subscriptions([rss, gbk])
    assert broken.failed and broken.message_zh == INTERNAL_ERROR_ZH
    assert fine.status == "ok" and fine.duplicates == 3
    rss.refresh_from_db()
    assert rss.last_error == INTERNAL_ERROR_ZH
    # The failed poll did not remember the content: next time it is ingested for real.
    monkeypatch.setattr(services, "feed_entries", real)
    assert poll_subscriptions([rss])[0].duplicates == 3


def test_a_feed_another_worker_has_started_is_skipped(feed_server: FeedServer) -> None:
    sub = subscribe(feed_server.serve_sample("/rss.xml", "feed_rss.xml"))
    stale_copy = FeedSubscription.objects.get(pk=sub.pk)
    FeedSubscription.objects.filter(pk=sub.pk).update(last_polled_at=timezone.now())
    assert poll_subscriptions([stale_copy]) == []
    assert not feed_server.seen


def test_the_beat_task_polls_due_feeds_on_the_ingest_queue(feed_server: FeedServer) -> None:
    from django.conf import settings

    from pqrisk.celery import app

    name = "pqrisk.feeds.tasks.poll_feeds"
    assert name in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    app.loader.import_default_modules()
    assert app.amqp.router.route({}, name)["queue"].name == "ingest"
    subscribe(feed_server.serve_sample("/rss.xml", "feed_rss.xml"))
    subscribe(feed_server.serve("/down.xml", Reply(b"", 503)), name="故障源")
    task = app.tasks[name]
    assert task.delay().get() == {"polled": 2, "failed": 1, "accepted": 3}
    assert task.delay().get() == {"polled": 0, "failed": 0, "accepted": 0}
