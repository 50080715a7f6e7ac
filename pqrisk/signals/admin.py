from django.contrib import admin

from .models import DetectionRun, Signal


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "status", "period_start", "period_end", "score")
    list_filter = ("kind", "status", "granularity")
    search_fields = ("title", "description")
    raw_id_fields = ("risk_infos", "case", "reviewed_by")


@admin.register(DetectionRun)
class DetectionRunAdmin(admin.ModelAdmin):
    list_display = ("kind", "started_at", "series", "alarms", "new_signals", "seconds")
