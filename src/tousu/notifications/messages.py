"""Message texts: the plan's templates (``messages:``) filled with a complaint's values,
or Tousu's own wording when the plan has none for that event."""

from __future__ import annotations

import string

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    "one_time_code": COMPLAINANT,
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
    "level": STAFF,
    "reported": STAFF,
    "revision": STAFF,
    "task": STAFF,
    "statement": STAFF,
    "improvement": STAFF,
}
# Kinds that belong to incidents: sent by the emergency response, not the complaint path.
INCIDENT_KINDS = frozenset(
    {
        "emergency",
        "situation",
        "level",
        "reported",
        "revision",
        "task",
        "statement",
        "improvement",
    }
)


# Tousu's own wording, translated when a message is made (one text, not all of them).
_COMPLAINANT_DEFAULTS: dict[str, Promise] = {
    "received": gettext_lazy(
        "Your complaint {tracking_no} has been received; we will handle it on time."
    ),
    "accepted": gettext_lazy(
        "Your complaint {tracking_no} ({title}) has been accepted; we will tell you the "
        "result in time."
    ),
    "refused": gettext_lazy(
        "Your complaint {tracking_no} ({title}) is not accepted: {reason}. You may also "
        "turn to the consumer association, the 12315 hotline or the competent "
        "administrative department."
    ),
    "transferred": gettext_lazy(
        "Your complaint {tracking_no} ({title}) has been passed to {department}, which "
        "will handle it."
    ),
    "extended": gettext_lazy(
        "The time limit for handling your complaint {tracking_no} ({title}) has been "
        "extended to {due_at}: {reason}"
    ),
    "appeal_received": gettext_lazy(
        "Your appeal on complaint {tracking_no} has been received and will be reviewed."
    ),
    "reply": gettext_lazy("Reply to your complaint {tracking_no}: {reply}"),
    "closed": gettext_lazy("Your complaint {tracking_no} has been closed. Thank you."),
    "follow_up": gettext_lazy(
        "About your complaint {tracking_no} ({title}): are you satisfied with how it "
        "was handled? We will call you to ask."
    ),
    "one_time_code": gettext_lazy(
        "Your one-time code for complaint {tracking_no} is {code}. It is valid for "
        "{minutes} minutes; do not give it to anyone."
    ),
}


def portal_url(tracking_no: str, code: str = "") -> str:
    """The complainant's tracking page (public portal), opened by the code when given."""
    from django.conf import settings

    url = f"{settings.BASE_URL}/portal/track/{tracking_no}/"
    return f"{url}?code={code}" if code else url


_STAFF_DEFAULTS: dict[str, Promise] = {
    "warning": gettext_lazy(
        "Complaint {tracking_no} ({title}): “{deadline}” runs out at {due_at} (stage: {stage})."
    ),
    "breach": gettext_lazy(
        "Complaint {tracking_no} ({title}): “{deadline}” ran out at {due_at}, {overdue} ago "
        "(stage: {stage})."
    ),
    "reminder": gettext_lazy(
        "Reminder (催办): complaint {tracking_no} ({title}) — {stage}, due {due_at}."
    ),
    "supervision": gettext_lazy(
        "Supervision notice (督办单): complaint {tracking_no} ({title}) must be "
        "handled by {due_at}."
    ),
    "follow_up": gettext_lazy("Follow-up visit due for complaint {tracking_no} ({title})."),
    "handoff": gettext_lazy(
        "Complaint {tracking_no} ({title}) is now yours to act on: {stage}. "
        "Next deadline: {due_at}. {url}"
    ),
    "co_owner": gettext_lazy(
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
    own = _COMPLAINANT_DEFAULTS if audience == COMPLAINANT else _STAFF_DEFAULTS
    planned = plan.messages.get(event) if plan else None
    if AUDIENCE.get(event, STAFF) != audience:
        planned = None
    template = planned or str(own.get(event, ""))
    context = complaint_context(complaint, **extra)
    if audience == COMPLAINANT:
        # The complainant's link is their tracking page, never the staff pages.
        context["url"] = portal_url(complaint.tracking_no, context.get("access_code", ""))
    body = string.Formatter().vformat(template, (), _Blank(context))
    if audience == COMPLAINANT and context.get("access_code") and "{access_code}" not in template:
        body += "\n" + _(
            "Access code: %(code)s — keep it private; with the number it opens your case."
        ) % {"code": context["access_code"]}
    # A header is one line: replies may carry line breaks. Subjects are shown in lists and
    # mail clients' previews: never a code in them.
    headline = body
    for name in ("access_code", "code"):
        if context.get(name):
            headline = headline.replace(context[name], "••••")
    subject = f"[{complaint.tracking_no}] {' '.join(headline.split())[:60]}"
    return subject, body


def _incident_defaults() -> dict[str, str]:
    return {
        "emergency": _(
            "Emergency response {level} activated: {number} “{title}”. Report to your "
            "post now. {url}"
        ),
        "reported": _(
            "Event reported: {number} “{title}” ({category}) awaits the command group's "
            "decision to activate the plan at {level}. {url}"
        ),
        "level": _("Emergency {number} “{title}”: response level is now {level}. {reason} {url}"),
        "situation": _("Emergency {number} “{title}”: a situation report is due ({due_at}). {url}"),
        "task": _("Emergency {number} “{title}”: task “{task}” is due {due_at}. {url}"),
        "warning": _("Emergency {number} “{title}”: “{deadline}” runs out at {due_at}. {url}"),
        "breach": _(
            "Emergency {number} “{title}”: “{deadline}” ran out at {due_at}, {overdue} ago. {url}"
        ),
        "statement": _("Emergency {number} “{title}”: a public statement awaits approval. {url}"),
        "revision": _(
            "The review of {number} “{title}” proposes a revision of the plan: compare it "
            "with the active one and activate it under Plans."
        ),
        "improvement": _(
            "Improvement action from the review of {number} “{title}”: “{task}”, due "
            "{due_at}. {url}"
        ),
    }


def incident_context(incident, **extra) -> dict[str, str]:
    """The placeholders of an incident's message: the plan's own names. Everyone in the
    response gets the same text, and not all of them may see every linked complaint: so
    ``tracking_no`` is the incident's number, and nothing of a confidential complaint
    (its department included) is named."""
    from django.conf import settings

    from tousu.accounts.selectors import organisation_current

    plan = incident.plan
    emergency = plan.emergency
    level = emergency.level(incident.level) if emergency and incident.level else None
    first = incident.first_complaint()
    organisation = organisation_current()
    category = incident.category or (first.category if first else None)
    severity_key = incident.severity or (first.severity if first else "")
    values = {
        "organisation": organisation.name if organisation else "",
        "number": incident.number,
        "tracking_no": incident.number,
        "title": incident.title,
        # "III级（较大）" in Chinese: plans write "启动{level}应急响应".
        "level": _("level %(key)s (%(label)s)") % {"key": level.key, "label": level.label}
        if level
        else "",
        "category": category.name if category else "",
        "severity": plan.label_of("severities", severity_key) or "" if severity_key else "",
        "stage": incident.get_status_display(),
        "department": first.department.name if first and not first.confidential else "",
        "url": f"{settings.BASE_URL}/incidents/{incident.number}/",
    }
    for name, value in extra.items():
        if hasattr(value, "astimezone"):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        values[name] = "" if value is None else str(value)
    return values


def incident_message_render(incident, event: str, **extra) -> tuple[str, str]:
    """(subject, body) of ``event`` for ``incident``: the plan's text for it when the
    plan has one, else Tousu's own."""
    planned = incident.plan.messages.get(event) if event in INCIDENT_KINDS else None
    template = planned or _incident_defaults().get(event, "")
    values = incident_context(incident, **extra)
    body = string.Formatter().vformat(template, (), _Blank(values))
    if "{url}" not in template and values["url"]:
        body = f"{body} {values['url']}"
    subject = f"[{incident.number}] {' '.join(body.split())[:60]}"
    return subject, body
