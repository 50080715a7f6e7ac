"""The product-risk knowledge graph (产品质量安全风险知识图谱): typed nodes, typed edges, and
for every edge the records that say so (provenance).

A node id is ``"<type>:<key>"`` (``enterprise:12``, ``brand:美的``, ``risk:4051``), so that an
id read in a URL or an export says what it names. Between two nodes there is at most one edge
of each type (the networkx key is the edge type); a second record saying the same thing adds
its reference to the edge's provenance and one to its count, it does not add a second edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

import networkx as nx


class _Labelled(StrEnum):
    """A str-valued enum whose members carry a Chinese label (and, for node types, a
    colour and a Neo4j label)."""

    label: str
    colour: str
    neo4j_label: str

    if TYPE_CHECKING:
        # Lookups by value (``NodeType("brand")``) are what callers write; the metadata
        # arguments are only used where the members are defined.
        def __new__(cls, value: str, *meta: Any) -> Self: ...

    else:

        def __new__(cls, value, label, colour="", neo4j_label=""):
            obj = str.__new__(cls, value)
            obj._value_ = value
            obj.label = label
            obj.colour = colour
            obj.neo4j_label = neo4j_label
            return obj


class NodeType(_Labelled):
    CATEGORY = ("category", "产品类别", "#5470c6", "ProductCategory")
    PRODUCT = ("product", "产品/型号", "#91cc75", "Product")
    BRAND = ("brand", "品牌", "#fac858", "Brand")
    ENTERPRISE = ("enterprise", "企业", "#ee6666", "Enterprise")
    HAZARD = ("hazard", "危害", "#9a60b4", "Hazard")
    STANDARD = ("standard", "标准", "#3ba272", "Standard")
    EVENT = ("event", "风险事件", "#fc8452", "Event")
    WARNING = ("warning", "风险预警", "#d32f2f", "Warning")
    DISTRICT = ("district", "行政区", "#73c0de", "District")
    RISK_ITEM = ("risk", "风险信息", "#8d99a6", "RiskItem")
    SAMPLE = ("sample", "抽检样品", "#5d7092", "Sample")
    CASE = ("case", "评估任务", "#1d4e89", "AssessmentCase")


# Records: what a person or a source reported. Everything else is an entity they name.
RECORD_TYPES = frozenset({NodeType.RISK_ITEM, NodeType.SAMPLE})
DOSSIER_TYPES = frozenset({NodeType.EVENT, NodeType.WARNING, NodeType.CASE})
# Nodes that thousands of records touch: walking through them relates everything to
# everything, so queries that explain a relation do not pass through them.
HUB_TYPES = frozenset({NodeType.CATEGORY, NodeType.HAZARD, NodeType.DISTRICT})


class EnterpriseRole(_Labelled):
    MANUFACTURER = ("manufacturer", "生产企业")
    SELLER = ("seller", "销售企业")
    PLATFORM = ("platform", "电商平台")
    SUPPLIER = ("supplier", "供应商")
    UNKNOWN = ("unknown", "企业")


class EdgeType(_Labelled):
    SUBCATEGORY_OF = ("subcategory_of", "属于上级类别")
    IN_CATEGORY = ("in_category", "属于类别")
    MAKES = ("makes", "生产")
    SELLS = ("sells", "销售")
    SOLD_ON = ("sold_on", "在平台销售")
    SUPPLIES = ("supplies", "供货给")
    BRAND_OF = ("brand_of", "品牌属于")
    MODEL_OF = ("model_of", "型号属于品牌")
    HAS_HAZARD = ("has_hazard", "存在危害")
    LOCATED_IN = ("located_in", "位于")
    REPORTED_IN = ("reported_in", "发生在")
    PART_OF_EVENT = ("part_of_event", "属于事件")
    WARNED_BY = ("warned_by", "纳入预警")
    FAILS_STANDARD = ("fails_standard", "不符合标准")
    INVOLVES = ("involves", "涉及")
    COVERS = ("covers", "纳入评估")

    @property
    def neo4j_type(self) -> str:
        return self.value.upper()


# A reference's ``district`` is who may read it: REGISTER for reference data every bureau
# user may see (the enterprise register, the catalogue), a district code for a record of
# that district, UNASSIGNED for a record no district owns yet (city-wide roles only).
REGISTER: str | None = None
UNASSIGNED = ""


@dataclass(frozen=True, slots=True)
class Ref:
    """One record that says an edge exists: ``RiskInfo #123``, ``Enterprise register``."""

    kind: str
    id: str = ""
    district: str | None = REGISTER

    @property
    def label(self) -> str:
        return f"{self.kind} #{self.id}" if self.id else self.kind

    def visible_in(self, district: str) -> bool:
        return self.district is REGISTER or self.district == district


_NODE_TYPES = {t._value_: t for t in NodeType}


def node_id(kind: NodeType, key: object) -> str:
    return f"{kind._value_}:{key}"


def node_type_of(node: str) -> NodeType:
    return NodeType(node.split(":", 1)[0])


class KnowledgeGraph:
    """A networkx MultiDiGraph with typed nodes and edges carrying provenance.

    Node attributes: ``type`` (NodeType value), ``label`` (what a person reads), and what the
    type carries (``district``, ``date`` as ISO text, ``source_kind``, ``roles``, ``parent``…).
    Edge attributes: ``type``, ``provenance`` (an insertion-ordered dict of Ref → weight),
    ``count`` (distinct records) and ``weight`` (their summed weights).
    """

    def __init__(self, graph: nx.MultiDiGraph | None = None) -> None:
        self.g: nx.MultiDiGraph = graph if graph is not None else nx.MultiDiGraph()
        # Indexes derived from the edges (queries build them once); cleared on any change.
        self.memo: dict[str, Any] = {}

    # ------------------------------------------------------------------ building

    def add_node(self, node: str, kind: NodeType, label: str, **attrs: Any) -> str:
        """Add a node or complete its attributes (first non-empty value wins)."""
        data = self.g.nodes.get(node)
        if data is None:
            clean = {k: v for k, v in attrs.items() if v not in (None, "")}
            self.g.add_node(node, type=kind.value, label=label or node, **clean)
            return node
        if not data.get("label") or data["label"] == node:
            data["label"] = label or node
        for key, value in attrs.items():
            if value not in (None, "") and data.get(key) in (None, ""):
                data[key] = value
        return node

    def add_role(self, node: str, role: EnterpriseRole) -> None:
        roles: list[str] = self.g.nodes[node].setdefault("roles", [])
        if role.value not in roles:
            roles.append(role.value)
            roles.sort()

    def add_edge(self, u: str, v: str, kind: EdgeType, ref: Ref, weight: float = 1.0) -> None:
        """Say ``u -kind-> v`` on the authority of ``ref``; both nodes must exist."""
        if u == v:
            return
        succ = self.g._succ  # the adjacency dicts: this runs ~10 times per record
        if u not in succ or v not in succ:
            raise KeyError(f"edge {u} -{kind._value_}-> {v}: unknown node")
        key = kind._value_
        data = succ[u].get(v, {}).get(key)
        if data is None:
            self.g.add_edge(
                u, v, key=key, type=key, provenance={ref: weight}, count=1, weight=weight
            )
            self.memo.clear()
            return
        prov: dict[Ref, float] = data["provenance"]
        if ref in prov:
            return
        prov[ref] = weight
        data["count"] += 1
        data["weight"] += weight
        self.memo.clear()

    # ------------------------------------------------------------------ reading

    def __contains__(self, node: object) -> bool:
        return node in self.g

    def __len__(self) -> int:
        return int(self.g.number_of_nodes())

    @property
    def edge_count(self) -> int:
        return int(self.g.number_of_edges())

    def node(self, node: str) -> dict[str, Any]:
        return dict(self.g.nodes[node])

    def kind(self, node: str) -> NodeType:
        return _NODE_TYPES[self.g._node[node]["type"]]

    def label(self, node: str) -> str:
        return str(self.g.nodes[node].get("label", node))

    def nodes_of(self, kind: NodeType) -> Iterator[str]:
        return (n for n, t in self.g.nodes(data="type") if t == kind.value)

    def out_edges(self, node: str, kind: EdgeType | None = None) -> Iterator[tuple[str, dict]]:
        for v, keyed in self.g._succ[node].items():
            for k, d in keyed.items():
                if kind is None or k == kind._value_:
                    yield v, d

    def in_edges(self, node: str, kind: EdgeType | None = None) -> Iterator[tuple[str, dict]]:
        for u, keyed in self.g._pred[node].items():
            for k, d in keyed.items():
                if kind is None or k == kind._value_:
                    yield u, d

    def targets(self, node: str, kind: EdgeType) -> list[str]:
        key = kind._value_
        return [v for v, keyed in self.g._succ[node].items() if key in keyed]

    def sources(self, node: str, kind: EdgeType) -> list[str]:
        key = kind._value_
        return [u for u, keyed in self.g._pred[node].items() if key in keyed]

    def neighbours(self, node: str) -> set[str]:
        return set(self.g.successors(node)) | set(self.g.predecessors(node))

    def edges_between(self, nodes: Iterable[str]) -> Iterator[tuple[str, str, str, dict]]:
        keep = set(nodes)
        for u, v, k, d in self.g.edges(keys=True, data=True):
            if u in keep and v in keep:
                yield u, v, k, d

    def stats(self) -> dict[str, Any]:
        nodes: dict[str, int] = {}
        for _, t in self.g.nodes(data="type"):
            nodes[t] = nodes.get(t, 0) + 1
        edges: dict[str, int] = {}
        for _, _, k in self.g.edges(keys=True):
            edges[k] = edges.get(k, 0) + 1
        return {
            "nodes": self.g.number_of_nodes(),
            "edges": self.g.number_of_edges(),
            "node_types": dict(sorted(nodes.items())),
            "edge_types": dict(sorted(edges.items())),
        }
