"""A feed server on 127.0.0.1 (no internet in tests): each path answers what a test sets."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.http_support import serving

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "media"


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    etag: str = ""  # answered with 304 when the client sends it back in If-None-Match
    content_type: str = "application/rss+xml"
    declare_length: bool = True  # False: no Content-Length, the body ends when the socket does
    delay: float = 0.0


@dataclass
class FeedServer:
    base: str = ""
    routes: dict[str, Reply] = field(default_factory=dict)
    # (path, If-None-Match) of every request, to check what the poller sent
    seen: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, reply: Reply) -> str:
        self.routes[path] = reply
        return self.url(path)

    def serve_sample(self, path: str, sample: str, **kw: object) -> str:
        return self.serve(path, Reply((SAMPLES / sample).read_bytes(), **kw))  # type: ignore[arg-type]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent_etag = self.headers.get("If-None-Match", "")
            server.seen.append((self.path, sent_etag))
            reply = server.routes.get(
                self.path, Reply(b"not found", 404, content_type="text/plain")
            )
            if reply.delay:
                time.sleep(reply.delay)
            if reply.etag and sent_etag == reply.etag:
                self.send_response(304)
                self.send_header("ETag", reply.etag)
                self.end_headers()
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.etag:
                self.send_header("ETag", reply.etag)
            if reply.declare_length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            # The client may stop reading (an oversize body): that is the point, not an error.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    with serving(_handler(server)) as base:
        server.base = base
        yield server
