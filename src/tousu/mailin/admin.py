from django.contrib import admin

from tousu.mailin.models import ReceivedMail


@admin.register(ReceivedMail)
class ReceivedMailAdmin(admin.ModelAdmin):
    """What became of each mail, for operators; the mail itself is not kept."""

    list_display = ("received_at", "door", "outcome", "reason", "size", "complaint")
    list_filter = ("outcome", "door")
    fields = ("received_at", "door", "outcome", "reason", "problems", "size", "complaint")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
