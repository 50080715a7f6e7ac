from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ExchangePackage, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "active", "updated_at")
    list_filter = ("province", "active")
    search_fields = ("code", "name")
    # Registered and changed through pqrisk.exchange.yrd only, so that every key is checked
    # and every change audited (the 合作单位 page, pqrisk yrd partner).
    readonly_fields = ("code", "public_key", "registered_by", "registered_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a partner is stopped (停用), not deleted: its packages name it


@admin.register(ExchangePackage)
class ExchangePackageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "direction", "package_id", "issuer_code", "status", "refusal")
    list_filter = ("direction", "status", "refusal")
    search_fields = ("package_id", "title", "issuer_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
