from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit event or seal through the ORM.

    The database refuses it too (triggers created by ``0006_audit_append_only_triggers``);
    this error only says so earlier and more plainly.
    """


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")


class AuditChain(models.Model):
    """The head of one hash chain: its last sequence number and hash.

    One chain per subject (``complaint:<id>``, ``incident:<id>``), a fixed number of
    sharded chains for events without one (``shard:00`` … ``shard:15``), ``legacy`` for
    the events written before keyed chains (verified the old way) and ``seal`` for the
    seal log. Appending locks only this row, so writers on different chains never wait
    on each other. ``sealed`` is false while the head has moved since the last seal.
    """

    key = models.CharField(_("chain"), max_length=64, unique=True)
    last_seq = models.BigIntegerField(_("last sequence"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default="0" * 64)
    sealed = models.BooleanField(_("sealed"), default=False)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")
        indexes = [
            # The sealer's scan: only the chains that moved since the last seal.
            models.Index(fields=["id"], condition=models.Q(sealed=False), name="audit_unsealed")
        ]

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


class AuditEvent(AppendOnlyModel):
    """One append-only event on one hash chain.

    Invariant: within ``chain``, ``chain_seq`` runs 1, 2, 3 … without gaps and
    ``prev_hash`` is the ``hash`` of the event before (64 zeros for the first);
    ``hash`` is HMAC-SHA256, under the key named ``key_id``, of the canonical JSON of the
    event's content, its chain and ``prev_hash`` (the ``legacy`` chain: plain SHA-256,
    ``key_id`` empty). ``seq``, the primary key, is the global order; it is not part of
    any hash and no writer waits on it. The events of a complaint form its timeline.
    """

    seq = models.BigAutoField(_("sequence"), primary_key=True)
    # The three keys below lead an index of Meta each (``audit_chain_seq``,
    # ``audit_complaint_seq``, ``audit_incident_seq``), which serves their look-ups and
    # cascades: a single-column index beside it would only be written, every event.
    chain = models.ForeignKey(
        AuditChain,
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    chain_seq = models.BigIntegerField(_("sequence in chain"))
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
        db_index=False,
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    # {"changes": {field: [before, after]}, ...}: code names only, never translated labels.
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    key_id = models.CharField(_("key id"), max_length=32, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        constraints = [
            # On a complaint's timeline, an incident's, or (logins, plans) neither.
            models.CheckConstraint(
                condition=models.Q(complaint__isnull=True) | models.Q(incident__isnull=True),
                name="audit_at_most_one_subject",
            ),
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_seq"),
        ]
        indexes = [
            models.Index(fields=["complaint", "seq"], name="audit_complaint_seq"),
            models.Index(fields=["incident", "seq"], name="audit_incident_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditSeal(AppendOnlyModel):
    """One seal: the heads of the chains that moved since the seal before.

    Invariant: ``seq`` runs 1, 2, 3 … without gaps; ``heads`` is a list of
    ``[chain, chain_seq, hash]``; ``hash`` is HMAC-SHA256 (key ``key_id``) over the
    canonical JSON of the seal and ``prev_hash``, the hash of the seal before; and
    ``signature`` is the Ed25519 signature (key ``signing_key_id``) of
    ``tousu-audit-seal:<seq>:<hash>``, which anyone holding the public key can check.
    """

    seq = models.BigIntegerField(_("seal number"), unique=True)
    at = models.DateTimeField(_("at"))
    heads = models.JSONField(_("chain heads"), default=list)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    key_id = models.CharField(_("key id"), max_length=32)
    signing_key_id = models.CharField(_("signing key id"), max_length=32)
    signature = models.CharField(_("signature"), max_length=128)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal #{self.seq}"
