"""Correlation analysis (关联分析) over the knowledge graph: related risks, communities, and
"what else should we look at" for a case, an enterprise or a product.

Every finding names the path that explains it, in the words an analyst would use
("同一生产企业XX还生产品牌YY的电热水壶，近90天有3条投诉"): a suggestion nobody can check is
not one a regulator may act on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import networkx as nx

from .model import (
    DOSSIER_TYPES,
    RECORD_TYPES,
    EdgeType,
    EnterpriseRole,
    KnowledgeGraph,
    NodeType,
)

DEFAULT_WINDOW_DAYS = 90
# What one record of each source is called in a sentence ("3条投诉、1个不合格样品").
SOURCE_NOUNS: dict[str, tuple[str, str]] = {
    "complaint": ("条", "投诉"),
    "injury": ("例", "伤害病例"),
    "spot_check": ("条", "抽查记录"),
    "media": ("条", "舆情"),
    "recall": ("条", "召回信息"),
    "penalty": ("条", "处罚记录"),
    "licensing": ("条", "许可记录"),
    "station": ("条", "监测站报送"),
    "foreign_recall": ("条", "境外召回通报"),
    "lab": ("个", "抽检样品"),
    "lab_failed": ("个", "不合格样品"),
}
# How much one pattern's evidence weighs against another's when suggestions are ranked: a
# maker's other brand is the classic lead (one factory, one design fault), a shared supplier
# or failed standard next, siblings and the wider category last (a hazard of the kind, not
# of the firm).
PATTERN_WEIGHTS = {
    "same_manufacturer": 3.0,
    "same_supplier": 2.5,
    "supplied_by_focus": 2.5,
    "same_standard": 2.0,
    "same_event": 2.0,
    "same_seller": 1.5,
    "same_platform": 1.0,
    "sibling_hazard": 1.0,
    "same_category_hazard": 0.8,
    "community": 0.6,
}
OLDER_RECORD_WEIGHT = 0.2  # a record before the window still counts, a fifth as much


# ---------------------------------------------------------------------- evidence


class Evidence:
    """The records (risk items, samples) behind entities, computed once per query."""

    def __init__(self, kg: KnowledgeGraph, today: date, window_days: int) -> None:
        self.kg = kg
        self.today = today
        self.window_days = window_days
        self.since = (today - timedelta(days=window_days)).isoformat()
        self._cache: dict[str, frozenset[str]] = {}

    def records(self, node: str) -> frozenset[str]:
        """Records naming the node, and for a brand or an enterprise those naming its
        products (the complaint names the model, the brand is what we look at)."""
        found = self._cache.get(node)
        if found is not None:
            return found
        kg, g = self.kg, self.kg.g
        kind = kg.kind(node)
        recs = {u for u in g.predecessors(node) if _is_record(g, u)}
        if kind is NodeType.BRAND:
            for product in kg.sources(node, EdgeType.MODEL_OF):
                recs.update(u for u in g.predecessors(product) if _is_record(g, u))
        elif kind is NodeType.ENTERPRISE:
            for edge in (EdgeType.MAKES, EdgeType.SELLS):
                for product in kg.targets(node, edge):
                    if kg.kind(product) is NodeType.PRODUCT:
                        recs.update(u for u in g.predecessors(product) if _is_record(g, u))
        found = frozenset(recs)
        self._cache[node] = found
        return found

    def recent(self, records: Iterable[str]) -> list[str]:
        g = self.kg.g
        return [r for r in records if (g.nodes[r].get("date") or "") >= self.since]

    def failing(self, records: Iterable[str]) -> list[str]:
        failed: set[str] | None = self.kg.memo.get("failing_records")
        if failed is None:
            kg = self.kg
            failed = {u for u, _ in kg.g.in_edges(kg.nodes_of(NodeType.STANDARD))}
            failed |= {n for n, f in kg.g.nodes(data="failed") if f}
            kg.memo["failing_records"] = failed
        return [r for r in records if r in failed]

    def score(self, records: Iterable[str]) -> float:
        recs = list(records)
        recent = len(self.recent(recs))
        return recent + OLDER_RECORD_WEIGHT * (len(recs) - recent)

    def phrase(self, records: Iterable[str]) -> str:
        """``3条投诉、1个抽检样品`` for the records in the window (most frequent first)."""
        g = self.kg.g
        counts = Counter(
            "lab_failed" if g.nodes[r].get("failed") else g.nodes[r].get("source_kind", "")
            for r in self.recent(records)
        )
        parts = []
        for source, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            unit, noun = SOURCE_NOUNS.get(source, ("条", "风险信息"))
            parts.append(f"{n}{unit}{noun}")
        return "、".join(parts)

    def window(self) -> str:
        return f"近{self.window_days}天"

    def by_category_hazard(self) -> dict[tuple[str, str], list[str]]:
        """Records by (category, hazard), kept with the graph until it changes."""
        index: dict[tuple[str, str], list[str]] | None = self.kg.memo.get("category_hazard")
        if index is None:
            built: dict[tuple[str, str], list[str]] = defaultdict(list)
            kg = self.kg
            for kind in RECORD_TYPES:
                for r in kg.nodes_of(kind):
                    cats = kg.targets(r, EdgeType.IN_CATEGORY)
                    for h in kg.targets(r, EdgeType.HAS_HAZARD):
                        for c in cats:
                            built[(c, h)].append(r)
            index = self.kg.memo["category_hazard"] = dict(built)
        return index

    def main_category(self, node: str) -> str | None:
        """The category most of the node's records (or products) are in."""
        kg = self.kg
        counts: Counter[str] = Counter()
        for r in self.records(node):
            counts.update(kg.targets(r, EdgeType.IN_CATEGORY))
        if not counts and kg.kind(node) is NodeType.BRAND:
            for p in kg.sources(node, EdgeType.MODEL_OF):
                counts.update(kg.targets(p, EdgeType.IN_CATEGORY))
        if not counts and kg.kind(node) is NodeType.PRODUCT:
            counts.update(kg.targets(node, EdgeType.IN_CATEGORY))
        return counts.most_common(1)[0][0] if counts else None


_RECORD_VALUES = frozenset(t.value for t in RECORD_TYPES)


def _is_record(g: nx.MultiDiGraph, node: str) -> bool:
    return g._node[node]["type"] in _RECORD_VALUES


def brands_of(kg: KnowledgeGraph, maker: str) -> set[str]:
    """Brands an enterprise is behind: owned (brand_of) or on the products it makes."""
    brands = set(kg.sources(maker, EdgeType.BRAND_OF))
    for product in kg.targets(maker, EdgeType.MAKES):
        if kg.kind(product) is NodeType.PRODUCT:
            brands.update(kg.targets(product, EdgeType.MODEL_OF))
    return brands


def makers_of(kg: KnowledgeGraph, node: str) -> set[str]:
    """The manufacturers behind a brand, a product or (itself) an enterprise that makes."""
    kind = kg.kind(node)
    if kind is NodeType.ENTERPRISE:
        roles = kg.g.nodes[node].get("roles") or []
        makes = any(True for _ in kg.out_edges(node, EdgeType.MAKES))
        return {node} if makes or EnterpriseRole.MANUFACTURER.value in roles else set()
    if kind is NodeType.BRAND:
        makers = set(kg.targets(node, EdgeType.BRAND_OF))
        for product in kg.sources(node, EdgeType.MODEL_OF):
            makers.update(kg.sources(product, EdgeType.MAKES))
        return makers
    if kind is NodeType.PRODUCT:
        makers = set(kg.sources(node, EdgeType.MAKES))
        for brand in kg.targets(node, EdgeType.MODEL_OF):
            makers.update(kg.targets(brand, EdgeType.BRAND_OF))
        return makers
    return set()


# ---------------------------------------------------------------------- related risks


@dataclass
class Member:
    node: str
    label: str
    records: int
    recent: int
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "label": self.label,
            "records": self.records,
            "recent": self.recent,
            "detail": self.detail,
        }


@dataclass
class Finding:
    """A pattern found in the graph: the node it turns on and the members it relates."""

    pattern: str
    node: str
    label: str
    members: list[Member]
    sentence: str

    @property
    def records(self) -> int:
        return sum(m.records for m in self.members)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "node": self.node,
            "label": self.label,
            "records": self.records,
            "sentence": self.sentence,
            "members": [m.as_dict() for m in self.members],
        }


def manufacturers_behind_brands(
    kg: KnowledgeGraph, today: date, window_days: int = DEFAULT_WINDOW_DAYS, min_brands: int = 2
) -> list[Finding]:
    """(1) One manufacturer behind several brands that carry risk records: a fault of the
    factory travels under every label it makes."""
    ev = Evidence(kg, today, window_days)
    found = []
    for ent in kg.nodes_of(NodeType.ENTERPRISE):
        brands = brands_of(kg, ent)
        if len(brands) < min_brands:
            continue
        members = []
        for b in sorted(brands):
            recs = ev.records(b)
            if recs:
                cat = ev.main_category(b)
                members.append(
                    Member(
                        b,
                        kg.label(b),
                        len(recs),
                        len(ev.recent(recs)),
                        kg.label(cat) if cat else "",
                    )
                )
        if len(members) >= min_brands:
            members.sort(key=lambda m: (-m.records, m.node))
            names = "、".join(m.label for m in members[:5])
            sentence = (
                f"生产企业{kg.label(ent)}的{len(members)}个品牌（{names}）均有风险信息，"
                f"共{sum(m.records for m in members)}条"
            )
            found.append(Finding("same_manufacturer", ent, kg.label(ent), members, sentence))
    return sorted(found, key=lambda f: (-f.records, f.node))


def sibling_hazards(
    kg: KnowledgeGraph, today: date, window_days: int = DEFAULT_WINDOW_DAYS, min_siblings: int = 2
) -> list[Finding]:
    """(2) The same hazard in sibling products (children of one catalogue node): a design or
    material shared by the kind, not by one firm."""
    ev = Evidence(kg, today, window_days)
    index = ev.by_category_hazard()
    by_parent: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for (cat, hazard), recs in index.items():
        for parent in kg.targets(cat, EdgeType.SUBCATEGORY_OF):
            by_parent[(parent, hazard)].append(
                Member(cat, kg.label(cat), len(recs), len(ev.recent(recs)))
            )
    found = []
    for (parent, hazard), members in by_parent.items():
        if len(members) < min_siblings:
            continue
        members.sort(key=lambda m: (-m.records, m.node))
        names = "、".join(m.label for m in members[:5])
        sentence = (
            f"{kg.label(parent)}下的{len(members)}类产品（{names}）都有“{kg.label(hazard)}”"
            f"风险信息，共{sum(m.records for m in members)}条"
        )
        label = f"{kg.label(parent)} · {kg.label(hazard)}"
        found.append(Finding("sibling_hazard", hazard, label, members, sentence))
    return sorted(found, key=lambda f: (-f.records, f.label))


def shared_suppliers(
    kg: KnowledgeGraph,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_customers: int = 2,
    failing_only: bool = True,
) -> list[Finding]:
    """(3) One supplier behind several customers whose products failed (or, with
    ``failing_only=False``, carry any risk record): a bad part or material goes everywhere
    the supplier delivers."""
    ev = Evidence(kg, today, window_days)
    found = []
    for supplier in kg.nodes_of(NodeType.ENTERPRISE):
        customers = kg.targets(supplier, EdgeType.SUPPLIES)
        if len(customers) < min_customers:
            continue
        members = []
        for c in sorted(customers):
            recs = ev.records(c)
            bad = ev.failing(recs) if failing_only else list(recs)
            if bad:
                members.append(Member(c, kg.label(c), len(bad), len(ev.recent(bad))))
        if len(members) >= min_customers:
            members.sort(key=lambda m: (-m.records, m.node))
            names = "、".join(m.label for m in members[:5])
            what = "产品不合格" if failing_only else "有风险信息"
            sentence = f"供应商{kg.label(supplier)}供货的{len(members)}家企业（{names}）{what}"
            found.append(Finding("same_supplier", supplier, kg.label(supplier), members, sentence))
    return sorted(found, key=lambda f: (-f.records, f.node))


# ---------------------------------------------------------------------- communities

PROJECTED_TYPES = frozenset(
    {NodeType.ENTERPRISE, NodeType.BRAND, NodeType.PRODUCT, NodeType.STANDARD, NodeType.EVENT}
)
PROJECTED_EDGES = frozenset(
    {
        EdgeType.MAKES.value,
        EdgeType.SELLS.value,
        EdgeType.SUPPLIES.value,
        EdgeType.BRAND_OF.value,
        EdgeType.MODEL_OF.value,
        EdgeType.FAILS_STANDARD.value,
        EdgeType.INVOLVES.value,
    }
)


@dataclass
class Community:
    id: int
    members: list[str]
    labels: list[str]
    records: int
    categories: list[str] = field(default_factory=list)
    hazards: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        head = "、".join(self.labels[:3])
        what = " · ".join(x for x in (self.categories[:1] + self.hazards[:1]) if x)
        return f"{what}：{head}等{len(self.members)}个节点" if what else head

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "size": len(self.members),
            "records": self.records,
            "categories": self.categories,
            "hazards": self.hazards,
            "members": [
                {"node": n, "label": label}
                for n, label in zip(self.members, self.labels, strict=True)
            ],
        }


def risk_projection(kg: KnowledgeGraph) -> nx.Graph:
    """The risk-relevant projection: firms, brands, products, standards and events that risk
    records name, linked when one record names both (weight: how many) or when the register
    or a record links them directly. Categories, hazards and districts are left out: they
    would join everything to everything; they describe a community afterwards."""
    g = kg.g
    proj = nx.Graph()
    touched: set[str] = set()

    def link(u: str, v: str, w: float) -> None:
        if proj.has_edge(u, v):
            proj[u][v]["weight"] += w
        else:
            proj.add_edge(u, v, weight=w)

    for kind in RECORD_TYPES:
        for r in kg.nodes_of(kind):
            named = sorted(
                v for v in g.successors(r) if NodeType(g.nodes[v]["type"]) in PROJECTED_TYPES
            )
            touched.update(named)
            for i, u in enumerate(named):
                proj.add_node(u)
                for v in named[i + 1 :]:
                    link(u, v, 1.0)
    for u, v, k, d in g.edges(keys=True, data=True):
        if k in PROJECTED_EDGES and u in touched and v in touched:
            link(u, v, float(d["count"]))
    return proj


def communities(
    kg: KnowledgeGraph, seed: int = 20261127, resolution: float = 1.0, min_size: int = 3
) -> list[Community]:
    """(4) Communities (Louvain, seeded so that a page shows the same groups twice) of the
    risk projection, largest in records first."""
    proj = risk_projection(kg)
    if proj.number_of_edges() == 0:
        return []
    parts = nx.community.louvain_communities(
        proj, weight="weight", resolution=resolution, seed=seed
    )
    g = kg.g
    out = []
    for part in parts:
        if len(part) < min_size:
            continue
        records: set[str] = set()
        for n in part:
            records.update(u for u in g.predecessors(n) if _is_record(g, u))
        cats: Counter[str] = Counter()
        hazards: Counter[str] = Counter()
        for r in records:
            cats.update(kg.targets(r, EdgeType.IN_CATEGORY))
            hazards.update(kg.targets(r, EdgeType.HAS_HAZARD))
        members = sorted(part, key=lambda n: (-proj.degree(n, weight="weight"), n))
        out.append(
            Community(
                0,
                members,
                [kg.label(n) for n in members],
                len(records),
                [kg.label(c) for c, _ in cats.most_common(3)],
                [kg.label(h) for h, _ in hazards.most_common(3)],
            )
        )
    out.sort(key=lambda c: (-c.records, -len(c.members), c.members[0]))
    for i, c in enumerate(out, start=1):
        c.id = i
    return out


def community_of(found: Sequence[Community], node: str) -> Community | None:
    return next((c for c in found if node in c.members), None)


# ---------------------------------------------------------------------- suggestions


@dataclass
class Suggestion:
    """Something else to look at, why (a sentence and the path), and how much evidence."""

    node: str
    label: str
    type: str
    score: float
    reason: str
    pattern: str
    path: list[str]
    recent: int
    total: int
    also: list[str] = field(default_factory=list)

    def as_dict(self, kg: KnowledgeGraph) -> dict[str, Any]:
        kind = NodeType(self.type)
        return {
            "node": self.node,
            "label": self.label,
            "type": self.type,
            "type_label": kind.label,
            "score": round(self.score, 2),
            "reason": self.reason,
            "pattern": self.pattern,
            "path": [{"id": n, "label": kg.label(n), "type": kg.kind(n).value} for n in self.path],
            "recent": self.recent,
            "total": self.total,
            "also": self.also,
        }


@dataclass
class Focus:
    """What a case, an enterprise or a product is about, as graph nodes."""

    entities: set[str] = field(default_factory=set)
    records: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    hazards: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)  # reached for, not excluded

    def everything(self) -> set[str]:
        return self.entities | self.records | self.events | self.categories | self.hazards


ENTITY_TYPES = frozenset({NodeType.ENTERPRISE, NodeType.BRAND, NodeType.PRODUCT})


def focus_of(kg: KnowledgeGraph, seeds: Iterable[str]) -> Focus:
    """The entities, records, events, categories and hazards a case, an enterprise or a
    product stands for (a case: what it covers; an enterprise: its brands and products)."""
    f = Focus()
    g = kg.g
    pending = [s for s in seeds if s in g]
    for s in pending:
        kind = kg.kind(s)
        if kind in ENTITY_TYPES:
            f.entities.add(s)
        elif kind in RECORD_TYPES:
            f.records.add(s)
        elif kind is NodeType.EVENT:
            f.events.add(s)
        elif kind is NodeType.CATEGORY:
            f.categories.add(s)
        elif kind is NodeType.HAZARD:
            f.hazards.add(s)
        if kind in DOSSIER_TYPES:
            for v in g.successors(s):
                vk = kg.kind(v)
                if vk in ENTITY_TYPES:
                    f.entities.add(v)
                elif vk is NodeType.EVENT:
                    f.events.add(v)
                elif vk is NodeType.CATEGORY:
                    f.categories.add(v)
                elif vk is NodeType.HAZARD:
                    f.hazards.add(v)
                elif vk in RECORD_TYPES:
                    f.records.add(v)
            f.records.update(u for u in g.predecessors(s) if _is_record(g, u))
    for ev in f.events:
        f.records.update(u for u in g.predecessors(ev) if _is_record(g, u))
    for r in f.records:
        for v in g.successors(r):
            vk = kg.kind(v)
            if vk in ENTITY_TYPES:
                f.entities.add(v)
            elif vk is NodeType.CATEGORY:
                f.categories.add(v)
            elif vk is NodeType.HAZARD:
                f.hazards.add(v)
            elif vk is NodeType.EVENT:
                f.events.add(v)
    for e in list(f.entities):
        kind = kg.kind(e)
        if kind is NodeType.ENTERPRISE:
            # Its products are reached for (their sellers, platforms, standards) but not
            # excluded: the maker's other brands are the first thing to look at.
            for edge in (EdgeType.MAKES, EdgeType.SELLS):
                f.products.update(p for p in kg.targets(e, edge) if kg.kind(p) is NodeType.PRODUCT)
        elif kind is NodeType.PRODUCT:
            f.products.add(e)
            f.entities.update(kg.targets(e, EdgeType.MODEL_OF))
            f.categories.update(kg.targets(e, EdgeType.IN_CATEGORY))
            f.hazards.update(kg.targets(e, EdgeType.HAS_HAZARD))
    if not f.records:
        for e in f.entities:
            for r in g.predecessors(e):
                if _is_record(g, r):
                    f.categories.update(kg.targets(r, EdgeType.IN_CATEGORY))
                    f.hazards.update(kg.targets(r, EdgeType.HAS_HAZARD))
    return f


class _Collector:
    def __init__(self, kg: KnowledgeGraph, ev: Evidence, exclude: set[str]) -> None:
        self.kg = kg
        self.ev = ev
        self.exclude = exclude
        self.best: dict[str, Suggestion] = {}

    def offer(
        self, node: str, pattern: str, path: list[str], sentence: str, records: Iterable[str]
    ) -> None:
        if node in self.exclude:
            return
        recs = list(records)
        recent = self.ev.recent(recs)
        if not recent:
            return  # nothing in the window: not a lead for now
        score = PATTERN_WEIGHTS[pattern] * self.ev.score(recs)
        kg = self.kg
        s = Suggestion(
            node,
            kg.label(node),
            kg.kind(node).value,
            score,
            sentence,
            pattern,
            path,
            len(recent),
            len(recs),
        )
        old = self.best.get(node)
        if old is None:
            self.best[node] = s
        elif s.score > old.score:
            s.also = [old.reason, *old.also]
            self.best[node] = s
        elif sentence != old.reason and sentence not in old.also:
            old.also.append(sentence)


def suggest(
    kg: KnowledgeGraph,
    seeds: Iterable[str],
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    limit: int = 20,
    found_communities: Sequence[Community] | None = None,
) -> list[Suggestion]:
    """(5) "What else should we look at" for a case, an enterprise or a product: entities
    (enterprises, brands, products) and sibling categories related to the focus by a
    pattern, with records in the window; ranked by the pattern's weight times the records
    (recent in full, older a fifth), each with a sentence and the path that explains it."""
    focus = focus_of(kg, seeds)
    ev = Evidence(kg, today, window_days)
    col = _Collector(kg, ev, focus.everything())
    w = ev.window()
    _same_manufacturer(kg, ev, col, focus, w)
    _same_supplier(kg, ev, col, focus, w)
    _same_seller_or_platform(kg, ev, col, focus, w)
    _same_standard(kg, ev, col, focus, w)
    _same_event(kg, ev, col, focus, w)
    _siblings_and_category(kg, ev, col, focus, w)
    if found_communities:
        _community(kg, ev, col, focus, w, found_communities)
    ranked = sorted(col.best.values(), key=lambda s: (-s.score, s.node))
    return ranked[: max(0, limit)]


def _cat_label(kg: KnowledgeGraph, ev: Evidence, node: str) -> str:
    cat = ev.main_category(node)
    return kg.label(cat) if cat else "产品"


def _same_manufacturer(kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str) -> None:
    makers: set[str] = set()
    for e in f.entities:
        makers |= makers_of(kg, e)
    for m in sorted(makers):
        who = kg.label(m) if m in f.entities else f"同一生产企业{kg.label(m)}"
        for b in sorted(brands_of(kg, m) - f.entities):
            recs = ev.records(b)
            sentence = (
                f"{who}还生产品牌{kg.label(b)}的{_cat_label(kg, ev, b)}，{w}有{ev.phrase(recs)}"
            )
            col.offer(b, "same_manufacturer", [m, b], sentence, recs)


def _same_supplier(kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str) -> None:
    firms = {e for e in f.entities if kg.kind(e) is NodeType.ENTERPRISE}
    for firm in sorted(firms):
        for s in sorted(kg.sources(firm, EdgeType.SUPPLIES)):
            for other in sorted(set(kg.targets(s, EdgeType.SUPPLIES)) - {firm}):
                recs = ev.records(other)
                sentence = (
                    f"同一供应商{kg.label(s)}还向{kg.label(other)}供货，"
                    f"{kg.label(other)}{w}有{ev.phrase(recs)}"
                )
                col.offer(other, "same_supplier", [firm, s, other], sentence, recs)
        for customer in sorted(kg.targets(firm, EdgeType.SUPPLIES)):
            recs = ev.records(customer)
            sentence = f"{kg.label(firm)}供货的{kg.label(customer)}{w}有{ev.phrase(recs)}"
            col.offer(customer, "supplied_by_focus", [firm, customer], sentence, recs)


def _same_seller_or_platform(
    kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str
) -> None:
    cats = f.categories
    for p in sorted(f.products):
        for seller in sorted(kg.sources(p, EdgeType.SELLS)):
            for other in sorted(set(kg.targets(seller, EdgeType.SELLS)) - {p}):
                if kg.kind(other) is not NodeType.PRODUCT:
                    continue
                recs = ev.records(other)
                sentence = (
                    f"销售企业{kg.label(seller)}还销售{kg.label(other)}，{w}有{ev.phrase(recs)}"
                )
                col.offer(other, "same_seller", [p, seller, other], sentence, recs)
        for platform in sorted(kg.targets(p, EdgeType.SOLD_ON)):
            for other in sorted(set(kg.sources(platform, EdgeType.SOLD_ON)) - {p}):
                if kg.kind(other) is not NodeType.PRODUCT:
                    continue
                # A platform sells everything: only the same kind of product is a lead.
                if cats and not cats & set(kg.targets(other, EdgeType.IN_CATEGORY)):
                    continue
                recs = ev.records(other)
                sentence = (
                    f"同类产品{kg.label(other)}也在{kg.label(platform)}销售，{w}有{ev.phrase(recs)}"
                )
                col.offer(other, "same_platform", [p, platform, other], sentence, recs)


def _same_standard(kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str) -> None:
    origins: dict[str, list[str]] = defaultdict(list)  # standard → focus nodes failing it
    for n in sorted(f.entities | f.products | f.records):
        for std in kg.targets(n, EdgeType.FAILS_STANDARD):
            origins[std].append(n)
    for std, failing in sorted(origins.items()):
        origin = next((n for n in failing if kg.kind(n) in ENTITY_TYPES), failing[0])
        for other in sorted(set(kg.sources(std, EdgeType.FAILS_STANDARD)) - f.products):
            if kg.kind(other) is not NodeType.PRODUCT:
                continue
            recs = ev.records(other)
            sentence = (
                f"{kg.label(other)}与{kg.label(origin)}同样不符合{kg.label(std)}，"
                f"{w}有{ev.phrase(recs)}"
            )
            col.offer(other, "same_standard", [origin, std, other], sentence, recs)


def _same_event(kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str) -> None:
    g = kg.g
    for event in sorted(f.events):
        named: set[str] = set(v for v in g.successors(event) if kg.kind(v) in ENTITY_TYPES)
        for r in g.predecessors(event):
            if _is_record(g, r):
                named.update(v for v in g.successors(r) if kg.kind(v) in ENTITY_TYPES)
        for other in sorted(named):
            recs = ev.records(other)
            sentence = (
                f"同一风险事件“{kg.label(event)}”还涉及{kg.label(other)}，{w}有{ev.phrase(recs)}"
            )
            col.offer(other, "same_event", [event, other], sentence, recs)


def _siblings_and_category(
    kg: KnowledgeGraph, ev: Evidence, col: _Collector, f: Focus, w: str
) -> None:
    index = ev.by_category_hazard()
    for cat in sorted(f.categories):
        parents = kg.targets(cat, EdgeType.SUBCATEGORY_OF)
        for hazard in sorted(f.hazards):
            hz = kg.label(hazard)
            for parent in parents:
                for sib in sorted(set(kg.sources(parent, EdgeType.SUBCATEGORY_OF)) - {cat}):
                    recs = index.get((sib, hazard), [])
                    n = len(ev.recent(recs))
                    sentence = f"同属{kg.label(parent)}的{kg.label(sib)}{w}也有{n}条“{hz}”风险信息"
                    col.offer(sib, "sibling_hazard", [cat, parent, sib], sentence, recs)
            # Other brands of the same kind with the same hazard (not the focus's own).
            per_brand: dict[str, list[str]] = defaultdict(list)
            for r in index.get((cat, hazard), []):
                for b in kg.targets(r, EdgeType.INVOLVES):
                    if kg.kind(b) is NodeType.BRAND:
                        per_brand[b].append(r)
            for b, recs in sorted(per_brand.items()):
                n = len(ev.recent(recs))
                sentence = (
                    f"同类产品（{kg.label(cat)}）中品牌{kg.label(b)}{w}也有{n}条“{hz}”风险信息"
                )
                col.offer(b, "same_category_hazard", [cat, hazard, b], sentence, recs)


def _community(
    kg: KnowledgeGraph,
    ev: Evidence,
    col: _Collector,
    f: Focus,
    w: str,
    found: Sequence[Community],
) -> None:
    for e in sorted(f.entities):
        c = community_of(found, e)
        if c is None:
            continue
        for other in c.members:
            # The focus's own products are not "something else": its brands say it better.
            if kg.kind(other) not in ENTITY_TYPES or other in f.products:
                continue
            recs = ev.records(other)
            sentence = (
                f"{kg.label(other)}与{kg.label(e)}同属关联群组“{c.title}”，{w}有{ev.phrase(recs)}"
            )
            col.offer(other, "community", [e, other], sentence, recs)
