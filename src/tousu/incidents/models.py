from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.incidents.choices import (
    OPEN_STATUSES,
    DrillStatus,
    IncidentSource,
    IncidentStatus,
    ResponderPart,
    StatementStatus,
)

USER = settings.AUTH_USER_MODEL


class Incident(models.Model):
    """An emergency incident (应急事件): the second kind of subject beside a complaint.

    Deadlines, notifications, timeline events and penalty entries point at a complaint or
    at an incident. An incident runs under a plan revision's ``emergency`` part: its
    level is one of the plan's levels, its command structure the plan's groups resolved
    to people. Invariants: ``number`` never changes; ``version`` grows by one on every
    change; ``level`` is blank only while a reported event awaits activation.
    """

    number = models.CharField(_("incident number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"), blank=True)
    plan_revision = models.ForeignKey(
        "plans.PlanRevision",
        verbose_name=_("plan revision"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    level = models.CharField(_("response level"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.ACTIVATED
    )
    source = models.CharField(
        _("started by"),
        max_length=16,
        choices=IncidentSource.choices,
        default=IncidentSource.PERSON,
    )
    # The plan trigger that opened it or last raised its level (key), if any.
    trigger = models.CharField(_("trigger"), max_length=64, blank=True)
    # An event report's class and severity (the plan's category and severity keys).
    category = models.ForeignKey(
        "plans.Category",
        verbose_name=_("event class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(_("severity"), max_length=16, blank=True)
    amount_involved = models.DecimalField(
        _("amount involved (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    people_injured = models.PositiveIntegerField(_("people injured"), default=0)
    # The mass-complaint group it answers (one group is one incident).
    group_key = models.CharField(_("complaint group"), max_length=64, blank=True, db_index=True)
    opened_by = models.ForeignKey(
        USER,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    complaints = models.ManyToManyField(
        "complaints.Complaint",
        through="IncidentComplaint",
        related_name="incidents",
        verbose_name=_("linked complaints"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["status", "-opened_at"], name="incident_status")]
        constraints = [
            # One complaint group is one running incident, however many registrations
            # race; once it is over, a new wave of the same matter is a new incident.
            models.UniqueConstraint(
                fields=["group_key"],
                condition=~Q(group_key="") & Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="incident_one_running_per_group",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def plan(self):
        return self.plan_revision.plan_model

    @property
    def received_at(self):
        return self.opened_at

    # The earliest complaint, when ``incident_open`` had it in hand (this object only).
    _first_complaint: Any = None

    def first_complaint(self):
        """The earliest linked complaint (by reception), or None: the one in hand when
        this object was opened in the running transaction, else read."""
        if self._first_complaint is not None:
            return self._first_complaint
        return self.complaints.order_by("received_at", "pk").first()


class IncidentComplaint(models.Model):
    """A complaint linked to an incident (by a trigger, a mass group or a person)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="links", verbose_name=_("incident")
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        on_delete=models.PROTECT,
        related_name="incident_links",
        verbose_name=_("complaint"),
    )
    reason = models.CharField(_("why linked"), max_length=200, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("linked complaint")
        verbose_name_plural = _("linked complaints")
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "complaint"], name="incident_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.complaint_id}"


class Responder(models.Model):
    """One person in an incident's command structure: the commander (the command group's
    lead), a deputy, or a member of a group, resolved from the plan at activation."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="responders", verbose_name=_("incident")
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="responses", verbose_name=_("person")
    )
    group = models.CharField(_("group"), max_length=64)
    part = models.CharField(_("part"), max_length=16, choices=ResponderPart.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("responder")
        verbose_name_plural = _("responders")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user", "group"], name="responder_once")
        ]
        indexes = [models.Index(fields=["user", "incident"], name="responder_user")]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.group}/{self.user_id}"


class Task(models.Model):
    """A task of the response for a working group (from the plan's ``emergency.tasks``)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("incident")
    )
    key = models.CharField(_("key"), max_length=64)
    label = models.CharField(_("task"), max_length=200)
    group = models.CharField(_("group"), max_length=64)
    owner = models.ForeignKey(
        USER,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="task_once")]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.key}"


class SituationReport(models.Model):
    """A situation report (信息报送), filed on the plan's interval."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="situations", verbose_name=_("incident")
    )
    author = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("situation"))
    level = models.CharField(_("response level"), max_length=16)
    at = models.DateTimeField(_("filed at"), default=timezone.now)

    class Meta:
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id}@{self.at:%Y-%m-%d %H:%M}"


class UpwardReport(models.Model):
    """A report upward (上报) to an authority the plan names, due after activation."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="upward", verbose_name=_("incident")
    )
    authority = models.CharField(_("authority"), max_length=64)
    authority_label = models.CharField(_("authority"), max_length=200)
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    content = models.TextField(_("what was reported"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        USER,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report upward")
        verbose_name_plural = _("reports upward")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "authority"], name="upward_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}→{self.authority}"


class MediaContact(models.Model):
    """One contact with the press (舆情 log): who, from where, what was asked and said."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="media", verbose_name=_("incident")
    )
    outlet = models.CharField(_("outlet"), max_length=200)
    person = models.CharField(_("reporter"), max_length=200, blank=True)
    summary = models.TextField(_("what was asked and answered"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        verbose_name = _("media contact")
        verbose_name_plural = _("media contacts")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.outlet}"


class Statement(models.Model):
    """A public statement: draft → approved by a commander who is not its author →
    published. Invariant: ``text`` does not change once approved."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="statements", verbose_name=_("incident")
    )
    text = models.TextField(_("statement"))
    status = models.CharField(
        _("status"), max_length=16, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    author = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    approved_by = models.ForeignKey(
        USER,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        USER,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("public statement")
        verbose_name_plural = _("public statements")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("author")),
                name="statement_not_self_approved",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/statement {self.pk}"


class Review(models.Model):
    """The review after closure (总结评估): response times against the plan's targets,
    causes, lessons; improvement actions hang on it."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="review", verbose_name=_("incident")
    )
    causes = models.TextField(_("causes"))
    lessons = models.TextField(_("lessons"))
    # Measured response times against the plan's targets (seconds; computed on filing).
    figures = models.JSONField(_("figures"), default=dict)
    proposed_revision = models.ForeignKey(
        "plans.PlanRevision",
        verbose_name=_("proposed plan revision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class ImprovementStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class ImprovementAction(models.Model):
    """An improvement action (整改措施): the one list of them, from an incident's review,
    a drill's evaluation, a complaint or an analysis report (``source_ref``: the reports
    app sits above this one), with an owner and a due date the worker chases.

    Invariants: at least one source is set; ``status`` is done exactly when ``done_at``
    is set and cancelled exactly when ``cancelled_at`` is; a done or cancelled action
    never changes again. Every action, whatever its source, has one deadline row whose
    subject is the action (``deadline``; ``Deadline.improvement`` points back), due at
    the end of ``due_on`` (local time), open while the action is open: the worker's sweep
    warns and breaches it (``chase.improvement_deadline_chase``), so "overdue" is read
    from the row. ``category_key`` and ``merchant`` scope the effect measured afterwards.
    """

    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        related_name="improvements",
        verbose_name=_("incident"),
        null=True,
        blank=True,
    )
    drill = models.ForeignKey(
        "Drill",
        on_delete=models.PROTECT,
        related_name="improvements",
        verbose_name=_("drill"),
        null=True,
        blank=True,
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        on_delete=models.PROTECT,
        related_name="improvements",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
    )
    source_ref = models.CharField(_("report"), max_length=200, blank=True)
    title = models.CharField(_("improvement"), max_length=200)
    category_key = models.CharField(_("category"), max_length=64, blank=True)
    merchant = models.CharField(_("merchant"), max_length=200, blank=True)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ImprovementStatus.choices,
        default=ImprovementStatus.OPEN,
    )
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        USER,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("what was done"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="improvement_status_due"),
            models.Index(fields=["owner", "status"], name="improvement_owner"),
            models.Index(fields=["created_at"], name="improvement_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=False)
                | Q(drill__isnull=False)
                | Q(complaint__isnull=False)
                | ~Q(source_ref=""),
                name="improvement_has_source",
            ),
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_at__isnull=False))
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="improvement_done_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="improvement_cancelled_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def source(self) -> str:
        """Where it comes from: incident, drill, complaint or report."""
        if self.incident_id is not None:
            return "incident"
        if self.drill_id is not None:
            return "drill"
        if self.complaint_id is not None:
            return "complaint"
        return "report"


class Drill(models.Model):
    """A drill (演练) of one plan: run in its own database on its own clock; only this
    record and its report are written here."""

    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, related_name="drills", verbose_name=_("plan")
    )
    plan_revision = models.ForeignKey(
        "plans.PlanRevision",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("plan revision"),
    )
    scenario = models.CharField(_("scenario"), max_length=200)
    scenario_sha256 = models.CharField(_("scenario SHA-256"), max_length=64)
    speed = models.PositiveIntegerField(_("speed"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=DrillStatus.choices, default=DrillStatus.RUNNING
    )
    started_by = models.ForeignKey(
        USER,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    report_html = models.TextField(_("report"), blank=True)
    report_pdf = models.BinaryField(_("report (PDF)"), blank=True, default=b"")
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # One running drill per plan at a time.
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="running"), name="drill_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"drill {self.pk} of {self.plan_id}"
