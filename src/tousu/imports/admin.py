from django.contrib import admin

from tousu.imports.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """What each ``tousu import`` did, for the administrators; written by the command only."""

    list_display = (
        "started_at",
        "finished_at",
        "source",
        "file_name",
        "rows_read",
        "imported",
        "imported_open",
        "skipped",
        "bad",
        "breached",
    )
    list_filter = ("source",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
