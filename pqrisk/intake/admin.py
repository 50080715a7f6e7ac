from django.contrib import admin

from .models import IngestBatch, QuarantinedItem, RawItem


@admin.register(RawItem)
class RawItemAdmin(admin.ModelAdmin):
    list_display = ("external_id", "source_kind", "source_name", "received_at")
    list_filter = ("source_kind",)
    search_fields = ("external_id", "source_name")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QuarantinedItem)
class QuarantinedItemAdmin(admin.ModelAdmin):
    list_display = ("received_at", "reason", "location", "message", "resolution")
    list_filter = ("reason", "resolution")
    # Resolved through pqrisk.intake.quarantine only, so that every resolution is audited.
    readonly_fields = (
        "parsed",
        "resolved",
        "resolution",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "replayed_item",
    )


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    list_display = ("source_label", "received_at", "accepted", "duplicates", "quarantined")
