from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.core.crypto import EncryptedTextField
from tousu.notifications.choices import Channel, DeliveryStatus


class Notification(models.Model):
    """One message in the outbox.

    Written in the same transaction as the change that causes it, delivered by the worker
    afterwards. Invariants: ``key`` is unique, so the same cause never queues the same
    message twice; a row is claimed by one worker at a time (``lease_until``); it ends
    ``delivered`` or, after ``settings.NOTIFICATION_MAX_ATTEMPTS`` tries, ``dead``.
    Addresses and signing secrets are encrypted: they may be complainants' contacts.
    """

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    address = EncryptedTextField(_("address"), blank=True)
    secret = EncryptedTextField(_("signing secret"), blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    # Encrypted too: a complainant's message may carry their access code or a one-time
    # code, and a staff message names cases and people.
    body = EncryptedTextField(_("message"))
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # About a complaint, an incident, or (an account's own messages) neither.
            models.CheckConstraint(
                condition=Q(complaint__isnull=True) | Q(incident__isnull=True),
                name="notification_at_most_one_subject",
            )
        ]
        indexes = [
            # The worker's question: what is due to be tried now?
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due",
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]),
            ),
            models.Index(fields=["recipient", "channel", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key}"


class UserChannel(models.Model):
    """Where a staff member wants to be told: their email, or a group robot's webhook."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_channels",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = EncryptedTextField(_("address or webhook URL"))
    secret = EncryptedTextField(_("signing secret"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="user_channel_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.channel}"
