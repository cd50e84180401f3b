from django.db import models
from django.utils.translation import gettext_lazy as _


class PenaltyStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    CONTESTED = "contested", _("Contested")
    WAIVED = "waived", _("Waived")


class PerformanceEffect(models.TextChoices):
    """What an entry does to the person's performance score besides the fine."""

    ZERO = "zero", _("Monthly performance set to zero")
    MANAGEMENT_ZERO = "management_zero", _("Management performance set to zero")
