"""The public site (公众版): published consumer advisories (风险提示) for anyone, without login.

What the public may read is decided in one place, :func:`public_advisories`: warnings that are
published *and* issued as consumer advisories. Drafts, warnings in review or approved but not
yet published, lifted warnings, internal notices (风险通报) and industry warnings (风险警示)
never appear, and their ids answer 404.

The pages are rendered without the request's context processors, so they neither read nor
create a session (no cookie for an anonymous visitor, no ``Vary: Cookie``) and are the same
for everyone: a shared cache may keep them for :data:`PUBLIC_MAX_AGE` seconds. Only the bureau's
own consumer-facing fields are shown (title, text, advice, brands, models, batches, photos,
product category and hazard); never reasons, evidence, enterprise names, 文号 or users.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET

from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.warnings import views as warning_views
from pqrisk.warnings.models import Warning

from . import feeds
from .context import PLATFORM_NAME, PLATFORM_OWNER

# Five minutes: long enough for a proxy to absorb a news spike, short enough that a lifted
# advisory leaves shared caches soon after it leaves the site.
PUBLIC_MAX_AGE = 300
PAGE_SIZE = 20
KEYWORD_FIELDS = ("title", "body", "advice", "brands", "product_models", "batches")


def public_cache(view: Callable[..., Any]) -> Callable[..., Any]:
    """Same page for everyone: cacheable by browsers and shared caches for a few minutes.
    An answer other than 200 (404 for an id that is not public) is not cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        else:
            add_never_cache_headers(response)
        return response

    return wrapper


def public_advisories() -> QuerySet[Warning]:
    """Every published consumer advisory, newest first: the only warnings the public sees."""
    published = Warning.objects.filter(status="published")
    # JSON "contains" is not available on SQLite; published warnings are few, so the mode
    # is checked here and the ids go back to the database.
    mode = WarningMode.CONSUMER_ADVISORY.value
    ids = [pk for pk, modes in published.values_list("pk", "modes") if mode in (modes or [])]
    return (
        Warning.objects.filter(pk__in=ids, status="published")
        .select_related("product_category", "hazard")
        .prefetch_related("photos")
        .order_by("-published_at", "-id")
    )


def _with_ancestors(categories: QuerySet[ProductCategory]) -> list[ProductCategory]:
    """The categories in use and the families and classes above them, in catalogue order."""
    seen: dict[int, ProductCategory] = {}
    for category in categories.select_related("parent__parent"):
        node: ProductCategory | None = category
        while node is not None and node.pk not in seen:
            seen[node.pk] = node
            node = node.parent
    return sorted(seen.values(), key=lambda c: c.code)


def _descendant_ids(root: ProductCategory, used: list[ProductCategory]) -> set[int]:
    """``root`` and the categories in ``used`` below it."""
    by_id = {c.pk: c for c in used}
    found = {root.pk}
    for category in used:
        node: ProductCategory | None = category
        while node is not None:
            if node.pk == root.pk:
                found.add(category.pk)
                break
            node = by_id.get(node.parent_id) if node.parent_id else None
    return found


class AdvisorySearch(forms.Form):
    """Keyword, product category, hazard and publication dates; every field optional."""

    q = forms.CharField(label="关键词", required=False, max_length=100)
    category = forms.ModelChoiceField(
        label="产品类别",
        queryset=ProductCategory.objects.none(),
        required=False,
        empty_label="全部",
    )
    hazard = forms.ModelChoiceField(
        label="危害类型", queryset=HazardType.objects.none(), required=False, empty_label="全部"
    )
    since = forms.DateField(
        label="发布日期自", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any, advisories: QuerySet[Warning]) -> None:
        super().__init__(data or None, label_suffix="")
        # Only what the published advisories use: the lists stay short and say nothing
        # about categories or hazards of warnings the public may not see.
        used = ProductCategory.objects.filter(
            pk__in=advisories.exclude(product_category=None).values("product_category")
        )
        self.categories = _with_ancestors(used)
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ModelChoiceField)
        category_field.queryset = ProductCategory.objects.filter(
            pk__in=[c.pk for c in self.categories]
        ).order_by("code")
        hazard_field = self.fields["hazard"]
        assert isinstance(hazard_field, forms.ModelChoiceField)
        hazard_field.queryset = HazardType.objects.filter(
            pk__in=advisories.exclude(hazard=None).values("hazard")
        ).order_by("name")
        q_field = self.fields["q"]
        q_field.widget.input_type = "search"
        q_field.widget.attrs["placeholder"] = "产品、品牌、型号或批次"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("起始日期晚于结束日期，请调整日期范围。")
        return data

    def apply(self, qs: QuerySet[Warning]) -> QuerySet[Warning]:
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if keyword := data.get("q", "").strip():
            cond = Q()
            for name in KEYWORD_FIELDS:
                cond |= Q(**{f"{name}__icontains": keyword})
            qs = qs.filter(cond)
        if category := data.get("category"):
            qs = qs.filter(product_category__in=_descendant_ids(category, self.categories))
        if hazard := data.get("hazard"):
            qs = qs.filter(hazard=hazard)
        if since := data.get("since"):
            qs = qs.filter(published_at__date__gte=since)
        if until := data.get("until"):
            qs = qs.filter(published_at__date__lte=until)
        return qs


def _render(template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render without the request: no context processor may touch the session or the user."""
    context = {
        "platform_name": PLATFORM_NAME,
        "platform_owner": PLATFORM_OWNER,
        "levels": list(WarningLevel),
        **context,
    }
    return HttpResponse(render_to_string(template, context), status=status)


@require_GET
@public_cache
def advisory_list(request: HttpRequest) -> HttpResponse:
    """Published consumer advisories with search, filters and pages."""
    advisories = public_advisories()
    search = AdvisorySearch(request.GET, advisories)
    page_obj = Paginator(search.apply(advisories), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        "web/public_advisories.html",
        {
            "search": search,
            "page_obj": page_obj,
            "advisories": page_obj.object_list,
            "query": query,
            "filtered": bool(
                search.is_bound and search.is_valid() and any(search.cleaned_data.values())
            ),
        },
    )


@require_GET
@public_cache
def advisory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published consumer advisory: how to recognise the product and what to do."""
    warning = public_advisories().filter(pk=pk).first()
    if warning is None:
        # The public's own "not found" page: the site's 404 page is the staff's (navigation,
        # CSRF cookie). Not cached as public: the advisory may be published in a minute.
        return _render("web/public_not_found.html", {}, status=404)
    return _render(
        "web/public_advisory.html",
        {
            "w": warning,
            "photos": list(warning.photos.all()),
            "ident": warning_views.public_identification(warning),
        },
    )


@require_GET
@public_cache
def advisory_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    """A photo of a published consumer advisory; any other photo is a plain 404."""
    try:
        response: HttpResponse = warning_views.public_photo(request, pk, photo_pk)
    except Http404:
        return HttpResponseNotFound("没有这张图片", content_type="text/plain; charset=utf-8")
    return response


# The same advisories as RSS 2.0 and Atom (pqrisk.web.feeds), cacheable like the pages.
advisories_rss = public_cache(feeds.AdvisoryFeed())
advisories_atom = public_cache(feeds.AdvisoryAtomFeed())
