"""Optimistic concurrency for complaints: every change bumps the version, and a change
based on an older version is refused with a 409."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.core.problems import Conflict


def stale(complaint: Complaint | None = None, version: int | None = None) -> Conflict:
    """The 409 for a form or request based on an old version; it names what changed
    since, when the timeline tells."""
    message = _(
        "Someone else changed this complaint after you opened it. "
        "Reload it to see their change, then make yours again."
    )
    if complaint is not None:
        last = (
            AuditEvent.objects.filter(complaint=complaint, action__in=EventAction.values)
            .order_by("-seq")
            .values_list("action", "data")
            .first()
        )
        if last:
            label = last[1].get("label") or last[1].get("deadline") or ""
            if last[0] == "complaint.escalated":
                message = _(
                    "While you had it open, the deadline “%(label)s” was escalated "
                    "(%(changes)s). Reload the complaint, then make your change again."
                ) % {
                    "label": label,
                    "changes": "、".join(
                        _field_label(n) for n in sorted(last[1].get("changes", {}))
                    )
                    or _("people told"),
                }
            elif label:
                message = _(
                    "While you had it open, “%(label)s” was done on this complaint. "
                    "Reload it, then make your change again."
                ) % {"label": label}
    return Conflict(message, field_errors={"version": [_("This version is out of date.")]})


def _field_label(name: str) -> str:
    try:
        field = Complaint._meta.get_field(name)
        return str(getattr(field, "verbose_name", name))
    except FieldDoesNotExist:  # a change that is not a field (co-owners)
        return str(_("co-owners")) if name == "co_owners" else _("other")


def _bump(complaint: Complaint, version: int, values: dict[str, object]) -> None:
    values["updated_at"] = timezone.now()
    updated = Complaint.objects.filter(pk=complaint.pk, version=version).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise stale(complaint, version)


def bump_version(complaint: Complaint, version: int, **values) -> None:
    """Save ``values`` only if nobody saved since ``version`` was read."""
    _bump(complaint, version, values)
    complaint.refresh_from_db()


def bump_version_in_place(complaint: Complaint, **values) -> None:
    """``bump_version`` for plain values of a complaint read in this transaction, at
    ``complaint.version``: they are set on the instance instead of reading the row back,
    so its loaded relations (plan revision, complainant) stay."""
    version = complaint.version
    _bump(complaint, version, values)
    for name, value in values.items():
        setattr(complaint, name, value)
    complaint.version = version + 1
