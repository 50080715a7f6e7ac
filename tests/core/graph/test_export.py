"""GraphML and Neo4j exports read back with what was written."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import networkx as nx

from pqrisk.core.graph import KnowledgeGraph
from pqrisk.core.graph.export import neo4j_csv, neo4j_labels, to_graphml, to_neo4j_zip


def test_graphml_reads_back_with_provenance(kg: KnowledgeGraph) -> None:
    data = to_graphml(kg)
    back = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert back.number_of_nodes() == len(kg)
    assert back.number_of_edges() == kg.edge_count
    assert back.nodes["enterprise:1"]["label"] == "上海甲电器有限公司"
    assert json.loads(back.nodes["enterprise:1"]["roles"]) == ["manufacturer", "supplier"]
    edge = next(d for u, v, d in back.edges(data=True) if (u, v) == ("brand:乙牌", "enterprise:1"))
    assert edge["type"] == "brand_of" and edge["count"] == 3
    assert json.loads(edge["provenance"])[0] == "Product register #2"


def test_neo4j_csv_has_the_import_headers(kg: KnowledgeGraph) -> None:
    files = neo4j_csv(kg)
    nodes = list(csv.reader(io.StringIO(files["nodes.csv"])))
    rels = list(csv.reader(io.StringIO(files["relationships.csv"])))
    assert nodes[0][:2] == ["id:ID", ":LABEL"]
    assert rels[0][:3] == [":START_ID", ":END_ID", ":TYPE"] and "provenance:string[]" in rels[0]
    assert len(nodes) - 1 == len(kg) and len(rels) - 1 == kg.edge_count
    ids = {row[0] for row in nodes[1:]}
    assert all(row[0] in ids and row[1] in ids for row in rels[1:])
    maker = next(row for row in nodes if row[0] == "enterprise:1")
    assert maker[1] == "Enterprise;Manufacturer;Supplier"
    brand_of = next(row for row in rels if row[:3] == ["brand:乙牌", "enterprise:1", "BRAND_OF"])
    assert brand_of[-1].split(";")[0] == "Product register #2"


def test_neo4j_zip_holds_both_files_and_how_to_import(kg: KnowledgeGraph) -> None:
    with zipfile.ZipFile(io.BytesIO(to_neo4j_zip(kg))) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "nodes.csv", "relationships.csv"]
        assert "neo4j-admin" in zf.read("README.txt").decode()


def test_a_platform_is_labelled_as_such() -> None:
    assert neo4j_labels({"type": "enterprise", "roles": ["platform", "unknown"]}) == [
        "Enterprise",
        "Platform",
    ]
