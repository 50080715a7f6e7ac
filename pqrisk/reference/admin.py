from django.contrib import admin

from .models import District, HazardType, ProductCategory


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "kind")
    search_fields = ("code", "name")


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "ccc", "licensed", "vulnerable_users")
    list_filter = ("level", "ccc", "licensed", "vulnerable_users")
    search_fields = ("code", "name", "keywords")


@admin.register(HazardType)
class HazardTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "default_severity")
    search_fields = ("code", "name", "keywords")
