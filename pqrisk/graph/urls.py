"""Include in the project's urls as ``path("graph/", include("pqrisk.graph.urls"))``."""

from django.urls import path

from . import api, views

app_name = "graph"

urlpatterns = [
    path("", views.graph_page, name="page"),
    path("export/graph.graphml", views.export_graphml, name="export_graphml"),
    path("export/neo4j.zip", views.export_neo4j, name="export_neo4j"),
    path("api/nodes/", api.nodes, name="api_nodes"),
    path("api/neighbourhood/", api.neighbourhood, name="api_neighbourhood"),
    path("api/correlations/", api.correlations, name="api_correlations"),
    path("api/correlations/case/<int:pk>/", api.case_correlations, name="api_case_correlations"),
    path(
        "api/correlations/enterprise/<int:pk>/",
        api.enterprise_correlations,
        name="api_enterprise_correlations",
    ),
    path(
        "api/correlations/product/<int:pk>/",
        api.product_correlations,
        name="api_product_correlations",
    ),
    path("api/patterns/", api.patterns, name="api_patterns"),
]
