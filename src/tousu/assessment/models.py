from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.assessment.choices import PenaltyStatus, PerformanceEffect


def booking_moment(period: str, fallback: datetime) -> datetime:
    """A booking moment for an entry of ``period`` (``YYYY-MM``): ``fallback`` when it
    falls in that month (Beijing time), else the month's first moment."""
    if not period or f"{timezone.localtime(fallback):%Y-%m}" == period:
        return fallback
    year, month = (int(part) for part in period.split("-"))
    return datetime(year, month, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


class PenaltyEntry(models.Model):
    """One line of the assessment ledger (考核): who, which rule, which complaint, how much.

    Invariants: ``key`` is unique, so a rule applied to the same cause twice (a worker
    run repeated, two workers) gives one entry; entries are never deleted — leadership
    waives them with a reason, and the person may contest them first.
    """

    key = models.CharField(_("key"), max_length=200, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    rule = models.CharField(_("rule"), max_length=64)
    rule_label = models.CharField(_("rule"), max_length=200)
    # The subject: a complaint or an incident, exactly one (see Meta.constraints).
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    performance = models.CharField(
        _("performance effect"), max_length=16, blank=True, choices=PerformanceEffect.choices
    )
    period = models.CharField(_("period"), max_length=7, db_index=True)
    # The moment of the event the entry is booked to (the breach's due time, the repeated
    # complaint's receipt, the action); ``period`` is its month. Reports select by it.
    booked_at = models.DateTimeField(_("booked at"), db_index=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PenaltyStatus.choices, default=PenaltyStatus.ACTIVE
    )
    contest_reason = models.TextField(_("why it is contested"), blank=True)
    waive_reason = models.TextField(_("why it was waived"), blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("waived by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        # Kept where it was created (it moved from the supervision app).
        db_table = "supervision_penaltyentry"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(complaint__isnull=False, incident__isnull=True)
                | models.Q(complaint__isnull=True, incident__isnull=False),
                name="penalty_one_subject",
            )
        ]
        verbose_name = _("penalty entry")
        verbose_name_plural = _("penalty entries")
        ordering = ["period", "person", "pk"]

    def __str__(self) -> str:
        return f"{self.period} {self.person} {self.rule} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        """Keep ``booked_at`` and ``period`` in step when only one is given: without a
        booking moment, the entry's creation if it falls in ``period``, else the first
        moment of ``period`` (Beijing time)."""
        if self.booked_at is None:
            self.booked_at = booking_moment(self.period, self.created_at)
        if not self.period:
            self.period = f"{timezone.localtime(self.booked_at):%Y-%m}"
        super().save(*args, **kwargs)
