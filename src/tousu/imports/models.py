from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One ``tousu import`` of a file (a dry run writes none): when, what, and what came
    of it. Invariant: ``finished_at`` is set once the last batch is written; a run
    without it stopped part way (what its batches wrote stays, and a new run of the
    same file imports the rest)."""

    source = models.CharField(_("source system"), max_length=64)
    file_name = models.CharField(_("file"), max_length=255)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    imported_open = models.PositiveIntegerField(_("imported open"), default=0)
    skipped = models.PositiveIntegerField(_("already imported"), default=0)
    bad = models.PositiveIntegerField(_("bad rows"), default=0)
    breached = models.PositiveIntegerField(_("deadlines breached before the import"), default=0)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name} {self.started_at:%Y-%m-%d %H:%M}"


class ImportedRecord(models.Model):
    """A record of an earlier system that was imported, and the complaint it became.

    Invariant: one row per ``(source, source_id)``, written in the transaction that
    registers the complaint, so importing the same record again is refused by the
    database itself and a re-run of a file skips what is already in."""

    source = models.CharField(_("source system"), max_length=64)
    source_id = models.CharField(_("id in the source system"), max_length=128)
    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="imported_from",
    )
    run = models.ForeignKey(
        ImportRun, verbose_name=_("import run"), on_delete=models.PROTECT, related_name="records"
    )

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="imported_record_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"
