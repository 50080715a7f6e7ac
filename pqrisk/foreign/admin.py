from django.contrib import admin

from .models import EnterpriseAlias, ForeignAlert, ForeignFeedState, ForeignMatch


@admin.register(ForeignAlert)
class ForeignAlertAdmin(admin.ModelAdmin):
    list_display = (
        "alert_number",
        "origin",
        "alert_date",
        "product_name",
        "made_in_china",
        "status",
    )
    list_filter = ("origin", "status", "made_in_china", "category")
    search_fields = ("alert_number", "product_name", "brand", "model", "manufacturer")
    raw_id_fields = ("raw_item", "enterprise", "risk_info", "case")


@admin.register(ForeignMatch)
class ForeignMatchAdmin(admin.ModelAdmin):
    list_display = ("alert", "enterprise", "method", "confidence", "state")
    list_filter = ("state", "method")
    raw_id_fields = ("alert", "enterprise", "product", "reviewer")


@admin.register(EnterpriseAlias)
class EnterpriseAliasAdmin(admin.ModelAdmin):
    list_display = ("alias", "kind", "enterprise", "source", "created_at")
    list_filter = ("kind",)
    search_fields = ("alias", "key", "enterprise__name")
    raw_id_fields = ("enterprise", "created_by")


@admin.register(ForeignFeedState)
class ForeignFeedStateAdmin(admin.ModelAdmin):
    list_display = ("url", "last_status", "last_polled_at", "last_error")
