"""The one row that tells every process whether its cached configuration is current."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfigGeneration(models.Model):
    """Invariant: ``token`` changes, in the same transaction, with every write of a
    configuration table (organisation, plans, categories, departments, the calendar,
    groups and permissions, a user's activity, department or grants). Database triggers
    change it (``tousu.core.config``), so ``.update()`` and raw SQL count too. A random
    value, not a counter: a rolled-back change must never hand a later one its number."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(_("token"), max_length=64)

    class Meta:
        verbose_name = _("configuration generation")
        verbose_name_plural = _("configuration generations")

    def __str__(self) -> str:
        return self.token
