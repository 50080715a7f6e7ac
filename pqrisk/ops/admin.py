"""Admin: dead letters and idempotency keys, read-only. A dead letter is re-enqueued or
discarded on its page (/ops/dead-letters/), where the action is audited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DeadLetter, ProcessedTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("task_name", "status", "retries", "failures", "last_failed_at", "exception")
    list_filter = ("status", "task_name", "queue")
    search_fields = ("task_id", "task_name", "exception")
    date_hierarchy = "last_failed_at"


@admin.register(ProcessedTask)
class ProcessedTaskAdmin(ReadOnlyAdmin):
    list_display = ("key", "task_name", "task_id", "done_at")
    list_filter = ("task_name",)
    search_fields = ("key", "task_id")
