from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    """An emergency incident (应急事件): the second kind of subject beside a complaint.

    Deadlines, notifications, timeline events and penalty entries point at a complaint or
    at an incident (exactly one where they need a subject). This is the row they point
    at; the emergency response — levels, command groups, tasks, reports — builds on it.
    Invariant: ``number`` never changes.
    """

    number = models.CharField(_("incident number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    plan_revision = models.ForeignKey(
        "plans.PlanRevision",
        verbose_name=_("plan revision"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    level = models.CharField(_("response level"), max_length=16, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.number
