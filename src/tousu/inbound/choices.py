from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryKind(models.TextChoices):
    """What a delivery from a source did."""

    COMPLAINT = "complaint", _("New complaint")
    MATERIAL = "material", _("Material added")


class CallbackEvent(models.TextChoices):
    """What a callback to a source reports."""

    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
