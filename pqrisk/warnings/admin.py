from django.contrib import admin

from .models import Warning


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ("title", "level", "status", "scope", "district", "created_at")
    list_filter = ("level", "status", "scope")
    raw_id_fields = ("assessment", "risk_infos")
