from django.contrib import admin

from .models import (
    CreditGrade,
    InspectionTask,
    PlanEntry,
    ProductRiskLevel,
    SpotCheckPlan,
    SupervisionMeasure,
    SupervisionTrigger,
)


@admin.register(ProductRiskLevel)
class ProductRiskLevelAdmin(admin.ModelAdmin):
    list_display = ("product_category", "tier", "computed_at")
    list_filter = ("tier",)


@admin.register(CreditGrade)
class CreditGradeAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "grade", "score", "is_current", "computed_at")
    list_filter = ("grade", "is_current", "district")
    search_fields = ("enterprise__name", "enterprise__uscc")
    readonly_fields = ("explanation",)


class PlanEntryInline(admin.TabularInline):
    model = PlanEntry
    extra = 0
    raw_id_fields = ("enterprise",)


@admin.register(SpotCheckPlan)
class SpotCheckPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "period_start", "period_end", "budget", "seed", "created_at")
    inlines = [PlanEntryInline]


@admin.register(SupervisionTrigger)
class SupervisionTriggerAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "rule", "occurred_on", "created_at")
    list_filter = ("rule",)
    search_fields = ("event_key", "enterprise__name")


@admin.register(InspectionTask)
class InspectionTaskAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "reason", "due_date", "status")
    list_filter = ("status", "district")


@admin.register(SupervisionMeasure)
class SupervisionMeasureAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "kind", "decided_on", "decided_by")
    list_filter = ("kind",)
