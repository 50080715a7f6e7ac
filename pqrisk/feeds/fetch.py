"""Fetch a feed over HTTP(S): conditional GET, time and size limits, errors in Chinese.

Nothing here knows about subscriptions or the database: it takes a URL and the validators of
the last response and returns bytes, "not modified", or a FetchFailed a person can act on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .models import FEED_SCHEMES

# A feed is a few hundred kilobytes at most; ten megabytes is already a mistake or an attack.
MAX_FEED_BYTES = 10 * 1024 * 1024
CONNECT_TIMEOUT = 10.0  # seconds
READ_TIMEOUT = 30.0  # seconds between two reads
# Per-read timeouts do not bound a server that trickles bytes; the whole fetch is bounded too.
TOTAL_TIMEOUT = 120.0
MAX_REDIRECTS = 5
USER_AGENT = "pqrisk/0.1 (Shanghai AMR risk early warning; feed polling)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class FetchFailed(Exception):
    """The feed could not be fetched; ``message_zh`` says why in words a person can act on."""

    def __init__(self, message_zh: str, detail: str = "") -> None:
        super().__init__(detail or message_zh)
        self.message_zh = message_zh
        self.detail = detail


@dataclass(frozen=True)
class Fetched:
    """A response: ``body`` is None when the server answered 304 Not Modified."""

    body: bytes | None
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.body is None


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in FEED_SCHEMES:
        raise FetchFailed(
            f"订阅地址只能是 http 或 https 网址，不支持“{scheme or '无协议'}”",
            f"unsupported scheme {scheme!r}",
        )


def fetch_feed(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int | None = None,
) -> Fetched:
    """GET ``url``, sending ``etag`` / ``last_modified`` back so that an unchanged feed costs a
    304; stop reading beyond ``max_bytes`` (default MAX_FEED_BYTES). Raises FetchFailed."""
    check_scheme(url)
    limit = MAX_FEED_BYTES if max_bytes is None else max_bytes
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    host = urlsplit(url).hostname or url
    try:
        with (
            httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
            ) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            # A redirect may lead anywhere httpx can go, which is http(s) only; checked anyway.
            check_scheme(str(response.url))
            if response.status_code == httpx.codes.NOT_MODIFIED:
                return Fetched(None, etag, last_modified)
            if response.status_code >= 400:
                raise FetchFailed(
                    f"订阅源返回错误状态 {response.status_code}"
                    f"（{_status_zh(response.status_code)}），请核实订阅地址或稍后再试",
                    f"HTTP {response.status_code} from {response.url}",
                )
            if response.status_code != httpx.codes.OK:
                raise FetchFailed(
                    f"订阅源返回意外的状态 {response.status_code}，未能取得内容",
                    f"HTTP {response.status_code} from {response.url}",
                )
            body = _read_limited(response, limit)
            return Fetched(
                body,
                response.headers.get("ETag", "")[:300],
                response.headers.get("Last-Modified", "")[:100],
            )
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"连接订阅源 {host} 超时，请稍后再试", repr(exc)) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchFailed(f"订阅源重定向超过{MAX_REDIRECTS}次，请核实订阅地址", repr(exc)) from exc
    except httpx.ConnectError as exc:
        raise FetchFailed(
            f"无法连接订阅源 {host}（地址不存在或拒绝连接），请核实订阅地址", repr(exc)
        ) from exc
    except httpx.HTTPError as exc:
        raise FetchFailed(f"从订阅源 {host} 读取失败：网络或协议错误", repr(exc)) from exc


def _read_limited(response: httpx.Response, limit: int) -> bytes:
    mib = limit / (1024 * 1024)
    too_large = FetchFailed(
        f"订阅源内容超过 {mib:g} MB 上限，已停止下载；请核实这是否是订阅源地址",
        f"body larger than {limit} bytes",
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    deadline = time.monotonic() + TOTAL_TIMEOUT
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # decompressed: a gzip bomb is held to the limit too
        size += len(chunk)
        if size > limit:
            raise too_large
        if time.monotonic() > deadline:
            raise FetchFailed(
                f"下载订阅源超过{TOTAL_TIMEOUT:g}秒仍未完成，已停止", "total timeout exceeded"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _status_zh(status: int) -> str:
    return {
        401: "需要登录",
        403: "拒绝访问",
        404: "地址不存在",
        410: "订阅源已下线",
        429: "访问过于频繁",
    }.get(status, "服务器错误" if status >= 500 else "请求被拒绝")
