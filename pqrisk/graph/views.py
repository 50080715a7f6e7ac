"""The graph page (ECharts graph with a table fallback) and the export downloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from pqrisk.core.graph.export import to_graphml, to_neo4j_zip
from pqrisk.core.graph.model import NodeType
from pqrisk.core.graph.query import MAX_DEPTH, BadQuery, UnknownNode
from pqrisk.web.context import can_use_pages, is_city_user

from . import services
from .build import city_snapshot

# The page of the record or entity a node stands for, where there is one.
DETAIL_PAGES = {
    NodeType.RISK_ITEM.value: "web:riskinfo_detail",
    NodeType.ENTERPRISE.value: "web:enterprise_detail",
    NodeType.CASE.value: "web:case_detail",
    NodeType.WARNING.value: "web:warning_detail",
    NodeType.EVENT.value: "web:event_detail",
}


def graph_page_view(*, city_only: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Login required; the bureau's roles only (403); city-wide roles only if asked."""

    def decorate(view: Callable[..., HttpResponse]) -> Any:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_use_pages(request.user):
                raise PermissionDenied("您的账户没有访问页面的角色。")
            if city_only and not is_city_user(request.user):
                raise PermissionDenied("知识图谱导出仅向市局、评估中心和专家开放。")
            return view(request, *args, **kwargs)

        return require_GET(login_required(wrapper))

    return decorate


def detail_url(node: str) -> str | None:
    kind, _, key = node.partition(":")
    name = DETAIL_PAGES.get(kind)
    if name is None or not key.isdigit():
        return None
    try:
        return reverse(name, args=[int(key)])
    except NoReverseMatch:
        return None


def _chart(result: dict[str, Any]) -> dict[str, Any]:
    """The neighbourhood as an ECharts graph series (nodes, links, categories)."""
    types = sorted({n["type"] for n in result["nodes"]})
    index = {t: i for i, t in enumerate(types)}
    return {
        "categories": [
            {"name": NodeType(t).label, "itemStyle": {"color": NodeType(t).colour}} for t in types
        ],
        "nodes": [
            {
                "id": n["id"],
                "name": n["label"][:40],
                "category": index[n["type"]],
                "symbolSize": 34 if n["distance"] == 0 else max(10, 26 - 6 * n["distance"]),
                "value": n["type_label"],
            }
            for n in result["nodes"]
        ],
        "links": [
            {"source": e["source"], "target": e["target"], "value": e["label"]}
            for e in result["edges"]
        ],
    }


def _district_code(user: Any) -> str:
    district = getattr(user, "district", None)
    return district.code if district is not None else ""


@graph_page_view()
def graph_page(request: HttpRequest) -> HttpResponse:
    node = request.GET.get("node", "").strip()
    q = request.GET.get("q", "").strip()
    depth = request.GET.get("depth") or "1"
    context: dict[str, Any] = {
        "node": node,
        "q": q,
        "depth": depth,
        "depths": range(1, MAX_DEPTH + 1),
        "can_export": is_city_user(request.user),
        "error": "",
    }
    status = 200
    try:
        if q:
            context["results"] = services.search_for(request.user, q)
        if node:
            result = services.neighbourhood_for(request.user, node, depth)
            labels = {n["id"]: n["label"] for n in result["nodes"]}
            # A district officer's detail pages are those of the district (others answer 404).
            own = None if is_city_user(request.user) else _district_code(request.user)
            for n in result["nodes"]:
                n["url"] = detail_url(n["id"]) if own in (None, n.get("district")) else None
            for e in result["edges"]:
                e["source_label"] = labels[e["source"]]
                e["target_label"] = labels[e["target"]]
            context["result"] = result
            context["center"] = result["nodes"][0]
            context["chart"] = _chart(result)
            if NodeType(result["nodes"][0]["type"]) in services.FOCUS_TYPES:
                context["suggestions"] = services.suggestions_for(request.user, node)
        elif not q:
            context["patterns"] = services.patterns_for(request.user)
    except UnknownNode as exc:
        context["error"], status = exc.message_zh, 404
    except BadQuery as exc:
        context["error"], status = exc.message_zh, 400
    return render(request, "web/graph.html", context, status=status)


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@graph_page_view(city_only=True)
def export_graphml(request: HttpRequest) -> HttpResponse:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(
        to_graphml(city_snapshot().graph),
        f"pqrisk-graph-{stamp}.graphml",
        "application/graphml+xml; charset=utf-8",
    )


@graph_page_view(city_only=True)
def export_neo4j(request: HttpRequest) -> HttpResponse:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(
        to_neo4j_zip(city_snapshot().graph), f"pqrisk-graph-neo4j-{stamp}.zip", "application/zip"
    )
