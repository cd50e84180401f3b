from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.core.crypto import EncryptedTextField
from tousu.reports.choices import JobStatus


class ReportJob(models.Model):
    """A report or an export made in the background: asked for on a page, made by the
    worker (``reports.jobs``), its progress shown while it runs, its files kept under
    ``<media>/reports/<id>/`` for the person who asked.

    Invariants: ``kind`` names a runner registered in ``reports.jobs.RUNNERS``; ``params``
    holds only JSON values and no personal data — what may name a person (a search for a
    phone number or a name) is in ``sealed``, encrypted at rest; a job is claimed by one
    worker (row lock, SKIP LOCKED) and moves queued → running → done | failed, never back.
    A done job's files are deleted after ``REPORT_FILES_KEPT`` days (``expired_at`` set,
    ``files`` emptied); ``personal_data`` says its files hold unmasked personal data, so
    only a person who may still see it downloads them.
    """

    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # JSON of the parameters that may hold personal data, as a Fernet token.
    sealed = EncryptedTextField(_("sealed parameters"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    # {format: file name under the job's directory}, e.g. {"docx": "report.docx"}
    files = models.JSONField(_("files"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    personal_data = models.BooleanField(_("holds personal data"), default=False)
    expired_at = models.DateTimeField(_("files deleted at"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="reportjob_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"

    @property
    def sealed_params(self) -> dict[str, Any]:
        """The parameters kept encrypted (``{}`` when there are none)."""
        return json.loads(self.sealed) if self.sealed else {}

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
