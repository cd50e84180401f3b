from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One append-only, hash-chained event.

    Invariant: ``seq`` runs 1, 2, 3 … without gaps; ``prev_hash`` is the ``hash`` of the
    event before (64 zeros for the first); ``hash`` is SHA-256 over the canonical JSON of
    this event's content and ``prev_hash``. The events of a complaint form its timeline.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    # {"changes": {field: [before, after]}, ...}: code names only, never translated labels.
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        constraints = [
            # On a complaint's timeline, an incident's, or (logins, plans) neither.
            models.CheckConstraint(
                condition=models.Q(complaint__isnull=True) | models.Q(incident__isnull=True),
                name="audit_at_most_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["complaint", "seq"], name="audit_complaint_seq"),
            models.Index(fields=["incident", "seq"], name="audit_incident_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")


class AuditHead(models.Model):
    """The single row holding the chain's last sequence and hash.

    Appending locks this row, which orders concurrent writers on PostgreSQL; comparing it
    with the last event detects events deleted from the end of the chain.
    """

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq}"
