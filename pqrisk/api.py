"""The JSON API (django-ninja, OpenAPI at /api/docs). Each app contributes a router."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import SessionAuth

ERROR_BODY = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# The refusals every handler can give (the exception handlers below), by when they apply.
REFUSALS = {
    "401": ("未登录或令牌无效", "secured"),
    "403": ("无权访问：账户没有所需的角色", "secured"),
    "404": ("未找到或无权查看", "path"),
    "422": ("请求内容不符合要求（errors 列出每一处）", "input"),
}


class PqriskAPI(NinjaAPI):
    """The API whose schema documents its refusals too: a client (and the contract test)
    knows that a secured operation may answer 401 or 403, one with an id in its path 404,
    and one that reads parameters or a body 422."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                applies = {
                    "secured": bool(operation.get("security")),
                    "path": "{" in path,
                    "input": bool(operation.get("parameters") or operation.get("requestBody")),
                }
                responses = operation.setdefault("responses", {})
                for code, (text, when) in REFUSALS.items():
                    # ninja keys its own codes by int: never add the same code twice
                    if applies[when] and int(code) not in responses:
                        responses.setdefault(
                            code,
                            {
                                "description": text,
                                "content": {"application/json": {"schema": ERROR_BODY}},
                            },
                        )
        return schema


api = PqriskAPI(
    title="pqrisk 工业产品质量安全风险评估预警平台 API",
    version="1",
    urls_namespace="api",
    auth=SessionAuth(),
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "无权访问"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "未找到或无权查看"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "请求内容不符合要求", "errors": exc.errors}, status=422
    )


def _register() -> None:
    from pqrisk.disposal.api import router as disposal_router
    from pqrisk.enterprises.api import router as enterprises_router
    from pqrisk.exchange.api import router as exchange_router
    from pqrisk.intake.api import router as intake_router
    from pqrisk.screening.api import router as screening_router
    from pqrisk.warnings.api import public_router
    from pqrisk.warnings.api import router as warnings_router

    api.add_router("/intake", intake_router, tags=["采集"])
    api.add_router("/risk-infos", screening_router, tags=["风险信息"])
    api.add_router("/warnings", warnings_router, tags=["预警"])
    api.add_router("/tasks", disposal_router, tags=["处置"])
    api.add_router("/public", public_router, tags=["公众"])
    api.add_router("/exchange", exchange_router, tags=["数据交换"])
    api.add_router("/enterprises", enterprises_router, tags=["企业"])
    api.add_router("/dashboard", "pqrisk.dashboard.api.router", tags=["综合看板"])


_register()
