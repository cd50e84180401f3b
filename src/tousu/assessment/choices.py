from django.db import models
from django.utils.translation import gettext_lazy as _


class PenaltyStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    CONTESTED = "contested", _("Contested")
    WAIVED = "waived", _("Waived")
