"""Message texts: the plan's templates (``messages:``) filled with a complaint's values,
or Tousu's own wording when the plan has none for that event."""

from __future__ import annotations

import string

from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.core.masks import mask_name


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


COMPLAINANT = "complainant"
STAFF = "staff"

# Who each kind of message is written for. A plan's text for a kind (``messages:``)
# reaches only that audience; the other audience of the same moment gets Tousu's own
# wording (a follow-up visit: the complainant the plan's survey text, staff a reminder).
AUDIENCE = {
    "received": COMPLAINANT,
    "accepted": COMPLAINANT,
    "refused": COMPLAINANT,
    "transferred": COMPLAINANT,
    "extended": COMPLAINANT,
    "appeal_received": COMPLAINANT,
    "review": COMPLAINANT,
    "reply": COMPLAINANT,
    "closed": COMPLAINANT,
    "follow_up": COMPLAINANT,
    "warning": STAFF,
    "breach": STAFF,
    "reminder": STAFF,
    "supervision": STAFF,
    "handoff": STAFF,
    "co_owner": STAFF,
    "transfer": STAFF,
    "dispatch": STAFF,
    "meeting": STAFF,
    # Messages of an emergency response (the incident, not a complaint's path).
    "emergency": STAFF,
    "situation": STAFF,
}
# Kinds that belong to incidents: sent by the emergency response, not the complaint path.
INCIDENT_KINDS = frozenset({"emergency", "situation"})


def _complainant_defaults() -> dict[str, str]:
    return {
        "received": _("Your complaint {tracking_no} has been received; we will handle it on time."),
        "accepted": _(
            "Your complaint {tracking_no} ({title}) has been accepted; we will tell you the "
            "result in time."
        ),
        "refused": _(
            "Your complaint {tracking_no} ({title}) is not accepted: {reason}. You may also "
            "turn to the consumer association, the 12315 hotline or the competent "
            "administrative department."
        ),
        "transferred": _(
            "Your complaint {tracking_no} ({title}) has been passed to {department}, which "
            "will handle it."
        ),
        "extended": _(
            "The time limit for handling your complaint {tracking_no} ({title}) has been "
            "extended to {due_at}: {reason}"
        ),
        "appeal_received": _(
            "Your appeal on complaint {tracking_no} has been received and will be reviewed."
        ),
        "reply": _("Reply to your complaint {tracking_no}: {reply}"),
        "closed": _("Your complaint {tracking_no} has been closed. Thank you."),
        "follow_up": _(
            "About your complaint {tracking_no} ({title}): are you satisfied with how it "
            "was handled? We will call you to ask."
        ),
    }


def _staff_defaults() -> dict[str, str]:
    return {
        "warning": _(
            "Complaint {tracking_no} ({title}): “{deadline}” runs out at {due_at} (stage: {stage})."
        ),
        "breach": _(
            "Complaint {tracking_no} ({title}): “{deadline}” ran out at {due_at}, {overdue} ago "
            "(stage: {stage})."
        ),
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
    """Every kind of message Tousu knows (its own wording or a plan's)."""
    return set(AUDIENCE)


def complaint_context(complaint, **extra) -> dict[str, str]:
    # The complaint's typed plan (``Complaint.plan``): this app sits below plans and
    # names none of its types.
    plan = complaint.plan if complaint.plan_revision_id else None
    stage = plan.stage(complaint.stage).label if plan else ""
    severity = plan.label_of("severities", complaint.severity) if plan else None
    from django.conf import settings

    from tousu.accounts.selectors import organisation_current

    organisation = organisation_current()
    values = {
        "organisation": organisation.name if organisation else "",
        "complainant": mask_name(complaint.complainant.name),
        "url": f"{settings.BASE_URL}/complaints/{complaint.tracking_no}/",
        "tracking_no": complaint.tracking_no,
        "title": complaint.title,
        "category": complaint.category.name,
        "severity": complaint.severity if severity is None else severity,
        "stage": stage,
        "department": complaint.department.name,
        "assignee": complaint.assignee.display_name if complaint.assignee_id else "",
    }
    for name, value in extra.items():
        if hasattr(value, "astimezone"):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        values[name] = "" if value is None else str(value)
    return values


def message_render(complaint, event: str, *, audience: str = STAFF, **extra) -> tuple[str, str]:
    """(subject, body) of ``event`` for ``complaint``, worded for ``audience``: the
    plan's text when it is written for that audience, else Tousu's own."""
    plan = complaint.plan if complaint.plan_revision_id else None
    own = _complainant_defaults() if audience == COMPLAINANT else _staff_defaults()
    planned = plan.messages.get(event) if plan else None
    if AUDIENCE.get(event, STAFF) != audience:
        planned = None
    template = planned or own.get(event, "")
    body = string.Formatter().vformat(template, (), _Blank(complaint_context(complaint, **extra)))
    # A header is one line: replies may carry line breaks.
    subject = f"[{complaint.tracking_no}] {' '.join(body.split())[:60]}"
    return subject, body
