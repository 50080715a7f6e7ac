"""`pqrisk feeds add|list` and `pqrisk poll-feeds`: the same jobs as the beat, from the shell."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pqrisk.cli import main
from pqrisk.feeds.models import FeedSubscription
from pqrisk.intake.models import RawItem

from .conftest import FeedServer, Reply

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_add_list_and_poll(feed_server: FeedServer) -> None:
    url = feed_server.serve_sample("/rss.xml", "feed_rss.xml")
    code, out = run("feeds", "add", "新民网", url, "--interval", "15")
    assert code == 0, out
    assert "已添加订阅源 新民网" in out and "每 15 分钟" in out
    assert FeedSubscription.objects.get().interval_minutes == 15

    code, out = run("feeds", "list")
    assert code == 0 and "新民网\t尚未采集\t每15分钟\t最近采集 从未采集" in out

    code, out = run("poll-feeds")
    assert code == 0, out
    assert "新民网：新增 3 条" in out and "共采集 1 个订阅源，新增 3 条，失败 0 个" in out
    assert RawItem.objects.filter(source_kind="media").count() == 3

    code, out = run("poll-feeds")
    assert code == 0 and "没有到期的订阅源" in out
    code, out = run("poll-feeds", "--all")
    assert code == 0 and "新民网：无更新" in out
    assert RawItem.objects.count() == 3


def test_failures_show_in_the_list_and_the_exit_code(feed_server: FeedServer) -> None:
    url = feed_server.serve("/gone.xml", Reply(b"", 404))
    run("feeds", "add", "已下线的源", url)
    code, out = run("poll-feeds")
    assert code == 1
    assert "已下线的源：采集失败，订阅源返回错误状态 404（地址不存在）" in out
    code, out = run("feeds", "list")
    assert "失败" in out and "连续失败 1 次：订阅源返回错误状态 404" in out


@pytest.mark.parametrize("url", ["ftp://feeds.example.cn/rss.xml", "file:///etc/passwd"])
def test_add_refuses_other_schemes_in_chinese(url: str) -> None:
    code, out = run("feeds", "add", "某源", url)
    assert code == 1 and "订阅地址应为以 http:// 或 https:// 开头的网址" in out
    assert not FeedSubscription.objects.exists()


def test_add_refuses_a_short_interval_and_a_duplicate_name() -> None:
    code, out = run("feeds", "add", "某源", "https://feeds.example.cn/rss.xml", "--interval", "1")
    assert code == 2
    assert run("feeds", "add", "某源", "https://feeds.example.cn/rss.xml")[0] == 0
    code, out = run("feeds", "add", "某源", "https://feeds.example.cn/other.xml")
    assert code == 1 and "已存在" in out
