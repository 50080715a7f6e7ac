"""Admin: lookup and reference. States, results and custody change only through the services
(audited), so they are read-only here; custody entries cannot be edited or deleted at all."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    CustodyEntry,
    RapidTest,
    ResultBatch,
    Sample,
    SamplingTask,
    TestItem,
    ViolationLead,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SamplingTask)
class SamplingTaskAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "status", "channel", "platform", "shop_name", "district")
    list_filter = ("status", "channel", "district")
    search_fields = ("code", "title", "shop_name", "order_number")
    raw_id_fields = ("case", "enterprise", "buyer", "created_by")
    readonly_fields = ("code", "status", "created_by", "created_at", "closed_at")


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "task", "brand", "model", "batch", "seal_number")
    search_fields = ("code", "name", "seal_number", "brand")
    raw_id_fields = ("task", "registered_by")
    readonly_fields = ("code", "task", "registered_by", "registered_at")


@admin.register(CustodyEntry)
class CustodyEntryAdmin(ReadOnlyAdmin):
    list_display = ("sample", "kind", "at", "from_party", "to_party", "seal_intact")
    list_filter = ("kind", "seal_intact")
    search_fields = ("sample__code", "from_party", "to_party")


@admin.register(ResultBatch)
class ResultBatchAdmin(ReadOnlyAdmin):
    list_display = ("task", "source", "lab", "report_number", "rows", "recorded_at")
    list_filter = ("source",)


@admin.register(TestItem)
class TestItemAdmin(ReadOnlyAdmin):
    list_display = ("sample", "name", "standard", "limit_text", "measured_text", "unit", "verdict")
    list_filter = ("verdict", "comparison")
    search_fields = ("sample__code", "name", "standard")


@admin.register(RapidTest)
class RapidTestAdmin(ReadOnlyAdmin):
    list_display = ("task", "sample", "item", "result_text", "unit", "screening", "confirmed_by")
    list_filter = ("screening",)


@admin.register(ViolationLead)
class ViolationLeadAdmin(admin.ModelAdmin):
    list_display = ("code", "sample", "enterprise", "district", "status", "flagged_at")
    list_filter = ("status", "district")
    search_fields = ("code", "summary", "sample__code")
    raw_id_fields = ("task", "sample", "enterprise")
    filter_horizontal = ()
    readonly_fields = (
        "code",
        "task",
        "sample",
        "status",
        "failed_items",
        "rapid_tests",
        "referred_at",
        "closed_at",
        "flagged_at",
    )
