from django.contrib import admin

from .models import MonitoringStation


@admin.register(MonitoringStation)
class MonitoringStationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "district", "status", "score", "token_prefix")
    list_filter = ("kind", "status", "district")
    search_fields = ("name",)
    readonly_fields = ("token_prefix", "token_hash")
