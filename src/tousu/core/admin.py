from django.contrib import admin


class ReadOnly(admin.ModelAdmin):
    """Rows written by services only: staff read them here, change them through Tousu."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
