"""The enterprise API: the enterprise profile (企业画像) as JSON.

Scoping as on the pages: city-wide roles see every enterprise; a district officer sees the
enterprises of their district (404 for any other); a user without a bureau role gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from .profile import (
    KIND_LABELS,
    MAX_TIMELINE_LIMIT,
    TIMELINE_PAGE,
    Profile,
    build_profile,
    may_view_profiles,
    visible_enterprises,
)

router = Router()


class TimelineQuery(Schema):
    kind: str = ""
    offset: int = 0
    limit: int = TIMELINE_PAGE


@router.get(
    "/{enterprise_id}/profile",
    response={200: Profile, 400: dict, 403: dict, 404: dict},
    summary="企业画像",
)
def enterprise_profile(request: HttpRequest, enterprise_id: int, q: Query[TimelineQuery]) -> Any:
    """Everything matched to the enterprise that the user may see: records per source and
    year, a timeline (newest first; ``kind`` is a record source such as ``spot_check`` or one
    of ``warning``, ``disposal``, ``lab``, ``case``, ``event``), warnings and disposal, lab
    sampling, events, cases, products, the knowledge-graph neighbourhood and data-quality
    notes."""
    if not may_view_profiles(request.user):
        raise PermissionDenied("您的账户没有查看企业画像的角色。")
    if q.kind and q.kind not in KIND_LABELS:
        kinds = "、".join(KIND_LABELS)
        return Status(400, {"detail": f"时间线类型（kind）须为以下之一：{kinds}；收到“{q.kind}”。"})
    if q.offset < 0 or not 1 <= q.limit <= MAX_TIMELINE_LIMIT:
        return Status(
            400, {"detail": f"offset 须为非负整数，limit 须为 1 至 {MAX_TIMELINE_LIMIT} 的整数。"}
        )
    enterprise = get_object_or_404(visible_enterprises(request.user), pk=enterprise_id)
    return build_profile(
        enterprise,
        request.user,
        timeline_kind=q.kind,
        timeline_offset=q.offset,
        timeline_limit=q.limit,
    )
