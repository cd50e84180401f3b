from django.contrib import admin

from tousu.complaints.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "parent", "is_active")
    list_filter = ("is_active",)


# Complaints and complainants are not in the admin on purpose: every change must go
# through the services (timeline, audit, visibility), which the admin would bypass.
