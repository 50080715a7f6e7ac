from django.contrib import admin

from .models import Bulletin, BulletinVersion


class BulletinVersionInline(admin.TabularInline):
    model = BulletinVersion
    fields = ("number", "status", "published", "note", "created_by", "created_at", "content_hash")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "period_start", "period_end", "status", "published_at")
    list_filter = ("kind", "status", "year")
    search_fields = ("title", "theme")
    readonly_fields = ("created_at", "updated_at", "data_generated_at")
    raw_id_fields = ("product_category", "hazard", "created_by", "approved_by")
    inlines = [BulletinVersionInline]


@admin.register(BulletinVersion)
class BulletinVersionAdmin(admin.ModelAdmin):
    list_display = ("bulletin", "number", "status", "published", "created_by", "created_at")
    list_filter = ("published", "status")
    readonly_fields = ("content_hash", "created_at")
    raw_id_fields = ("bulletin", "created_by")
