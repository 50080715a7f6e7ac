from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from pqrisk.audit.services import record as audit

from .choices import PollStatus
from .models import FeedSubscription
from .services import poll_subscriptions


@admin.register(FeedSubscription)
class FeedSubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "url",
        "interval_minutes",
        "active",
        "last_status",
        "last_polled_at",
        "consecutive_failures",
        "items_new",
    )
    list_filter = ("active", "last_status")
    search_fields = ("name", "url", "site")
    # What polling records is shown, not edited: it is the feed's own history.
    readonly_fields = (
        "created_by",
        "created_at",
        "last_polled_at",
        "last_status",
        "last_error",
        "consecutive_failures",
        "last_batch",
        "items_seen",
        "items_new",
        "etag",
        "last_modified",
        "content_hash",
        "content_error",
    )
    actions = ["poll_now"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            audit(
                "add_feed",
                obj,
                actor=request.user,
                to_state=PollStatus.NEW,
                message=f"添加舆情订阅源 {obj.url}，每{obj.interval_minutes}分钟采集一次",
            )

    @admin.action(description="立即采集所选订阅源")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[FeedSubscription]) -> None:
        for result in poll_subscriptions(list(queryset)):
            level = messages.ERROR if result.failed else messages.SUCCESS
            messages.add_message(request, level, result.summary_zh)
