"""The graph's JSON API (session login, as the rest of /api/):

- ``GET api/nodes/?q=乙牌`` — find nodes by name or id;
- ``GET api/neighbourhood/?node=enterprise:12&depth=2&limit=200`` — nodes and edges within
  ``depth`` (≤ 3) steps, every edge with its provenance; ``truncated`` when over ``limit``;
- ``GET api/correlations/?node=brand:美的`` and ``api/correlations/case/<id>/``,
  ``…/enterprise/<id>/``, ``…/product/<id>/`` — "what else should we look at", ranked, each
  with a Chinese sentence and the path that explains it; ``window`` in days (90);
- ``GET api/patterns/`` — related risks and communities.

District officers get answers from their district's view of the graph; a node outside it is
answered as unknown (404), exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from pqrisk.accounts.scoping import scope_queryset
from pqrisk.assessment.models import AssessmentCase
from pqrisk.core.graph.query import BadQuery, UnknownNode
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.web.context import can_use_pages

from . import services


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def json_api(view: Callable[..., Any]) -> Callable[..., JsonResponse]:
    """Login required (401), the user's graph (403 otherwise), Chinese errors for bad input
    (400) and unknown nodes (404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return _json({"detail": "未登录或登录已过期"}, 401)
        if not can_use_pages(request.user):
            # Before any parameter is read: a user without a role learns nothing, not even
            # which questions are well formed.
            return _json({"detail": "您的账户没有查询知识图谱的角色。"}, 403)
        try:
            return _json(view(request, *args, **kwargs))
        except PermissionDenied as exc:
            return _json({"detail": str(exc) or "无权访问"}, 403)
        except UnknownNode as exc:
            return _json({"detail": exc.message_zh, "node": exc.node}, 404)
        except NotVisible as exc:
            return _json({"detail": exc.message_zh}, 404)
        except BadQuery as exc:
            return _json({"detail": exc.message_zh}, 400)

    return require_GET(wrapper)


class NotVisible(LookupError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@json_api
def nodes(request: HttpRequest) -> Any:
    return {
        "q": request.GET.get("q", ""),
        "nodes": services.search_for(
            request.user, request.GET.get("q", ""), request.GET.get("limit")
        ),
    }


@json_api
def neighbourhood(request: HttpRequest) -> Any:
    g = request.GET
    return services.neighbourhood_for(
        request.user, g.get("node", "").strip(), g.get("depth"), g.get("limit")
    )


@json_api
def correlations(request: HttpRequest) -> Any:
    g = request.GET
    node = g.get("node", "").strip()
    if not node:
        raise BadQuery("请提供节点编号（node），例如 case:3 或 enterprise:12。")
    return services.suggestions_for(request.user, node, g.get("window"), g.get("limit"))


@json_api
def case_correlations(request: HttpRequest, pk: int) -> Any:
    if not scope_queryset(request.user, AssessmentCase.objects.filter(pk=pk)).exists():
        raise NotVisible(f"未找到评估任务 #{pk}，或您无权查看。")
    g = request.GET
    return services.suggestions_for(request.user, f"case:{pk}", g.get("window"), g.get("limit"))


@json_api
def enterprise_correlations(request: HttpRequest, pk: int) -> Any:
    if not Enterprise.objects.filter(pk=pk).exists():
        raise NotVisible(f"未找到企业 #{pk}。")
    g = request.GET
    return services.suggestions_for(
        request.user, f"enterprise:{pk}", g.get("window"), g.get("limit")
    )


@json_api
def product_correlations(request: HttpRequest, pk: int) -> Any:
    if not Product.objects.filter(pk=pk).exists():
        raise NotVisible(f"未找到产品 #{pk}。")
    g = request.GET
    return services.suggestions_for(request.user, f"product:{pk}", g.get("window"), g.get("limit"))


@json_api
def patterns(request: HttpRequest) -> Any:
    return services.patterns_for(request.user, request.GET.get("window"))
