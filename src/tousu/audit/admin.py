from django.contrib import admin

from tousu.audit.models import AuditEvent, AuditSeal


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit log is read here, never written: events and seals are append-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "at",
        "chain",
        "chain_seq",
        "actor",
        "action",
        "object_type",
        "object_id",
    )
    list_filter = ("action",)
    list_select_related = ("chain", "actor")


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "hash", "key_id", "signing_key_id")
