from django.contrib import admin

from tousu.supervision.models import PenaltyEntry, WorkerRun


class ReadOnly(admin.ModelAdmin):
    """Rows written by services only: staff read them here, change them through Tousu."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerRun)
class WorkerRunAdmin(ReadOnly):
    list_display = ("started_at", "worker", "now", "status", "counts", "finished_at")
    list_filter = ("status",)


@admin.register(PenaltyEntry)
class PenaltyEntryAdmin(ReadOnly):
    list_display = ("period", "person", "rule_label", "complaint", "amount", "status")
    list_filter = ("period", "status", "rule")
