from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentStatus(models.TextChoices):
    # An event report waiting for the office → leadership relay to activate it.
    REPORTED = "reported", _("Reported, awaiting activation")
    ACTIVATED = "activated", _("Activated")
    RESPONDING = "responding", _("Responding")
    CONTAINED = "contained", _("Contained")
    CLOSED = "closed", pgettext_lazy("incident", "Closed")
    REVIEWED = "reviewed", _("Reviewed")


# The order a response moves through; it never goes back.
STATUS_ORDER = [
    IncidentStatus.REPORTED,
    IncidentStatus.ACTIVATED,
    IncidentStatus.RESPONDING,
    IncidentStatus.CONTAINED,
    IncidentStatus.CLOSED,
    IncidentStatus.REVIEWED,
]
OPEN_STATUSES = [
    IncidentStatus.REPORTED,
    IncidentStatus.ACTIVATED,
    IncidentStatus.RESPONDING,
    IncidentStatus.CONTAINED,
]


class IncidentSource(models.TextChoices):
    PERSON = "person", _("Activated by a person")
    TRIGGER = "trigger", _("Plan trigger")
    ESCALATION = "escalation", _("Supervisor's escalation")
    EVENT = "event", _("Event report")


class ResponderPart(models.TextChoices):
    COMMANDER = "commander", _("Commander")
    DEPUTY = "deputy", _("Deputy commander")
    LEAD = "lead", _("Group lead")
    MEMBER = "member", _("Member")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class DrillStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")
