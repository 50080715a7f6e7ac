from django.contrib import admin

from .models import (
    DisposalTask,
    EnterpriseOutcome,
    Feedback,
    FeedbackAttachment,
    RecallProgress,
    TaskReassignment,
    TaskReminder,
    TaskRoute,
    TrackingCheck,
    TrackingItem,
)


class TaskRouteInline(admin.TabularInline):
    model = TaskRoute
    extra = 0


@admin.register(DisposalTask)
class DisposalTaskAdmin(admin.ModelAdmin):
    list_display = (
        "warning",
        "district",
        "level",
        "organiser",
        "status",
        "due_at",
        "report_due_at",
        "escalations",
        "escalation_level",
    )
    list_filter = ("status", "level", "organiser", "escalation_level", "district")
    inlines = [TaskRouteInline]


@admin.register(TaskRoute)
class TaskRouteAdmin(admin.ModelAdmin):
    list_display = ("task", "route", "unit", "status", "due_at", "follow_up_due_at")
    list_filter = ("route", "status")


@admin.register(RecallProgress)
class RecallProgressAdmin(admin.ModelAdmin):
    list_display = ("route_item", "units_recovered", "units_in_use", "recorded_at")


@admin.register(TaskReminder)
class TaskReminderAdmin(admin.ModelAdmin):
    list_display = ("task", "kind", "deadline", "escalation_level", "created_at")
    list_filter = ("kind",)


@admin.register(TaskReassignment)
class TaskReassignmentAdmin(admin.ModelAdmin):
    list_display = ("task", "from_district", "to_district", "by", "at")


class AttachmentInline(admin.TabularInline):
    model = FeedbackAttachment
    extra = 0


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("task", "author", "submitted_at", "late", "warning_advice")
    inlines = [AttachmentInline]


@admin.register(EnterpriseOutcome)
class EnterpriseOutcomeAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "outcome", "penalty_amount", "task", "recorded_at")
    list_filter = ("outcome",)


@admin.register(TrackingItem)
class TrackingItemAdmin(admin.ModelAdmin):
    list_display = ("warning", "district", "status", "next_check_at")
    list_filter = ("status",)


@admin.register(TrackingCheck)
class TrackingCheckAdmin(admin.ModelAdmin):
    list_display = ("item", "conclusion", "checked_by", "checked_at")
