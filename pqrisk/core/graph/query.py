"""Queries that show part of the graph: a node's neighbourhood, a district's view, search."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .model import (
    DOSSIER_TYPES,
    RECORD_TYPES,
    EdgeType,
    EnterpriseRole,
    KnowledgeGraph,
    NodeType,
    Ref,
)

MAX_DEPTH = 3  # beyond three steps everything is related to everything
DEFAULT_NODE_LIMIT = 200
MAX_NODE_LIMIT = 1000
PROVENANCE_SHOWN = 20  # per edge in a response; the total is given beside


# A district's view reaches one step further from these, along these relations only.
REGISTER_REACH_TYPES = frozenset({NodeType.ENTERPRISE, NodeType.BRAND, NodeType.PRODUCT})
REACH_EDGES = frozenset(
    e.value
    for e in (
        EdgeType.MAKES,
        EdgeType.SELLS,
        EdgeType.SOLD_ON,
        EdgeType.SUPPLIES,
        EdgeType.BRAND_OF,
        EdgeType.MODEL_OF,
    )
)


class UnknownNode(LookupError):
    """The node is not in the graph (or not in what the user may see)."""

    def __init__(self, node: str) -> None:
        super().__init__(node)
        self.node = node
        self.message_zh = f"知识图谱中没有节点“{node}”，或您无权查看。请检查节点编号。"


class BadQuery(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass
class Neighbourhood:
    center: str
    depth: int
    depth_requested: int
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    reached: int = 0  # nodes within the depth, including those left out when truncated

    def as_dict(self) -> dict[str, Any]:
        return {
            "center": self.center,
            "depth": self.depth,
            "depth_requested": self.depth_requested,
            "depth_capped": self.depth < self.depth_requested,
            "truncated": self.truncated,
            "reached": self.reached,
            "nodes": self.nodes,
            "edges": self.edges,
        }


def node_view(kg: KnowledgeGraph, node: str, distance: int | None = None) -> dict[str, Any]:
    data = kg.g.nodes[node]
    kind = NodeType(data["type"])
    out: dict[str, Any] = {
        "id": node,
        "type": kind.value,
        "type_label": kind.label,
        "label": data.get("label", node),
        "colour": kind.colour,
        "degree": kg.g.degree(node),
    }
    if distance is not None:
        out["distance"] = distance  # steps from the centre of a neighbourhood
    for key in ("district", "date", "source_kind", "status", "roles", "code", "uscc"):
        value = data.get(key)
        if value not in (None, "", []):
            out[key] = value
    if data.get("level"):  # a warning's colour, a risk item's assessed level
        out["warning_level" if kind is NodeType.WARNING else "risk_level"] = data["level"]
    if "roles" in out:
        out["role_labels"] = [EnterpriseRole(r).label for r in out["roles"]]
    return out


def edge_view(u: str, v: str, data: dict[str, Any]) -> dict[str, Any]:
    kind = EdgeType(data["type"])
    refs: list[Ref] = list(data["provenance"])
    return {
        "source": u,
        "target": v,
        "type": kind.value,
        "label": kind.label,
        "count": data["count"],
        "weight": round(float(data["weight"]), 3),
        "provenance": [r.label for r in refs[:PROVENANCE_SHOWN]],
        "provenance_total": len(refs),
    }


def clamp_depth(depth: object) -> tuple[int, int]:
    """(depth used, depth asked): depth must be a whole number ≥ 1; above 3 it is capped."""
    try:
        asked = int(str(depth))
    except (TypeError, ValueError):
        raise BadQuery(f"深度（depth）须为1至{MAX_DEPTH}的整数，收到“{depth}”。") from None
    if asked < 1:
        raise BadQuery(f"深度（depth）须为1至{MAX_DEPTH}的整数，收到“{depth}”。")
    return min(asked, MAX_DEPTH), asked


def neighbourhood(
    kg: KnowledgeGraph, center: str, depth: int = 1, limit: int = DEFAULT_NODE_LIMIT
) -> Neighbourhood:
    """Nodes within ``depth`` steps of ``center`` (either direction) and the edges among them.

    Breadth first; within a step the strongest links (highest count) come first, so that a
    truncated answer keeps what matters. More than ``limit`` nodes: the rest are left out and
    ``truncated`` is set; ``reached`` says how many there were.
    """
    if center not in kg:
        raise UnknownNode(center)
    used, asked = clamp_depth(depth)
    limit = max(1, min(int(limit), MAX_NODE_LIMIT))
    g = kg.g
    levels: dict[str, int] = {center: 0}
    frontier = [center]
    for step in range(1, used + 1):
        strength: dict[str, int] = {}
        for node in frontier:
            for _, nbr, d in g.out_edges(node, data=True):
                if nbr not in levels:
                    strength[nbr] = strength.get(nbr, 0) + d["count"]
            for nbr, _, d in g.in_edges(node, data=True):
                if nbr not in levels:
                    strength[nbr] = strength.get(nbr, 0) + d["count"]
        frontier = sorted(strength, key=lambda n: (-strength[n], n))
        for node in frontier:
            levels[node] = step
    ordered = sorted(levels, key=lambda n: levels[n])  # stable: strength order within a step
    kept = ordered[:limit]
    result = Neighbourhood(center, used, asked, truncated=len(ordered) > limit)
    result.reached = len(ordered)
    keep = set(kept)
    result.nodes = [node_view(kg, n, levels[n]) for n in kept]
    for n in kept:
        for _, v, d in g.out_edges(n, data=True):
            if v in keep:
                result.edges.append(edge_view(n, v, d))
    return result


def search(kg: KnowledgeGraph, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Nodes whose label or id contains ``text`` (entities before records, then by degree)."""
    needle = text.strip().casefold()
    if not needle:
        return []
    found = [
        n
        for n, d in kg.g.nodes(data=True)
        if needle in str(d.get("label", "")).casefold() or needle == n.casefold()
    ]
    records = RECORD_TYPES | DOSSIER_TYPES

    def rank(n: str) -> tuple[int, int, str]:
        return (kg.kind(n) in records, -kg.g.degree(n), n)

    return [node_view(kg, n) for n in sorted(found, key=rank)[:limit]]


def scope_to_district(kg: KnowledgeGraph, district: str) -> KnowledgeGraph:
    """What a district officer may see: the graph reachable through the district's records.

    Kept: the district's records and dossiers (risk items, samples, events, warnings, cases
    whose district is this one), the dossiers their items belong to, every entity they name,
    and the firms, brands and products one register link away from the firms, brands and
    products named (the other brands of a named maker) — not what a category, a hazard or a
    district reaches, which would be every firm of the city. An edge is
    kept when both ends are and at least one of its references is readable in the district
    (the register, or a record of this district); its count and weight are recomputed from
    those references alone, so nothing of another district's records shows through.
    """
    g = kg.g
    seeds = {
        n
        for n, d in g.nodes(data=True)
        if NodeType(d["type"]) in RECORD_TYPES | DOSSIER_TYPES and d.get("district") == district
    }
    keep = set(seeds)
    # Dossiers of the district's items (a city warning resting on a Pudong complaint).
    for n in list(seeds):
        if NodeType(g.nodes[n]["type"]) in RECORD_TYPES:
            keep.update(_visible_neighbours(kg, n, district, DOSSIER_TYPES))
    entities: set[str] = set()
    for n in list(keep):
        entities.update(
            m
            for m in _visible_neighbours(kg, n, district, None)
            if NodeType(g.nodes[m]["type"]) not in RECORD_TYPES | DOSSIER_TYPES
        )
    keep |= entities
    district_node = f"{NodeType.DISTRICT.value}:{district}"
    if district_node in g:
        keep.add(district_node)
    # One register link further from the firms, brands and products named (a named maker's
    # other brands), never from a hub: a category would reach every firm registered for it.
    for n in list(entities):
        if NodeType(g.nodes[n]["type"]) in REGISTER_REACH_TYPES:
            keep.update(_visible_neighbours(kg, n, district, REGISTER_REACH_TYPES, REACH_EDGES))
    return _restricted(kg, keep, district)


def _visible_neighbours(
    kg: KnowledgeGraph,
    node: str,
    district: str,
    types: Iterable[NodeType] | None,
    edges: frozenset[str] | None = None,
) -> set[str]:
    wanted = {t.value for t in types} if types is not None else None
    out: set[str] = set()
    g = kg.g
    for _, v, k, d in g.out_edges(node, keys=True, data=True):
        if (
            (wanted is None or g.nodes[v]["type"] in wanted)
            and (edges is None or k in edges)
            and _any_visible(d, district)
        ):
            out.add(v)
    for u, _, k, d in g.in_edges(node, keys=True, data=True):
        if (
            (wanted is None or g.nodes[u]["type"] in wanted)
            and (edges is None or k in edges)
            and _any_visible(d, district)
        ):
            out.add(u)
    return out


def _any_visible(data: dict[str, Any], district: str) -> bool:
    return any(r.visible_in(district) for r in data["provenance"])


def _restricted(kg: KnowledgeGraph, keep: set[str], district: str) -> KnowledgeGraph:
    out = KnowledgeGraph()
    g = kg.g
    for n in keep:
        attrs = dict(g.nodes[n])
        if "roles" in attrs:
            attrs["roles"] = list(attrs["roles"])
        out.g.add_node(n, **attrs)
    for u, v, k, d in g.edges(keys=True, data=True):
        if u not in keep or v not in keep:
            continue
        prov = {r: w for r, w in d["provenance"].items() if r.visible_in(district)}
        if prov:
            out.g.add_edge(
                u, v, key=k, type=k, provenance=prov, count=len(prov), weight=sum(prov.values())
            )
    return out
