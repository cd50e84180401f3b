from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.supervision.choices import RunStatus


class WorkerRun(models.Model):
    """One pass of the worker: when, what it did, and what went wrong."""

    worker = models.CharField(_("worker"), max_length=100)
    now = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    counts = models.JSONField(_("counts"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("worker run")
        verbose_name_plural = _("worker runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.worker} {self.started_at:%Y-%m-%d %H:%M:%S}"
