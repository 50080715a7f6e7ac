"""Pages of the expert library and expert assessment. Views show; services change.

Who sees what: the library, draws and panels are for the assessment centre and the city
bureau (``services.STAFF_ROLES``); an expert sees "我的评估任务" — the cases they were drawn
for — and rates them. Others get 403. Experts do not see each other's ratings: in a Delphi
round they see the previous round's anonymous summary only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.accounts.choices import Role
from pqrisk.assessment.cases import CaseError
from pqrisk.assessment.choices import CaseStatus
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.services import history
from pqrisk.core.assessment.draw import Availability
from pqrisk.core.assessment.matrix import SEVERITY_LABELS, AssessmentResult
from pqrisk.core.levels import RiskLevel
from pqrisk.web.context import can_use_pages
from pqrisk.web.feedback import service_error

from . import services
from .choices import ACTION_LABELS
from .forms import (
    EXTRA_STEP_ROWS,
    DrawForm,
    ExpertFilter,
    ExpertForm,
    RatingForm,
    rating_initial,
)
from .models import DrawnExpert, Expert, ExpertDraw, RatingRound
from .policy import expert_policy

PAGE_SIZE = 50
CASE_STATES = (
    CaseStatus.ASSESSING,
    CaseStatus.EXPERT_REVIEW,
    CaseStatus.CONSULTATION,
    CaseStatus.CONCLUDED,
)


def _guard(
    test: Callable[[Any], bool], refusal: str
) -> Callable[[Callable[..., HttpResponse]], Any]:
    def decorate(view: Callable[..., HttpResponse]) -> Any:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_use_pages(request.user) or not test(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


staff_page = _guard(
    lambda u: u.has_role(*services.STAFF_ROLES),
    "专家库与专家评估管理仅向评估中心、市局监管处和市局管理员开放。",
)
expert_page = _guard(lambda u: u.has_role(Role.EXPERT), "此页面仅向专家开放。")


def _trail(*objs: Any) -> list[Any]:
    events = sorted((e for obj in objs for e in history(obj)), key=lambda e: (e.at, e.pk))
    for e in events:
        e.action_zh = ACTION_LABELS.get(e.action, e.action)  # type: ignore[attr-defined]
    return events


# ---------------------------------------------------------------- the library


@require_GET
@staff_page
def expert_list(request: HttpRequest) -> HttpResponse:
    filter_form = ExpertFilter(request.GET)
    qs = (
        Expert.objects.prefetch_related("product_families", "hazards")
        .select_related("user")
        .annotate(
            n_draws=Count(
                "draws", filter=Q(draws__status__in=("drawn", "accepted")), distinct=True
            ),
            last_drawn=Max("draws__created_at"),
        )
        .order_by("name", "id")
    )
    page_obj = Paginator(filter_form.apply(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(Expert.objects.values_list("availability").annotate(n=Count("id")).order_by())
    summary = {
        "total": sum(counts.values()),
        "by_availability": [(a.label, counts.get(a.value, 0)) for a in Availability],
        "without_account": Expert.objects.filter(user=None).count(),
    }
    return render(
        request,
        "experts/expert_list.html",
        {"filter_form": filter_form, "page_obj": page_obj, "summary": summary},
    )


@staff_page
def expert_new(request: HttpRequest) -> HttpResponse:
    form = ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            expert = services.register_expert(request.user, **form.service_data())
        except CaseError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(request, f"已登记专家：{expert.name}")
            return redirect("experts:expert_detail", pk=expert.pk)
    return render(request, "experts/expert_form.html", {"form": form, "expert": None})


@staff_page
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expert = get_object_or_404(Expert, pk=pk)
    form = ExpertForm(request.POST or None, expert=expert)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_expert(expert, request.user, **form.service_data())
        except CaseError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(request, f"已保存专家信息：{expert.name}")
            return redirect("experts:expert_detail", pk=expert.pk)
    return render(request, "experts/expert_form.html", {"form": form, "expert": expert})


@require_GET
@staff_page
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = get_object_or_404(
        Expert.objects.select_related("user", "created_by").prefetch_related(
            "product_families", "hazards", "conflict_enterprises"
        ),
        pk=pk,
    )
    draws = (
        expert.draws.select_related("draw__case", "replaces__expert")
        .annotate(n_ratings=Count("ratings"))
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "experts/expert_detail.html",
        {"expert": expert, "draws": draws, "trail": _trail(expert)},
    )


# ---------------------------------------------------------------- cases: draw and panel


@require_GET
@staff_page
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases that can have, or have had, an expert panel."""
    qs = (
        AssessmentCase.objects.filter(
            Q(status__in=(CaseStatus.ASSESSING, CaseStatus.EXPERT_REVIEW))
            | Q(expert_draws__isnull=False)
        )
        .filter(status__in=CASE_STATES)
        .select_related("product_category", "hazard", "enterprise")
        .annotate(
            n_members=Count(
                "expert_draws__members",
                filter=Q(expert_draws__members__status__in=("drawn", "accepted")),
                distinct=True,
            ),
            n_rounds=Count("rating_rounds", distinct=True),
        )
        .distinct()
        .order_by("-opened_at", "-id")
    )
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "experts/case_list.html", {"page_obj": page_obj})


def _case(pk: int) -> AssessmentCase:
    return get_object_or_404(
        AssessmentCase.objects.select_related(
            "product_category", "hazard", "enterprise", "matrix_assessment"
        ),
        pk=pk,
    )


@staff_page
def case_draw(request: HttpRequest, pk: int) -> HttpResponse:
    """The draw page: criteria and the draw (POST), then its record: seed, pool, drawn
    experts and replacements, excluded experts with the rule that excluded each."""
    case = _case(pk)
    policy = expert_policy()
    form = DrawForm(request.POST or None, initial={"size": policy.panel_size, "match": "any"})
    if request.method == "POST" and form.is_valid():
        try:
            services.draw_experts(
                case, request.user, size=form.cleaned_data["size"], match=form.cleaned_data["match"]
            )
        except (CaseError, PermissionDenied) as exc:
            service_error(request, exc)
        else:
            messages.success(request, "已完成随机抽取，抽取记录如下")
            return redirect("experts:case_draw", pk=case.pk)
    draw: ExpertDraw | None = ExpertDraw.objects.filter(case=case).first()
    members: list[DrawnExpert] = (
        list(
            draw.members.select_related("expert", "replaces__expert", "responded_by").order_by(
                "position"
            )
        )
        if draw
        else []
    )
    return render(
        request,
        "experts/case_draw.html",
        {
            "case": case,
            "facts": services.case_facts(case),
            "policy": policy,
            "form": form,
            "may_draw": draw is None and case.status in services.DRAW_STATES,
            "draw": draw,
            "members": members,
            "verified": services.order_verified(draw) if draw else False,
            "reserve": len(draw.order) - len(members) if draw else 0,
            "trail": _trail(draw, *members) if draw else [],
        },
    )


@require_POST
@login_required
def respond(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or decline a draw: the expert on "我的评估任务", or staff on the draw page."""
    member = get_object_or_404(DrawnExpert.objects.select_related("expert", "draw"), pk=pk)
    accept = request.POST.get("decision") == "accept"
    try:
        replacement = services.respond_to_draw(
            member, request.user, accept=accept, reason=request.POST.get("reason", "")
        )
    except CaseError as exc:
        service_error(request, exc)
    else:
        if accept:
            messages.success(request, f"{member.expert.name}已确认参加")
        elif replacement is not None:
            messages.success(
                request,
                f"{member.expert.name}已拒绝参加，由{replacement.expert.name}替补",
            )
        else:
            messages.warning(request, f"{member.expert.name}已拒绝参加，备选专家已用尽，无人替补")
    if services.is_own_member(member, request.user):
        return redirect("experts:my_tasks")
    return redirect("experts:case_draw", pk=member.draw.case_id)


def _rounds(case: AssessmentCase) -> list[RatingRound]:
    rounds = list(RatingRound.objects.filter(case=case).order_by("number"))
    for rnd in rounds:
        ratings = rnd.ratings.select_related("member__expert").order_by("member__position")
        rnd.rows = list(ratings)  # type: ignore[attr-defined]
    return rounds


@require_GET
@staff_page
def case_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's expert panel: members, ratings per round, each round's aggregate with its
    spread, the Delphi flag and dissent, and the final level the rule gives."""
    case = _case(pk)
    rnd = services.current_round(case)
    decision = services.final_decision(case)
    return render(
        request,
        "experts/case_panel.html",
        {
            "case": case,
            "draw": ExpertDraw.objects.filter(case=case).first(),
            "members": services.active_members(case).order_by("position"),
            "rounds": _rounds(case),
            "current": rnd,
            "decision": decision,
            "in_review": case.status == CaseStatus.EXPERT_REVIEW,
            "model_level": services.model_level(case),
        },
    )


def _case_action(
    request: HttpRequest, pk: int, action: Callable[[AssessmentCase], Any], done: str
) -> HttpResponse:
    case = _case(pk)
    try:
        action(case)
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, done)
    return redirect("experts:case_panel", pk=case.pk)


@require_POST
@staff_page
def case_aggregate(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(
        request, pk, lambda c: services.aggregate_round(c, request.user), "已汇总专家评估"
    )


@require_POST
@staff_page
def case_next_round(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(
        request, pk, lambda c: services.start_next_round(c, request.user), "已开展下一轮专家评估"
    )


@require_POST
@staff_page
def case_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(
        request,
        pk,
        lambda c: services.conclude_from_experts(
            c, request.user, conclusion=request.POST.get("conclusion", "")
        ),
        "已根据专家评估形成结论",
    )


# ---------------------------------------------------------------- the expert's own pages


@require_GET
@expert_page
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的评估任务: the cases the signed-in expert was drawn for."""
    user: Any = request.user
    profile = Expert.objects.filter(user=user).first()
    rows = list(services.assignments(request.user))
    for m in rows:
        case = m.draw.case
        rnd = services.current_round(case)
        m.round = rnd  # type: ignore[attr-defined]
        m.rated = bool(rnd and rnd.ratings.filter(member=m).exists())  # type: ignore[attr-defined]
        m.may_rate = bool(  # type: ignore[attr-defined]
            m.active and rnd and rnd.open and case.status == CaseStatus.EXPERT_REVIEW
        )
    return render(request, "experts/my_tasks.html", {"profile": profile, "rows": rows})


@expert_page
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The rating form of one case: severity, a probability per step, the matrix level
    (计算等级 shows it without saving), the stated level, suggestions and dissent."""
    member = get_object_or_404(DrawnExpert.objects.select_related("expert", "draw__case"), pk=pk)
    if member.expert.user_id != request.user.pk:
        raise PermissionDenied("这不是您的评估任务：只有被抽取的专家本人可以评分。")
    case = _case(member.draw.case_id)
    services.panel_member(case, request.user)  # 403 for a declined expert
    rnd = services.current_round(case)
    steps = services.case_steps(case)
    mine = rnd.ratings.filter(member=member).first() if rnd else None
    rows = max(len(mine.steps) if mine else len(steps), len(steps)) + EXTRA_STEP_ROWS
    form = RatingForm(request.POST or None, rows=rows, initial=rating_initial(steps, mine))
    result: AssessmentResult | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "preview" in request.POST:
                result = services.preview_rating(
                    case, severity=data["severity"], steps=data["steps"]
                )
            else:
                services.submit_rating(
                    case,
                    request.user,
                    severity=data["severity"],
                    steps=data["steps"],
                    stated_level=data["stated_level"],
                    level_reason=data["level_reason"],
                    suggestions=data["suggestions"],
                    comment=data["comment"],
                )
                messages.success(request, f"已提交{case.code}第{rnd.number if rnd else 1}轮评分")
                return redirect("experts:rate", pk=member.pk)
        except CaseError as exc:
            form.add_error(None, exc.message_zh)
    previous = None
    if rnd is not None and rnd.number > 1:
        previous = RatingRound.objects.filter(case=case, number=rnd.number - 1).first()
    return render(
        request,
        "experts/rate.html",
        {
            "case": case,
            "member": member,
            "round": rnd,
            "form": form,
            "reference_steps": steps,
            "mine": mine,
            "mine_level": RiskLevel(mine.level) if mine else None,
            "result": result,
            "previous": previous,
            "may_rate": bool(rnd and rnd.open and case.status == CaseStatus.EXPERT_REVIEW),
            "evidence": case.evidence.all()[:20],
            "severity_labels": SEVERITY_LABELS.items(),
        },
    )
