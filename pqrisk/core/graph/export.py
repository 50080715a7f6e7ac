"""Exports: GraphML (for Gephi, yEd, networkx) and CSV files for ``neo4j-admin import``.

GraphML holds only scalar attributes, so lists (an enterprise's roles) and the provenance
are JSON-encoded text. The Neo4j files follow the import tool's header conventions
(``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``, ``:TYPE``; arrays split on ``;``).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import networkx as nx

from .model import EdgeType, EnterpriseRole, KnowledgeGraph, NodeType, Ref

ARRAY_DELIMITER = ";"  # neo4j-admin import's default --array-delimiter
NODE_PROPERTIES = ("district", "date", "source_kind", "status", "level", "code", "uscc")


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _refs(data: dict[str, Any]) -> list[str]:
    refs: list[Ref] = list(data["provenance"])
    return [r.label for r in refs]


def to_graphml(kg: KnowledgeGraph) -> bytes:
    """The graph as GraphML (UTF-8); every attribute a scalar, lists JSON-encoded."""
    out = nx.MultiDiGraph()
    for n, d in kg.g.nodes(data=True):
        out.add_node(n, **{k: _scalar(v) for k, v in d.items() if v is not None})
    for u, v, k, d in kg.g.edges(keys=True, data=True):
        out.add_edge(
            u,
            v,
            key=k,
            type=k,
            label=EdgeType(k).label,
            count=int(d["count"]),
            weight=float(d["weight"]),
            provenance=json.dumps(_refs(d), ensure_ascii=False),
        )
    buf = io.BytesIO()
    nx.write_graphml(out, buf, encoding="utf-8", named_key_ids=True)
    return buf.getvalue()


def _array(values: list[str]) -> str:
    # The delimiter inside a value would split it: replace with the full-width semicolon.
    return ARRAY_DELIMITER.join(v.replace(ARRAY_DELIMITER, "；") for v in values)


def neo4j_labels(data: dict[str, Any]) -> list[str]:
    """Node labels: the type's, and for an enterprise one per role (``Manufacturer``…)."""
    labels = [NodeType(data["type"]).neo4j_label]
    for role in data.get("roles") or []:
        if role != EnterpriseRole.UNKNOWN.value:
            labels.append(role.capitalize())
    return labels


def neo4j_csv(kg: KnowledgeGraph) -> dict[str, str]:
    """``nodes.csv`` and ``relationships.csv`` as text, for ``neo4j-admin database import``."""
    nodes = io.StringIO()
    w = csv.writer(nodes, lineterminator="\n")
    w.writerow(["id:ID", ":LABEL", "name", "type", *NODE_PROPERTIES, "roles:string[]"])
    for n, d in sorted(kg.g.nodes(data=True)):
        w.writerow(
            [
                n,
                _array(neo4j_labels(d)),
                d.get("label", n),
                d["type"],
                *[("" if d.get(p) is None else d.get(p)) for p in NODE_PROPERTIES],
                _array(list(d.get("roles") or [])),
            ]
        )
    rels = io.StringIO()
    w = csv.writer(rels, lineterminator="\n")
    w.writerow(
        [
            ":START_ID",
            ":END_ID",
            ":TYPE",
            "label",
            "count:int",
            "weight:float",
            "provenance:string[]",
        ]
    )
    for u, v, k, d in sorted(kg.g.edges(keys=True, data=True), key=lambda e: e[:3]):
        kind = EdgeType(k)
        w.writerow([u, v, kind.neo4j_type, kind.label, d["count"], d["weight"], _array(_refs(d))])
    return {"nodes.csv": nodes.getvalue(), "relationships.csv": rels.getvalue()}


IMPORT_README = """pqrisk 知识图谱导出（Neo4j）

导入命令（Neo4j 5）：
  neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv \\
      --array-delimiter=";" neo4j

provenance 为该关系的依据记录（如 RiskInfo #123、Enterprise register）。
"""


def to_neo4j_zip(kg: KnowledgeGraph) -> bytes:
    """The Neo4j CSV files (and how to import them) in one zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in neo4j_csv(kg).items():
            zf.writestr(name, text.encode("utf-8"))
        zf.writestr("README.txt", IMPORT_README.encode("utf-8"))
    return buf.getvalue()
