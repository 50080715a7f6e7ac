from django.contrib import admin

from .models import RiskInfo


@admin.register(RiskInfo)
class RiskInfoAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "source_kind",
        "status",
        "district",
        "product_category",
        "hazard",
        "occurred_at",
    )
    list_filter = ("status", "source_kind", "district", "hazard")
    search_fields = ("title", "text", "enterprise_name")
    raw_id_fields = ("raw_item", "duplicate_of", "enterprise", "product_category")
