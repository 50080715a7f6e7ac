from django.contrib import admin

from .models import Delivery, InboxEntry, Notification, Preference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("channel", "address", "status", "attempts", "last_error", "sent_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "level", "key", "created_at")
    list_filter = ("level",)
    search_fields = ("subject", "key")
    readonly_fields = ("key", "created_at")
    inlines = [DeliveryInline]


@admin.register(InboxEntry)
class InboxEntryAdmin(admin.ModelAdmin):
    list_display = ("notification", "user", "read_at")
    list_filter = ("read_at",)
    raw_id_fields = ("notification", "user")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "address", "status", "attempts", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("address", "notification__subject")
    raw_id_fields = ("notification", "user")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email")
    raw_id_fields = ("user",)
