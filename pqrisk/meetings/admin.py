from django.contrib import admin

from .models import AgendaItem, Decision, Meeting, Participant


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    raw_id_fields = ("case",)
    fields = ("order", "case", "signal", "presenter", "notes", "is_open")


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "name", "organisation", "role", "attendance")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "kind", "status", "scheduled_at", "chair")
    list_filter = ("kind", "status")
    search_fields = ("code", "title")
    raw_id_fields = ("chair", "created_by")
    inlines = (AgendaInline, ParticipantInline)


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("agenda_item", "level", "warning_level", "deadline", "warning")
    list_filter = ("level", "warning_level")
    raw_id_fields = ("agenda_item", "warning", "recorded_by")
