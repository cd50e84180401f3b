from django.contrib import admin

from tousu.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Delivery state for operators; addresses stay encrypted and are not listed."""

    list_display = ("created_at", "channel", "recipient", "status", "attempts", "last_error")
    list_filter = ("status", "channel")
    fields = (
        "key",
        "channel",
        "recipient",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "delivered_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
