"""Staff pages: my notifications (in-app inbox), where I want to be told, and for
administrators the deliveries that failed, to retry."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.core.problems import InvalidInput
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import notification_read, notification_retry, user_channel_set

CHOOSABLE = [
    c for c in Channel.choices if c[0] not in (Channel.IN_APP, Channel.SMS, Channel.CALLBACK)
]


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=CHOOSABLE)
    address = forms.CharField(label=_("Email address or webhook URL"), max_length=500)
    secret = forms.CharField(
        label=_("Signing secret (DingTalk, Feishu)"), required=False, max_length=200
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = (
        Notification.objects.filter(recipient=staff(request), channel=Channel.IN_APP)
        .select_related("complaint")
        .order_by("-created_at")[:100]
    )
    return render(request, "notifications/inbox.html", {"rows": rows})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification_read(user=staff(request), notification_id=pk)
    return redirect("notifications:inbox")


@login_required
def channels(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_channel_set(user=staff(request), **form.cleaned_data)
        except InvalidInput as exc:
            for name, errors in exc.field_errors.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("notifications:channels")
    return render(
        request,
        "notifications/channels.html",
        {"form": form, "mine": staff(request).notification_channels.all()},
    )


@login_required
def failed(request: HttpRequest) -> HttpResponse:
    if not staff(request).has_role("administrator"):
        raise PermissionDenied
    rows = Notification.objects.filter(status=DeliveryStatus.DEAD).select_related(
        "recipient", "complaint"
    )[:200]
    return render(request, "notifications/failed.html", {"rows": rows})


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    if not staff(request).has_role("administrator"):
        raise PermissionDenied
    row = Notification.objects.filter(pk=pk, status=DeliveryStatus.DEAD).first()
    if row is not None:
        notification_retry(notification=row)
        messages.success(request, _("Queued again."))
    return redirect("notifications:failed")
