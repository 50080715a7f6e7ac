from django.contrib import admin

from .models import CommunicationActivity


@admin.register(CommunicationActivity)
class CommunicationActivityAdmin(admin.ModelAdmin):
    list_display = ("held_on", "kind", "title", "audience", "created_by")
    list_filter = ("kind",)
    search_fields = ("title", "summary", "participants")
    date_hierarchy = "held_on"
    raw_id_fields = ("warnings", "cases", "signals", "created_by")
    filter_horizontal = ("product_categories",)
