"""Foreign-alert fixtures: a few local firms with products, barcodes and aliases, the
sample exports, and risk information as screening makes it for a foreign raw item."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises.models import Enterprise, Product, ProductBarcode
from pqrisk.foreign.matching import brand_key, name_key
from pqrisk.foreign.models import EnterpriseAlias
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import District
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo
from tests.http_support import serving

DATA = Path(__file__).resolve().parent / "data"
SG_CSV = DATA / "safety_gate_alerts.csv"
SG_JSON = DATA / "safety_gate_alerts.json"
PUDONG, JIADING = "310115", "310114"
_seq = itertools.count(1)


def ent(name: str, district: str = PUDONG) -> Enterprise:
    n = next(_seq)
    return Enterprise.objects.create(
        uscc=complete_uscc(f"91{district}MA1F{n:04d}X"),
        name=name,
        district=District.objects.get(code=district),
    )


def reference_info(item: RawItem) -> RiskInfo:
    """The risk information screening makes of a foreign raw item: 境外参考, no firm."""
    p = item.payload
    return RiskInfo.objects.create(
        raw_item=item,
        source_kind=item.source_kind,
        status=RiskInfoStatus.REFERENCE,
        title=(p.get("title") or "")[:300],
        text=p.get("text") or "",
        content_hash=item.payload_hash,
    )


@pytest.fixture
def firms(db: Any) -> dict[str, Any]:
    """Pudong: 上海乐兔玩具 (makes the Happy Bunny rabbit, barcode 6901234567892) and
    上海动力电器 (the PowerGo charger PG-U2); Jiading: 上海星光儿童用品 (brand Starlet, an
    English-name alias)."""
    toys = ent("上海乐兔玩具有限公司")
    power = ent("上海动力电器有限公司")
    starlet = ent("上海星光儿童用品有限公司", JIADING)
    rabbit = Product.objects.create(
        name="毛绒兔", enterprise=toys, brand="Happy Bunny", model="HB-2024"
    )
    ProductBarcode.objects.create(product=rabbit, gtin="6901234567892")
    charger = Product.objects.create(name="USB充电器", enterprise=power, brand="", model="PG-U2")
    EnterpriseAlias.objects.create(
        enterprise=starlet, alias="Starlet", key=brand_key("Starlet"), kind="brand", source="测试"
    )
    EnterpriseAlias.objects.create(
        enterprise=starlet,
        alias="Shanghai Xingguang Children Products Co., Ltd.",
        key=name_key("Shanghai Xingguang Children Products Co., Ltd."),
        kind="english_name",
        source="测试",
    )
    return {
        "toys": toys,
        "power": power,
        "starlet": starlet,
        "rabbit": rabbit,
        "charger": charger,
    }


# ------------------------------------------------------------------ a local export server
@dataclass
class Export:
    body: bytes = b""
    status: int = 200
    etag: str = ""  # answered with 304 when the client sends it back


@dataclass
class ExportServer:
    base: str = ""
    routes: dict[str, Export] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, If-None-Match)

    def serve(self, path: str, export: Export) -> str:
        self.routes[path] = export
        return self.base + path


def _handler(server: ExportServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = self.headers.get("If-None-Match", "")
            server.seen.append((self.path, sent))
            export = server.routes.get(self.path, Export(b"not found", 404))
            if export.etag and sent == export.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(export.status)
            if export.etag:
                self.send_header("ETag", export.etag)
            self.send_header("Content-Length", str(len(export.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(export.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def export_server() -> Iterator[ExportServer]:
    """An HTTP server on 127.0.0.1 in a thread: tests never reach the internet."""
    server = ExportServer()
    with serving(_handler(server)) as base:
        server.base = base
        yield server
