from django.db import models
from django.utils.translation import gettext_lazy as _


class Door(models.TextChoices):
    SMTP = "smtp", _("SMTP listener")
    IMAP = "imap", _("IMAP mailbox")


class MailOutcome(models.TextChoices):
    CREATED = "created", _("Complaint registered")
    ADDED = "added", _("Added to a complaint")
    IGNORED = "ignored", _("Not answered (auto-reply, bounce or loop)")
    REFUSED_SIZE = "refused_size", _("Refused: too large")
    REFUSED = "refused", _("Refused")
