from django.contrib import admin

from .models import DisposalTask, Feedback


@admin.register(DisposalTask)
class DisposalTaskAdmin(admin.ModelAdmin):
    list_display = (
        "warning",
        "district",
        "level",
        "status",
        "due_at",
        "report_due_at",
        "escalations",
    )
    list_filter = ("status", "level", "district")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("task", "author", "submitted_at")
