from django.contrib import admin

from .models import Enterprise, Product


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "district", "kind", "scale", "licensed")
    list_filter = ("district", "kind", "scale", "licensed")
    search_fields = ("name", "uscc")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "model", "category", "enterprise")
    search_fields = ("name", "brand", "model")
