from django.contrib import admin

from tousu.core.admin import ReadOnly
from tousu.supervision.models import WorkerRun


@admin.register(WorkerRun)
class WorkerRunAdmin(ReadOnly):
    list_display = ("started_at", "worker", "now", "status", "counts", "finished_at")
    list_filter = ("status",)
