"""Message texts: the plan's templates (``messages:``) filled with a complaint's values,
or Tousu's own wording when the plan has none for that event."""

from __future__ import annotations

import string

from django.utils import timezone
from django.utils.translation import gettext as _


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _defaults() -> dict[str, str]:
    return {
        "received": _("Your complaint {tracking_no} has been received; we will handle it on time."),
        "reply": _("Reply to your complaint {tracking_no}: {reply}"),
        "closed": _("Your complaint {tracking_no} has been closed. Thank you."),
        "warning": _("Complaint {tracking_no} ({title}) is due at {due_at}: {stage}."),
        "breach": _("Complaint {tracking_no} ({title}) is overdue since {due_at}: {stage}."),
        "reminder": _(
            "Reminder (催办): complaint {tracking_no} ({title}) — {stage}, due {due_at}."
        ),
        "supervision": _(
            "Supervision notice (督办单): complaint {tracking_no} ({title}) must be "
            "handled by {due_at}."
        ),
        "follow_up": _("Follow-up visit due for complaint {tracking_no} ({title})."),
        "handoff": _(
            "Complaint {tracking_no} ({title}) is now yours to act on: {stage}. "
            "Next deadline: {due_at}. {url}"
        ),
        "co_owner": _(
            "You now supervise complaint {tracking_no} ({title}) beside {department}: "
            "{stage}, due {due_at}. {url}"
        ),
    }


def message_kinds() -> set[str]:
    """Every kind of message Tousu has its own wording for."""
    return set(_defaults())


def complaint_context(complaint, **extra) -> dict[str, str]:
    definition = complaint.plan_revision.definition if complaint.plan_revision_id else None
    stage = definition["stages"][complaint.stage]["label"] if definition else ""
    from django.conf import settings

    from tousu.accounts.selectors import organisation_current
    from tousu.complaints.validators import mask_name

    organisation = organisation_current()
    values = {
        "organisation": organisation.name if organisation else "",
        "complainant": mask_name(complaint.complainant.name),
        "url": f"{settings.BASE_URL}/complaints/{complaint.tracking_no}/",
        "tracking_no": complaint.tracking_no,
        "title": complaint.title,
        "category": complaint.category.name,
        "severity": complaint.severity,
        "stage": stage,
        "department": complaint.department.name,
        "assignee": complaint.assignee.display_name if complaint.assignee_id else "",
    }
    for name, value in extra.items():
        if hasattr(value, "astimezone"):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        values[name] = "" if value is None else str(value)
    return values


def message_render(complaint, event: str, **extra) -> tuple[str, str]:
    """(subject, body) of ``event`` for ``complaint``."""
    definition = complaint.plan_revision.definition if complaint.plan_revision_id else {}
    template = (definition or {}).get("messages", {}).get(event) or _defaults().get(event, "")
    body = string.Formatter().vformat(template, (), _Blank(complaint_context(complaint, **extra)))
    # A header is one line: replies may carry line breaks.
    subject = f"[{complaint.tracking_no}] {' '.join(body.split())[:60]}"
    return subject, body
