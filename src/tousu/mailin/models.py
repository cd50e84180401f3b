from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.mailin.choices import Door, MailOutcome


class ReceivedMail(models.Model):
    """One mail that reached a door, and what became of it.

    Invariant: ``key`` (a keyed digest of the Message-ID and the sender) is unique, so the
    same mail, fetched again over IMAP or retried over SMTP, is processed once. Nothing
    of the mail is kept in clear: its text and files live on the complaint it made.
    """

    key = models.CharField(_("mail key"), max_length=64, unique=True)
    door = models.CharField(_("door"), max_length=8, choices=Door.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=MailOutcome.choices)
    # Why, as a code (``loop``, ``auto-submitted``, ``size``, ``invalid:channel`` …).
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    # What was read best-effort (``unknown-charset:x-unknown`` …), as codes.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("received mails")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"mail {self.pk} {self.outcome}"
