from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.core.admin import ReadOnly
from tousu.core.problems import InvalidInput
from tousu.inbound.models import InboundDelivery, InboundSource
from tousu.inbound.sources import (
    inbound_source_add,
    inbound_source_change,
    inbound_source_check,
)


class InboundSourceForm(forms.ModelForm):
    """The secret is write-only: never shown, replaced when a new one is typed; a new
    source without one gets a generated secret, shown once after saving."""

    new_secret = forms.CharField(
        label=gettext_lazy("New signing secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Leave empty to keep the current secret (a new source gets one made for it, "
            "shown once)."
        ),
    )
    callback_url = forms.URLField(
        label=gettext_lazy("callback address"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy(
            "Where Tousu posts when a complaint it delivered is replied to or closed."
        ),
    )

    class Meta:
        model = InboundSource
        fields = ["key", "name", "channel", "callback_url", "is_active", "replay_window"]

    def clean(self):
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            inbound_source_check(
                key=None if self.instance.pk else data.get("key"),
                name=data.get("name") or "",
                channel=data.get("channel") or "",
                callback_url=data.get("callback_url") or "",
                replay_window=data.get("replay_window") or 0,
                secret=data.get("new_secret") or None,
            )
        except InvalidInput as exc:
            for name, errors in exc.field_errors.items():
                field = "new_secret" if name == "secret" else name
                self.add_error(field if field in self.fields else None, ValidationError(errors))
        return data


@admin.register(InboundSource)
class InboundSourceAdmin(admin.ModelAdmin):
    """Sources are added and changed through the services (checked, audited); the
    secret is never shown but once, when it is made."""

    form = InboundSourceForm
    list_display = ("key", "name", "channel", "is_active", "replay_window", "created_at")
    list_filter = ("channel", "is_active")
    search_fields = ("key", "name")

    def get_readonly_fields(self, request, obj=None):
        return ("key", "created_at") if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # deliveries refer to it: deactivate instead

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            # ``obj`` holds the form's values already: the service compares with the row.
            inbound_source_change(
                actor=request.user,
                source=InboundSource.objects.get(pk=obj.pk),
                name=data["name"],
                channel=data["channel"],
                callback_url=data.get("callback_url") or "",
                is_active=data["is_active"],
                replay_window=data["replay_window"],
                secret=data.get("new_secret") or None,
            )
            return
        source, secret = inbound_source_add(
            actor=request.user,
            key=data["key"],
            name=data["name"],
            channel=data["channel"],
            callback_url=data.get("callback_url") or "",
            replay_window=data["replay_window"],
            secret=data.get("new_secret") or None,
        )
        if not data["is_active"]:
            inbound_source_change(
                actor=request.user,
                source=source,
                name=source.name,
                channel=source.channel,
                callback_url=source.callback_url,
                is_active=False,
                replay_window=source.replay_window,
            )
        obj.pk, obj.secret = source.pk, secret  # the admin logs and redirects to it
        if not data.get("new_secret"):
            messages.warning(
                request,
                _(
                    "The signing secret of %(key)s is %(secret)s — give it to the source "
                    "now: it is not shown again."
                )
                % {"key": source.key, "secret": secret},
            )


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(ReadOnly):
    """What sources delivered; the answers (with access codes) are not shown."""

    list_display = ("created_at", "source", "kind", "complaint", "external_id")
    list_filter = ("source", "kind")
    fields = ("source", "idempotency_key", "kind", "complaint", "external_id", "created_at")
