from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tousu.accounts.models import ApiToken, Department, Organisation, User


@admin.register(User)
class TousuUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), (None, {"fields": ("department", "language")}))
    list_display = ("username", "last_name", "department", "is_active")
    list_filter = ("department", "groups", "is_active")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "is_active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "name", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")
