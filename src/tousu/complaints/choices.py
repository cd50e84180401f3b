from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Severity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    MAJOR = "major", _("Major")
    URGENT = "urgent", _("Urgent")


SEVERITY_COLOURS = {"ordinary": "secondary", "major": "warning", "urgent": "danger"}


class Nature(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion")
    PROBLEM = "problem", _("Problem")
    MALICIOUS = "malicious", _("Malicious")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    EXECUTING = "executing", _("Executing")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


STATUS_COLOURS = {
    "registered": "primary",
    "assigned": "info",
    "investigating": "info",
    "awaiting_approval": "warning",
    "executing": "warning",
    "replied": "success",
    "closed": "secondary",
    "archived": "dark",
}


class EventAction(models.TextChoices):
    """Audit actions that belong on a complaint's timeline."""

    REGISTERED = "complaint.registered", pgettext_lazy("timeline", "Registered")
    UPDATED = "complaint.updated", pgettext_lazy("timeline", "Updated")
    ASSIGNED = "complaint.assigned", pgettext_lazy("timeline", "Assigned")
    TRANSFERRED = "complaint.transferred", pgettext_lazy("timeline", "Transferred")
    STATUS_CHANGED = "complaint.status_changed", pgettext_lazy("timeline", "Status changed")
    ATTACHMENT_ADDED = "complaint.attachment_added", pgettext_lazy("timeline", "Attachment added")
    # A plan action performed by the workflow engine; its label comes from the plan.
    ACTION = "complaint.action", pgettext_lazy("timeline", "Action")
    # Done by the worker or a supervisor when time runs short or out.
    ESCALATED = "complaint.escalated", pgettext_lazy("timeline", "Deadline escalation")
    FOLLOW_UP_DUE = "complaint.follow_up_due", pgettext_lazy("timeline", "Follow-up visit due")
    REMINDED = "complaint.reminded", pgettext_lazy("timeline", "Reminder (催办)")
    SUPERVISED = "complaint.supervised", pgettext_lazy("timeline", "Supervision notice (督办单)")
    REPEAT = "complaint.repeat", pgettext_lazy("timeline", "Repeat complaint")
    CONFIDENTIALITY = (
        "complaint.confidentiality",
        pgettext_lazy("timeline", "Confidentiality set or cleared"),
    )
    # Linked to an emergency incident, or its response level changed: deadlines scaled.
    EMERGENCY = "complaint.emergency", pgettext_lazy("timeline", "Emergency response")
    # An improvement action taken from the complaint (incidents.improvements).
    IMPROVEMENT_ADDED = "improvement.added", pgettext_lazy("timeline", "Improvement action added")
    IMPROVEMENT_DONE = "improvement.done", pgettext_lazy("timeline", "Improvement action done")
    IMPROVEMENT_CANCELLED = (
        "improvement.cancelled",
        pgettext_lazy("timeline", "Improvement action cancelled"),
    )
    IMPROVEMENT_WARNING = (
        "improvement.warning",
        pgettext_lazy("timeline", "Improvement action due soon"),
    )
    IMPROVEMENT_OVERDUE = (
        "improvement.overdue",
        pgettext_lazy("timeline", "Improvement action overdue"),
    )


class ParticipantPart(models.TextChoices):
    """Why a person has a part in a case besides its department."""

    ACTED = "acted", _("Acted on it")
    CO_OWNER = "co_owner", _("Co-owner (supervising)")


# Not a change: kept in the audit chain, left off the timeline.
COMPLAINANT_VIEWED = "complainant.viewed"
