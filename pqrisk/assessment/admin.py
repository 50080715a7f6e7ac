from django.contrib import admin

from .models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("risk_info", "method", "severity", "probability", "level", "created_at")
    list_filter = ("level", "method")
    raw_id_fields = ("risk_info",)
