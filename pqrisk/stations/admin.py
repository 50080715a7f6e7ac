from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import MonitoringStation
from .services import issue_station_token


@admin.register(MonitoringStation)
class MonitoringStationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "district",
        "status",
        "score",
        "last_report_at",
        "daily_quota",
        "token_prefix",
    )
    list_filter = ("kind", "status", "district")
    search_fields = ("name",)
    # Status, token and score change only through the services (audited): the station page.
    readonly_fields = ("status", "score", "last_report_at", "token_prefix", "token_hash")
    actions = ["issue_tokens"]

    @admin.action(description="签发新的接口令牌（原令牌作废）")
    def issue_tokens(self, request: HttpRequest, queryset: QuerySet[MonitoringStation]) -> None:
        for station in queryset:
            try:
                token = issue_station_token(station, request.user)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
                return
            messages.warning(
                request,
                f"{station.name} 的新令牌（仅显示这一次，请妥善转交）：{token}",
            )
