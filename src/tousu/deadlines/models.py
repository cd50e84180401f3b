from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.deadlines.choices import OverrideKind, Unit


class CalendarOverride(models.Model):
    """An administrator's decision that one day is a holiday or a working day.

    It outranks every other source of the calendar. Invariant: one row per day. Written
    only by ``calendar_override_set``/``calendar_override_clear``/``calendar_year_enter``,
    which recompute the open deadlines the day affects.
    """

    day = models.DateField(_("day"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OverrideKind.choices)
    name = models.CharField(
        _("name"), max_length=50, help_text=_("The holiday it belongs to, e.g. 国庆节.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["day"]
        permissions = [
            ("manage_calendar", _("Can enter holiday schedules and change calendar days"))
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.name}"


class CalendarYear(models.Model):
    """The official holiday schedule of ``year`` has been entered.

    Invariant: for such a year the calendar is its overrides plus weekends off; neither
    the ``chinese_calendar`` data nor the statute is consulted, and nothing in it is
    provisional.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    source_note = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("The notice the schedule comes from, e.g. 国办发明电〔2026〕7号."),
    )

    class Meta:
        verbose_name = _("official calendar year")
        verbose_name_plural = _("official calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


OPEN = Q(closed_at__isnull=True)
RUNNING = OPEN & Q(paused_at__isnull=True)


class Deadline(models.Model):
    """The due time of one stage (or reply, follow-up …) of a complaint, of one step of
    an incident's response, or of an improvement action (整改措施).

    Invariants: ``due_at`` is always what ``due_with_pauses`` gives for ``anchor_at``,
    ``amount``, ``unit``, ``business_hours`` and the finished ``pauses`` under the
    current calendar, and ``provisional`` says whether that used a year not yet entered;
    the services keep both true when the calendar changes. While ``paused_at`` is set the
    clock is stopped and the row is neither warned nor breached. A row with
    ``closed_at`` is history and never changes again.
    """

    # The subject: a complaint, an incident or an improvement action, exactly one (see
    # Meta.constraints). Code about complaints filters on ``complaint`` (or reaches rows
    # through one); the worker's sweep sends the others to their own apps.
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    improvement = models.ForeignKey(
        "incidents.ImprovementAction",
        verbose_name=_("improvement action"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    stage = models.CharField(_("stage"), max_length=64)
    kind = models.CharField(_("kind"), max_length=64)
    anchor_at = models.DateTimeField(
        _("counted from"), help_text=_("The event the period is counted from.")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=4)
    # The plan's period before an emergency level scaled it (``amount`` is then the
    # scaled period); null when no level has touched the row.
    base_amount = models.DecimalField(
        _("period before scaling"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    business_hours = models.JSONField(_("business hours"), null=True, blank=True)
    warn_fraction = models.DecimalField(
        _("warn after share of the period"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    warn_lead = models.DurationField(_("warn this long before"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Counted over a year whose official holiday schedule is not entered yet."),
    )
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Finished pauses, [[paused ISO 8601, resumed ISO 8601], …], oldest first.
    pauses = models.JSONField(_("pauses"), default=list, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_reason = models.CharField(_("closed because"), max_length=200, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    complaint__isnull=False, incident__isnull=True, improvement__isnull=True
                )
                | Q(complaint__isnull=True, incident__isnull=False, improvement__isnull=True)
                | Q(complaint__isnull=True, incident__isnull=True, improvement__isnull=False),
                name="deadline_one_subject",
            )
        ]
        indexes = [
            # The worker's two questions are range scans over these partial indexes.
            models.Index(
                fields=["due_at"],
                name="deadline_due_running",
                condition=RUNNING & Q(breached_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="deadline_warn_running",
                condition=RUNNING & Q(warned_at__isnull=True),
            ),
            # Recomputing after a calendar change: open rows counted from before a day.
            # Not on due_at, so the planner cannot prefer it to the worker's index.
            models.Index(fields=["anchor_at"], name="deadline_open_anchor", condition=OPEN),
            models.Index(
                fields=["due_at"],
                name="deadline_open_provisional",
                condition=OPEN & Q(provisional=True),
            ),
        ]

    def __str__(self) -> str:
        if self.complaint_id is not None:
            subject = f"{self.complaint_id}"
        elif self.incident_id is not None:
            subject = f"incident {self.incident_id}"
        else:
            subject = f"improvement {self.improvement_id}"
        return f"{subject}/{self.stage}/{self.kind} due {self.due_at.isoformat()}"
