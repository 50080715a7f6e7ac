"""What the graph API and page do, for a user: each call takes the user's view of the graph
(``build.snapshot_for``) and one question, and returns plain data for JSON or a template."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from pqrisk.core.graph.correlate import (
    DEFAULT_WINDOW_DAYS,
    manufacturers_behind_brands,
    shared_suppliers,
    sibling_hazards,
    suggest,
)
from pqrisk.core.graph.model import NodeType
from pqrisk.core.graph.query import (
    DEFAULT_NODE_LIMIT,
    MAX_NODE_LIMIT,
    BadQuery,
    UnknownNode,
    clamp_depth,
    neighbourhood,
    node_view,
    search,
)

from .build import snapshot_for

MAX_WINDOW_DAYS = 3650
MAX_SUGGESTIONS = 100
PATTERN_ROWS = 20  # per pattern on the overview
# Focus types a "what else should we look at" question may start from.
FOCUS_TYPES = frozenset(
    {NodeType.CASE, NodeType.ENTERPRISE, NodeType.PRODUCT, NodeType.BRAND, NodeType.EVENT}
)


def parse_int(value: object, name: str, default: int, low: int, high: int) -> int:
    """A whole number in [low, high] or the default when not given; else a Chinese error."""
    if value in (None, ""):
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise BadQuery(f"参数{name}须为{low}至{high}的整数，收到“{value}”。") from None
    if not low <= number <= high:
        raise BadQuery(f"参数{name}须为{low}至{high}的整数，收到“{value}”。")
    return number


def parse_window(value: object) -> int:
    return parse_int(value, "window（天数）", DEFAULT_WINDOW_DAYS, 1, MAX_WINDOW_DAYS)


def neighbourhood_for(user: Any, node: str, depth: object = 1, limit: object = None) -> dict:
    """Nodes and edges within ``depth`` (≤ 3) steps of ``node`` in what ``user`` may see."""
    if not node:
        raise BadQuery("请提供节点编号（node），例如 enterprise:12。")
    used, _ = clamp_depth(depth if depth not in (None, "") else 1)
    cap = parse_int(limit, "limit（节点数上限）", DEFAULT_NODE_LIMIT, 1, MAX_NODE_LIMIT)
    snap = snapshot_for(user, require=node)
    result = neighbourhood(snap.graph, node, used, cap).as_dict()
    result["depth_requested"] = int(str(depth)) if depth not in (None, "") else 1
    result["depth_capped"] = result["depth_requested"] > used
    return result


def suggestions_for(user: Any, node: str, window: object = None, limit: object = None) -> dict:
    """ "What else should we look at" for a case, an enterprise, a product, a brand or an
    event, in what ``user`` may see."""
    days = parse_window(window)
    count = parse_int(limit, "limit（建议条数）", 20, 1, MAX_SUGGESTIONS)
    snap = snapshot_for(user, require=node)
    kg = snap.graph
    if node not in kg:
        raise UnknownNode(node)
    if kg.kind(node) not in FOCUS_TYPES:
        kinds = "、".join(t.label for t in sorted(FOCUS_TYPES, key=lambda t: t.value))
        raise BadQuery(
            f"只能为以下类型的节点给出关联建议：{kinds}；“{node}”是{kg.kind(node).label}。"
        )
    found = suggest(
        kg,
        [node],
        timezone.localdate(),
        window_days=days,
        limit=count,
        found_communities=snap.communities(),
    )
    return {
        "focus": node_view(kg, node),
        "window_days": days,
        "suggestions": [s.as_dict(kg) for s in found],
    }


def patterns_for(user: Any, window: object = None) -> dict:
    """The graph's related risks (makers behind several brands, sibling hazards, shared
    suppliers) and its communities, in what ``user`` may see."""
    days = parse_window(window)
    snap = snapshot_for(user)
    kg = snap.graph
    today = timezone.localdate()
    return {
        "window_days": days,
        "stats": kg.stats(),
        "same_manufacturer": [
            f.as_dict() for f in manufacturers_behind_brands(kg, today, days)[:PATTERN_ROWS]
        ],
        "sibling_hazard": [f.as_dict() for f in sibling_hazards(kg, today, days)[:PATTERN_ROWS]],
        "same_supplier": [f.as_dict() for f in shared_suppliers(kg, today, days)[:PATTERN_ROWS]],
        "communities": [c.as_dict() for c in snap.communities()[:PATTERN_ROWS]],
    }


def search_for(user: Any, text: str, limit: object = None) -> list[dict[str, Any]]:
    count = parse_int(limit, "limit（结果条数）", 20, 1, 100)
    if not text.strip():
        raise BadQuery("请输入要查找的名称或节点编号（q）。")
    return search(snapshot_for(user).graph, text, count)
