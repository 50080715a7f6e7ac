"""Knowledge graph of products, firms, brands, hazards, standards and the records that relate
them (networkx; no Django). Build with ``build_graph(GraphRecords(...))``; query with
``query``; relate with ``correlate``; export with ``export``."""

from .build import build_graph
from .model import EdgeType, EnterpriseRole, KnowledgeGraph, NodeType, Ref, node_id
from .records import GraphRecords

__all__ = [
    "EdgeType",
    "EnterpriseRole",
    "GraphRecords",
    "KnowledgeGraph",
    "NodeType",
    "Ref",
    "build_graph",
    "node_id",
]
