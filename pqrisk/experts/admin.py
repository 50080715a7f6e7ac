from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pqrisk.audit.services import record as audit

from .models import DrawnExpert, Expert, ExpertDraw, ExpertRating, RatingRound


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "title", "availability", "unavailable_until", "user")
    list_filter = ("availability", "product_families", "hazards")
    search_fields = ("name", "organisation", "employer", "conflict_declaration")
    filter_horizontal = ("product_families", "hazards")
    raw_id_fields = ("user", "conflict_enterprises")
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Saved here, after the many-to-many fields: audited like the library page's changes."""
        super().save_related(request, form, formsets, change)
        expert = form.instance
        if not change:
            audit(
                "register_expert",
                expert,
                actor=request.user,
                to_state=expert.availability,
                message=f"管理后台登记专家：{expert.name}（{expert.organisation}）",
            )
        elif form.changed_data:
            labels = [str(form.fields[name].label) for name in form.changed_data]
            audit(
                "update_expert",
                expert,
                actor=request.user,
                to_state=expert.availability,
                message="管理后台修改：" + "、".join(labels),
                detail={"fields": list(form.changed_data)},
            )


class _ReadOnly(admin.ModelAdmin):
    """Draws, rounds and ratings change only through the services (audited): the pages."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DrawnExpertInline(admin.TabularInline):
    model = DrawnExpert
    extra = 0
    can_delete = False
    fields = ("position", "expert", "status", "decline_reason", "replaces", "responded_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExpertDraw)
class ExpertDrawAdmin(_ReadOnly):
    list_display = ("case", "size", "match", "seed", "pool_size", "drawn_by", "drawn_at")
    search_fields = ("case__code", "case__title", "seed")
    inlines = [DrawnExpertInline]


@admin.register(RatingRound)
class RatingRoundAdmin(_ReadOnly):
    list_display = ("case", "number", "started_at", "closed_at", "aggregated_at")
    search_fields = ("case__code",)


@admin.register(ExpertRating)
class ExpertRatingAdmin(_ReadOnly):
    list_display = ("round", "member", "severity", "computed_level", "stated_level", "submitted_at")
    list_filter = ("computed_level", "stated_level")
