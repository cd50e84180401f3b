"""What the public portal keeps for itself: throttle counters, spent proof-of-work
challenges and one-time codes. None of them holds personal data in the clear: a
throttle's key and a code are keyed digests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleCount(models.Model):
    """How often ``scope`` was hit for ``key`` in the fixed window that starts at
    ``window_start``. ``key`` is a keyed digest of what is counted (a client address, a
    phone number, a tracking number), never the value itself. One row per scope, key
    and window, shared by every web process through the database."""

    scope = models.CharField(_("scope"), max_length=40)
    key = models.CharField(_("key digest"), max_length=64)
    window_start = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="portal_throttle_one_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge whose solution was accepted once: the same solution is
    refused when it comes again (kept until the challenge would have expired)."""

    signature = models.CharField(_("challenge signature"), max_length=128, unique=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")

    def __str__(self) -> str:
        return self.signature[:12]


class OneTimeCode(models.Model):
    """A short code sent to the phone or email on record of a complaint, opening its
    tracking page once: only its keyed digest is kept; it expires soon, is spent on first
    use (``used_at``) and is void after ``access.CODE_TRIES`` wrong guesses."""

    complaint = models.ForeignKey(
        "complaints.Complaint",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("complaint"),
    )
    digest = models.CharField(_("code digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Guesses made while it was live (counted before each is compared): past the limit,
    # every live code of the complaint is void.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["complaint", "expires_at"], name="portal_otc_open")]

    def __str__(self) -> str:
        return f"one-time code {self.pk}"
