"""Build the knowledge graph from plain records (``records.GraphRecords``).

What each record says, as edges (the record is the edge's provenance):

- the catalogue: category ``subcategory_of`` its parent;
- the enterprise register: enterprise ``located_in`` district, ``makes`` (manufacturer) or
  ``sells`` (seller, platform) the categories it is registered for;
- a product of the register: ``in_category``, ``model_of`` its brand; its enterprise
  ``makes`` it and the brand is ``brand_of`` it (a seller ``sells`` it, a platform has it
  ``sold_on`` it). An enterprise of unknown kind is taken as the maker: the register's
  product belongs to its 生产/销售企业 and most of them are makers;
- a risk item (风险信息): the item ``in_category``, ``has_hazard``, ``reported_in``,
  ``part_of_event``, ``involves`` the enterprise, brand and product it names, and
  ``fails_standard`` when a spot check failed; it also says what the register may not know
  (the enterprise as manufacturer ``makes`` the product, the product ``has_hazard``, the
  product is ``sold_on`` a platform, a supplier ``supplies`` the enterprise);
- a lab sample: as a risk item, and the labelled manufacturer ``supplies`` the shop;
- events, warnings and assessment cases: what they are about; a warning's items are
  ``warned_by`` it and a case ``covers`` its items.

Names not matched to the register (an enterprise named in a complaint, a platform, a brand)
become nodes keyed by their normalised name, so that two records naming the same firm meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from .model import (
    UNASSIGNED,
    EdgeType,
    EnterpriseRole,
    KnowledgeGraph,
    NodeType,
    Ref,
    node_id,
)
from .records import (
    CaseRecord,
    EventRecord,
    GraphRecords,
    ProductRecord,
    RiskItemRecord,
    SampleRecord,
    SupplyRecord,
    WarningRecord,
)

CATALOGUE = Ref("Product catalogue")
_SPACE = re.compile(r"\s+")
# A Chinese or international standard's number: GB 4706.1-2005, GB/T 3280-2015, QB/T 4237.
_STANDARD = re.compile(r"([A-Z]{1,4}(?:/[TZ])?)\s*(\d+(?:\.\d+)*)(?:\s*[-—]\s*(\d{4}))?")
_ROLE_EDGE = {
    EnterpriseRole.MANUFACTURER: EdgeType.MAKES,
    EnterpriseRole.SELLER: EdgeType.SELLS,
    EnterpriseRole.PLATFORM: EdgeType.SELLS,
}


def normalise_name(name: str) -> str:
    """Full-width to half-width, spaces collapsed, case folded: the key two records share."""
    text = unicodedata.normalize("NFKC", name or "")
    return _SPACE.sub(" ", text).strip().casefold()


def normalise_standard(text: str) -> str:
    """``GB4706.1—2005 第8章`` → ``GB 4706.1-2005``; other text cleaned and kept."""
    clean = unicodedata.normalize("NFKC", text or "").upper().strip()
    match = _STANDARD.search(clean)
    if match is None:
        return _SPACE.sub(" ", clean)[:80]
    code, number, year = match.groups()
    return f"{code} {number}-{year}" if year else f"{code} {number}"


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


class _Builder:
    def __init__(self, records: GraphRecords) -> None:
        self.r = records
        self.kg = KnowledgeGraph()
        self.enterprise_by_name: dict[str, str] = {}
        self.products_by_identity: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.register_products: dict[str, ProductRecord] = {}

    # ------------------------------------------------------------------ reference data

    def reference(self) -> None:
        kg = self.kg
        for d in self.r.districts:
            kg.add_node(node_id(NodeType.DISTRICT, d.code), NodeType.DISTRICT, d.name, code=d.code)
        for h in self.r.hazards:
            kg.add_node(node_id(NodeType.HAZARD, h.code), NodeType.HAZARD, h.name, code=h.code)
        for c in self.r.categories:
            kg.add_node(
                node_id(NodeType.CATEGORY, c.code),
                NodeType.CATEGORY,
                c.name,
                code=c.code,
                parent=c.parent,
            )
        for c in self.r.categories:
            if c.parent and node_id(NodeType.CATEGORY, c.parent) in kg:
                kg.add_edge(
                    node_id(NodeType.CATEGORY, c.code),
                    node_id(NodeType.CATEGORY, c.parent),
                    EdgeType.SUBCATEGORY_OF,
                    CATALOGUE,
                )

    def register(self) -> None:
        kg = self.kg
        for e in self.r.enterprises:
            node = kg.add_node(
                node_id(NodeType.ENTERPRISE, e.id),
                NodeType.ENTERPRISE,
                e.name,
                district=e.district,
                uscc=e.uscc,
            )
            kg.add_role(node, e.role)
            self.enterprise_by_name.setdefault(normalise_name(e.name), node)
            ref = Ref("Enterprise register", e.id)
            if (district := self._district(e.district)) is not None:
                kg.add_edge(node, district, EdgeType.LOCATED_IN, ref)
            edge = _ROLE_EDGE.get(e.role, EdgeType.IN_CATEGORY)
            for code in e.categories:
                if (cat := self._category(code)) is not None:
                    kg.add_edge(node, cat, edge, ref)
        for p in self.r.products:
            self.register_products[p.id] = p
            key = (normalise_name(p.brand), normalise_name(p.model))
            if key != ("", ""):
                self.products_by_identity[key].add(node_id(NodeType.PRODUCT, p.id))
        for p in self.r.products:
            self._register_product(p)

    def _register_product(self, p: ProductRecord) -> None:
        kg = self.kg
        label = " ".join(x for x in (p.brand, p.name, p.model) if x) or p.name
        node = kg.add_node(
            node_id(NodeType.PRODUCT, p.id),
            NodeType.PRODUCT,
            label,
            name=p.name,
            brand=p.brand,
            model=p.model,
        )
        ref = Ref("Product register", p.id)
        if (cat := self._category(p.category)) is not None:
            kg.add_edge(node, cat, EdgeType.IN_CATEGORY, ref)
        brand = self._brand(p.brand)
        if brand:
            kg.add_edge(node, brand, EdgeType.MODEL_OF, ref)
        if p.enterprise is None:
            return
        ent = node_id(NodeType.ENTERPRISE, p.enterprise)
        if ent not in kg:
            return
        roles = kg.g.nodes[ent].get("roles") or []
        if EnterpriseRole.PLATFORM.value in roles:
            kg.add_edge(node, ent, EdgeType.SOLD_ON, ref)
        elif EnterpriseRole.SELLER.value in roles:
            kg.add_edge(ent, node, EdgeType.SELLS, ref)
        else:
            kg.add_edge(ent, node, EdgeType.MAKES, ref)
            if brand:
                kg.add_edge(brand, ent, EdgeType.BRAND_OF, ref)

    # ------------------------------------------------------------------ nodes by name

    def _district(self, code: str | None) -> str | None:
        if not code:
            return None
        node = node_id(NodeType.DISTRICT, code)
        return self.kg.add_node(node, NodeType.DISTRICT, code, code=code)

    def _category(self, code: str | None) -> str | None:
        if not code:
            return None
        node = node_id(NodeType.CATEGORY, code)
        return self.kg.add_node(node, NodeType.CATEGORY, code, code=code)

    def _hazard(self, code: str | None) -> str | None:
        if not code:
            return None
        node = node_id(NodeType.HAZARD, code)
        return self.kg.add_node(node, NodeType.HAZARD, code, code=code)

    def _brand(self, name: str) -> str | None:
        key = normalise_name(name)
        if not key:
            return None
        return self.kg.add_node(node_id(NodeType.BRAND, key), NodeType.BRAND, name.strip())

    def _standard(self, text: str) -> str | None:
        key = normalise_standard(text)
        if not key:
            return None
        return self.kg.add_node(node_id(NodeType.STANDARD, key), NodeType.STANDARD, key)

    def _enterprise(self, register_id: str | None, name: str, role: EnterpriseRole) -> str | None:
        """The register's enterprise, else the one of that exact name, else a named node."""
        node: str | None = None
        if register_id is not None:
            node = node_id(NodeType.ENTERPRISE, register_id)
            if node not in self.kg:
                node = self.kg.add_node(node, NodeType.ENTERPRISE, name or node)
        elif key := normalise_name(name):
            node = self.enterprise_by_name.get(key)
            if node is None:
                node = self.kg.add_node(
                    node_id(NodeType.ENTERPRISE, f"~{key}"), NodeType.ENTERPRISE, name.strip()
                )
                self.enterprise_by_name[key] = node
        if node is not None and role is not EnterpriseRole.UNKNOWN:
            self.kg.add_role(node, role)
        return node

    def _product(
        self, product_id: str | None, category: str | None, brand: str, model: str
    ) -> str | None:
        """The register's product, else the one product of that brand and model, else a
        product known by category, brand and model (only when a model is named: a brand
        alone is not a product)."""
        if product_id is not None:
            node = node_id(NodeType.PRODUCT, product_id)
            if node in self.kg:
                return node
            return self.kg.add_node(node, NodeType.PRODUCT, node)
        b, m = normalise_name(brand), normalise_name(model)
        if not m:
            return None
        found = self.products_by_identity.get((b, m))
        if found and len(found) == 1:
            return next(iter(found))
        node = node_id(NodeType.PRODUCT, f"~{category or ''}|{b}|{m}")
        label = " ".join(x for x in (brand.strip(), model.strip()) if x)
        return self.kg.add_node(node, NodeType.PRODUCT, label, brand=brand, model=model)

    # ------------------------------------------------------------------ records

    def _about(
        self, node: str, ref: Ref, category: str | None, hazard: str | None, district: str | None
    ) -> None:
        kg = self.kg
        if (cat := self._category(category)) is not None:
            kg.add_edge(node, cat, EdgeType.IN_CATEGORY, ref)
        if (haz := self._hazard(hazard)) is not None:
            kg.add_edge(node, haz, EdgeType.HAS_HAZARD, ref)
        if (dis := self._district(district)) is not None:
            kg.add_edge(node, dis, EdgeType.REPORTED_IN, ref)

    def _event_node(self, event_id: str) -> str:
        node = node_id(NodeType.EVENT, event_id)
        return self.kg.add_node(node, NodeType.EVENT, node)

    def events(self) -> None:
        for e in self.r.events:
            self._event(e)

    def _event(self, e: EventRecord) -> None:
        kg = self.kg
        node = kg.add_node(
            node_id(NodeType.EVENT, e.id),
            NodeType.EVENT,
            e.title,
            date=_iso(e.when),
            district=e.district or UNASSIGNED,
        )
        ref = Ref("Event", e.id, e.district or UNASSIGNED)
        self._about(node, ref, e.category, e.hazard, e.district)
        if (ent := self._enterprise(e.enterprise, "", EnterpriseRole.UNKNOWN)) is not None:
            kg.add_edge(node, ent, EdgeType.INVOLVES, ref)
        for name in e.brands:
            if (brand := self._brand(name)) is not None:
                kg.add_edge(node, brand, EdgeType.INVOLVES, ref)

    def risk_items(self) -> None:
        for item in self.r.risk_items:
            self._risk_item(item)

    def _risk_item(self, r: RiskItemRecord) -> None:
        kg = self.kg
        node = kg.add_node(
            node_id(NodeType.RISK_ITEM, r.id),
            NodeType.RISK_ITEM,
            r.title or f"风险信息{r.id}",
            date=_iso(r.when),
            district=r.district or UNASSIGNED,
            source_kind=r.source_kind,
            status=r.status,
            level=r.level,
            severity=r.severity,
        )
        ref = Ref("RiskInfo", r.id, r.district or UNASSIGNED)
        self._about(node, ref, r.category, r.hazard, r.district)
        if r.event is not None:
            kg.add_edge(node, self._event_node(r.event), EdgeType.PART_OF_EVENT, ref)
        ent = self._enterprise(r.enterprise, r.enterprise_name, r.enterprise_role)
        brand_name = r.brand
        if not brand_name and r.product in self.register_products:
            brand_name = self.register_products[r.product].brand
        brand = self._brand(brand_name)
        product = self._product(r.product, r.category, r.brand, r.model)
        for named in (ent, brand, product):
            if named is not None:
                kg.add_edge(node, named, EdgeType.INVOLVES, ref)
        if product is not None:
            if (cat := self._category(r.category)) is not None:
                kg.add_edge(product, cat, EdgeType.IN_CATEGORY, ref)
            if (haz := self._hazard(r.hazard)) is not None:
                kg.add_edge(product, haz, EdgeType.HAS_HAZARD, ref)
            if brand is not None:
                kg.add_edge(product, brand, EdgeType.MODEL_OF, ref)
        if ent is not None:
            self._role_edges(ent, r.enterprise_role, product, brand, ref)
        for text in r.failed_standards:
            if (std := self._standard(text)) is not None:
                kg.add_edge(node, std, EdgeType.FAILS_STANDARD, ref)
                if product is not None:
                    kg.add_edge(product, std, EdgeType.FAILS_STANDARD, ref)
        if r.platform:
            platform = self._enterprise(None, r.platform, EnterpriseRole.PLATFORM)
            seller = product or ent
            if platform is not None and seller is not None:
                kg.add_edge(seller, platform, EdgeType.SOLD_ON, ref)
        if r.supplier and ent is not None:
            supplier = self._enterprise(None, r.supplier, EnterpriseRole.SUPPLIER)
            if supplier is not None:
                kg.add_edge(supplier, ent, EdgeType.SUPPLIES, ref)
        if r.enterprise_role is not EnterpriseRole.MANUFACTURER and ent and product:
            # The item names a seller; the register's maker of the product supplies it.
            for maker in kg.sources(product, EdgeType.MAKES):
                if maker != ent:
                    kg.add_role(maker, EnterpriseRole.SUPPLIER)
                    kg.add_edge(maker, ent, EdgeType.SUPPLIES, ref)

    def _role_edges(
        self, ent: str, role: EnterpriseRole, product: str | None, brand: str | None, ref: Ref
    ) -> None:
        kg = self.kg
        if role is EnterpriseRole.MANUFACTURER:
            if product is not None:
                kg.add_edge(ent, product, EdgeType.MAKES, ref)
            if brand is not None:
                kg.add_edge(brand, ent, EdgeType.BRAND_OF, ref)
        elif role is EnterpriseRole.SELLER and product is not None:
            kg.add_edge(ent, product, EdgeType.SELLS, ref)
        elif role is EnterpriseRole.PLATFORM and product is not None:
            kg.add_edge(product, ent, EdgeType.SOLD_ON, ref)

    def samples(self) -> None:
        for s in self.r.samples:
            self._sample(s)

    def _sample(self, s: SampleRecord) -> None:
        kg = self.kg
        node = kg.add_node(
            node_id(NodeType.SAMPLE, s.id),
            NodeType.SAMPLE,
            f"{s.code} {s.name}".strip(),
            date=_iso(s.when),
            district=s.district or UNASSIGNED,
            source_kind="lab",
            task=s.task_code,
            failed=bool(s.failed_standards),
        )
        ref = Ref("Sample", s.code or s.id, s.district or UNASSIGNED)
        self._about(node, ref, s.category, None, s.district)
        maker = self._enterprise(s.manufacturer, s.manufacturer_name, EnterpriseRole.MANUFACTURER)
        seller = self._enterprise(s.seller, s.seller_name, EnterpriseRole.SELLER)
        if seller is not None and seller == maker:
            seller = None
        brand = self._brand(s.brand)
        product = self._product(None, s.category, s.brand, s.model)
        for named in (maker, seller, brand, product):
            if named is not None:
                kg.add_edge(node, named, EdgeType.INVOLVES, ref)
        if product is not None:
            if (cat := self._category(s.category)) is not None:
                kg.add_edge(product, cat, EdgeType.IN_CATEGORY, ref)
            if brand is not None:
                kg.add_edge(product, brand, EdgeType.MODEL_OF, ref)
        if maker is not None:
            self._role_edges(maker, EnterpriseRole.MANUFACTURER, product, brand, ref)
        if seller is not None:
            self._role_edges(seller, EnterpriseRole.SELLER, product, brand, ref)
            if maker is not None:
                kg.add_role(maker, EnterpriseRole.SUPPLIER)
                kg.add_edge(maker, seller, EdgeType.SUPPLIES, ref)
        for text in s.failed_standards:
            if (std := self._standard(text)) is not None:
                kg.add_edge(node, std, EdgeType.FAILS_STANDARD, ref)
                if product is not None:
                    kg.add_edge(product, std, EdgeType.FAILS_STANDARD, ref)
        if s.platform:
            platform = self._enterprise(None, s.platform, EnterpriseRole.PLATFORM)
            on = product or seller
            if platform is not None and on is not None:
                kg.add_edge(on, platform, EdgeType.SOLD_ON, ref)

    def warnings(self) -> None:
        for w in self.r.warnings:
            self._warning(w)

    def _warning(self, w: WarningRecord) -> None:
        kg = self.kg
        node = kg.add_node(
            node_id(NodeType.WARNING, w.id),
            NodeType.WARNING,
            w.title,
            level=w.level,
            status=w.status,
            date=_iso(w.when),
            district=w.district or UNASSIGNED,
        )
        ref = Ref("Warning", w.id, w.district or UNASSIGNED)
        self._about(node, ref, w.category, w.hazard, w.district)
        for item in w.risk_items:
            risk = node_id(NodeType.RISK_ITEM, item)
            if risk in kg:
                kg.add_edge(risk, node, EdgeType.WARNED_BY, ref)
        for name in w.brands:
            if (brand := self._brand(name)) is not None:
                kg.add_edge(node, brand, EdgeType.INVOLVES, ref)

    def cases(self) -> None:
        for c in self.r.cases:
            self._case(c)

    def _case(self, c: CaseRecord) -> None:
        kg = self.kg
        node = kg.add_node(
            node_id(NodeType.CASE, c.id),
            NodeType.CASE,
            f"{c.code} {c.title}".strip(),
            code=c.code,
            status=c.status,
            date=_iso(c.when),
            district=c.district or UNASSIGNED,
        )
        ref = Ref("AssessmentCase", c.id, c.district or UNASSIGNED)
        self._about(node, ref, c.category, c.hazard, c.district)
        if (ent := self._enterprise(c.enterprise, "", EnterpriseRole.UNKNOWN)) is not None:
            kg.add_edge(node, ent, EdgeType.INVOLVES, ref)
        if c.event is not None:
            kg.add_edge(node, self._event_node(c.event), EdgeType.INVOLVES, ref)
        for item in c.risk_items:
            risk = node_id(NodeType.RISK_ITEM, item)
            if risk in kg:
                kg.add_edge(node, risk, EdgeType.COVERS, ref)

    def supplies(self) -> None:
        for s in self.r.supplies:
            self._supply(s)

    def _supply(self, s: SupplyRecord) -> None:
        supplier = self._enterprise(
            None if s.supplier_is_name else s.supplier,
            s.supplier if s.supplier_is_name else "",
            EnterpriseRole.SUPPLIER,
        )
        customer = self._enterprise(
            None if s.customer_is_name else s.customer,
            s.customer if s.customer_is_name else "",
            EnterpriseRole.UNKNOWN,
        )
        if supplier is not None and customer is not None:
            ref = Ref(s.source_kind, s.source_id, s.district)
            self.kg.add_edge(supplier, customer, EdgeType.SUPPLIES, ref)


def build_graph(records: GraphRecords) -> KnowledgeGraph:
    """The knowledge graph of ``records``: reference data, the register, then the records
    (events before the items that join them, items before the warnings and cases that
    cite them)."""
    b = _Builder(records)
    b.reference()
    b.register()
    b.events()
    b.risk_items()
    b.samples()
    b.warnings()
    b.cases()
    b.supplies()
    return b.kg
