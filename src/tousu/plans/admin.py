from django.contrib import admin

from tousu.plans.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "parent", "is_active")
    list_filter = ("is_active",)
