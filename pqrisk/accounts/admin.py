from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("所属单位", {"fields": ("district", "organisation")}))  # type: ignore[misc]
    list_display = ("username", "last_name", "first_name", "district", "is_active")
    list_filter = ("groups", "district", "is_active")
