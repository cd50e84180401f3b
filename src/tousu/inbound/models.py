"""Sources that hand complaints over, what they delivered, and the signatures seen."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.complaints.choices import Channel
from tousu.core.crypto import EncryptedTextField
from tousu.inbound.choices import DeliveryKind

REPLAY_WINDOW_DEFAULT = 300
REPLAY_WINDOW_MIN = 30
REPLAY_WINDOW_MAX = 3600


class InboundSource(models.Model):
    """Another system that hands complaints over: an online chat, a WeChat official
    account, a 12345/12315 platform.

    Invariants: ``key`` (in the partner's URL) never changes; ``secret`` signs both ways
    (the partner's requests, Tousu's callbacks) and is stored encrypted, shown once when
    made; complaints it delivers come in through ``channel``. The callback address may
    carry a token, so it is encrypted too.
    """

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    secret = EncryptedTextField(_("signing secret"))
    callback_url = EncryptedTextField(
        _("callback address"),
        blank=True,
        help_text=_("Where Tousu posts when a complaint it delivered is replied to or closed."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    replay_window = models.PositiveIntegerField(
        _("replay window (seconds)"),
        default=REPLAY_WINDOW_DEFAULT,
        validators=[MinValueValidator(REPLAY_WINDOW_MIN), MaxValueValidator(REPLAY_WINDOW_MAX)],
        help_text=_("How far a request's timestamp may be from Tousu's clock."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound source")
        verbose_name_plural = _("inbound sources")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class InboundDelivery(models.Model):
    """One accepted delivery: a new complaint, or material added to one this source
    delivered. Invariant: one row per source and idempotency key (the same key again
    gets this row's answer, never a second complaint); written in the transaction of the
    change it records, so a committed row always has its complaint. ``response`` is the
    first answer as sent (it holds the access code, so it is encrypted)."""

    source = models.ForeignKey(
        InboundSource,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=DeliveryKind.choices)
    body_sha256 = models.CharField(_("SHA-256 of the body"), max_length=64)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_deliveries",
    )
    external_id = models.CharField(_("the source's own reference"), max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField(_("answer status"), default=201)
    response = EncryptedTextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound delivery")
        verbose_name_plural = _("inbound deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"], name="inbound_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.idempotency_key}"


class InboundSignature(models.Model):
    """A request signature seen from a source, kept until its timestamp leaves the
    replay window: the same signature again within it is a replay and is refused."""

    source = models.ForeignKey(
        InboundSource,
        verbose_name=_("source"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    signature = models.CharField(_("signature"), max_length=64)
    expires_at = models.DateTimeField(_("kept until"), db_index=True)

    class Meta:
        verbose_name = _("seen signature")
        verbose_name_plural = _("seen signatures")
        constraints = [
            models.UniqueConstraint(fields=["source", "signature"], name="inbound_signature_once")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.signature[:12]}"
