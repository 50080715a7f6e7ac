from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import MonitoringStation
from .services import issue_station_token


@admin.register(MonitoringStation)
class MonitoringStationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "district", "status", "score", "token_prefix")
    list_filter = ("kind", "status", "district")
    search_fields = ("name",)
    readonly_fields = ("token_prefix", "token_hash")
    actions = ["issue_tokens"]

    @admin.action(description="签发新的接口令牌（原令牌作废）")
    def issue_tokens(self, request: HttpRequest, queryset: QuerySet[MonitoringStation]) -> None:
        for station in queryset:
            token = issue_station_token(station, request.user)
            messages.warning(
                request,
                f"{station.name} 的新令牌（仅显示这一次，请妥善转交）：{token}",
            )
