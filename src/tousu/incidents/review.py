"""After the response (总结评估): the figures against the plan's targets, causes and
lessons, improvement actions (整改措施) the worker chases, accountability (责任追究) in
the assessment ledger, and a proposed plan revision for the administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.audit.services import audit_record
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.deadlines.models import Deadline
from tousu.incidents.choices import IncidentStatus
from tousu.incidents.command import is_commander
from tousu.incidents.improvements import improvement_add, improvement_complete
from tousu.incidents.models import ImprovementAction, Incident, Review
from tousu.incidents.notify import incident_notify
from tousu.incidents.response import CLOSED_WITH_INCIDENT, text_required
from tousu.plans.schema import Duration


@dataclass(frozen=True)
class Improvement:
    title: str
    owner: User
    due_on: date


@dataclass(frozen=True)
class Accountability:
    person: User
    reason: str
    amount: Decimal = Decimal(0)
    performance: str = ""


def _seconds(duration: Duration | None) -> int | None:
    if duration is None:
        return None
    hours = {"hours": 1, "working_hours": 1, "days": 24, "working_days": 24}[duration.unit.value]
    return int(duration.amount * hours * 3600)


def _span(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if start and end else None


def _against(row: Deadline | None, done: datetime | None) -> dict:
    due = row.due_at if row is not None else None
    return {
        "due_at": due.isoformat() if due else None,
        "done_at": done.isoformat() if done else None,
        "met": bool(done and due and done <= due),
    }


def incident_figures(incident: Incident) -> dict:
    """What the response took, against the plan's targets (seconds): from the first
    signal (the first linked complaint's receipt, else the report) to activation; each
    task, report upward and situation report against its due time; statements."""
    plan = incident.plan
    emergency = plan.emergency
    assert emergency is not None
    first = incident.complaints.order_by("received_at").values_list("received_at", flat=True)
    signal = min([incident.opened_at, *first[:1]])
    rows = Deadline.objects.filter(incident=incident)
    tasks = [
        {
            "label": t.label,
            "group": plan.groups[t.group].label if t.group in plan.groups else t.group,
            "owner": t.owner.display_name if t.owner else "",
            **_against(t.deadline, t.done_at),
            "took": _span(incident.activated_at, t.done_at),
        }
        for t in incident.tasks.select_related("deadline", "owner")
    ]
    upward = [
        {"label": u.authority_label, **_against(u.deadline, u.reported_at)}
        for u in incident.upward.select_related("deadline")
    ]
    situation = rows.filter(kind="situation")
    statements = incident.statements.exclude(published_at=None).order_by("published_at")
    first_statement = statements.first()
    targets = emergency.targets
    return {
        "activate": {
            "took": _span(signal, incident.activated_at),
            "target": _seconds(targets.activate),
        },
        "acknowledge": {"target": _seconds(targets.acknowledge)},
        "classify": {"target": _seconds(targets.classify)},
        "tasks": tasks,
        "upward": upward,
        "situation": {
            "filed": incident.situations.count(),
            "missed": situation.exclude(breached_at=None).count(),
        },
        "statements": {
            "published": statements.count(),
            "first_after": _span(
                incident.activated_at, first_statement.published_at if first_statement else None
            ),
        },
        "deadlines": {
            "met": rows.exclude(closed_at=None)
            .filter(breached_at=None)
            .exclude(closed_reason=CLOSED_WITH_INCIDENT)
            .count(),
            "missed": rows.exclude(breached_at=None).count(),
            # Still open when the response closed: neither met nor run out.
            "undone": rows.filter(breached_at=None, closed_reason=CLOSED_WITH_INCIDENT).count(),
        },
        "lasted": _span(incident.activated_at, incident.closed_at),
    }


def review_file(
    *,
    incident: Incident,
    actor: User,
    causes: str,
    lessons: str,
    improvements: list[Improvement] = (),  # type: ignore[assignment]
    accountability: list[Accountability] = (),  # type: ignore[assignment]
    revision_source: str = "",
    now: datetime | None = None,
) -> Review:
    """File the review of a closed incident (by the commander or a deputy)."""
    from tousu.plans.services import plan_load

    now = now or timezone.now()
    if not is_commander(incident, actor):
        raise NotAllowed(_("Only the commander or a deputy files the review."))
    causes = text_required("causes", causes, limit=20000)
    lessons = text_required("lessons", lessons, limit=20000)
    errors: dict[str, list[str]] = {}
    today = timezone.localtime(now).date()
    for index, item in enumerate(improvements):
        if not item.title.strip():
            errors[f"improvements.{index}.title"] = [_("Give the improvement.")]
        if item.due_on < today:
            errors[f"improvements.{index}.due_on"] = [_("Cannot be in the past.")]
        elif item.due_on > today + timedelta(days=5 * 366):
            errors[f"improvements.{index}.due_on"] = [_("At most five years ahead.")]
    for index, entry in enumerate(accountability):
        if not entry.reason.strip():
            errors[f"accountability.{index}.reason"] = [_("Say what they are held to account for.")]
        if entry.amount < 0:
            errors[f"accountability.{index}.amount"] = [_("Give an amount of zero or more yuan.")]
    if errors:
        raise InvalidInput(_("The review has errors."), field_errors=errors)
    with transaction.atomic():
        locked = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
        if locked.status != IncidentStatus.CLOSED:
            message = (
                _("The incident has been reviewed already.")
                if locked.status == IncidentStatus.REVIEWED
                else _("Close the incident with its outcome before the review.")
            )
            raise Conflict(message, field_errors={"status": [message]})
        revision = None
        if revision_source.strip():
            revision = plan_load(
                source=revision_source,
                author=actor if isinstance(actor, User) else None,
                note=_("Proposed by the review of %(number)s") % {"number": locked.number},
                activate=False,
            )
        review = Review.objects.create(
            incident=locked,
            causes=causes,
            lessons=lessons,
            figures=incident_figures(locked),
            proposed_revision=revision,
            author=actor,
            created_at=now,
        )
        for item in improvements:
            improvement_add(
                title=item.title,
                owner=item.owner,
                due_on=item.due_on,
                actor=actor,
                incident=locked,
                now=now,
            )
        period = f"{timezone.localtime(now):%Y-%m}"
        for index, entry in enumerate(accountability):
            PenaltyEntry.objects.create(
                key=f"incident:{locked.pk}:accountability:{index}:u{entry.person.pk}",
                person=entry.person,
                rule="accountability",
                rule_label=_("Accountability: %(reason)s") % {"reason": entry.reason},
                incident=locked,
                amount=entry.amount,
                performance=entry.performance,
                period=period,
                created_at=now,
            )
        if revision is not None:
            admins = User.objects.filter(is_active=True, groups__name="administrator")
            incident_notify(
                users=admins,
                key=f"incident:{locked.pk}:revision:{revision.pk}",
                incident=locked,
                event="revision",
                now=now,
            )
        Incident.objects.filter(pk=locked.pk).update(
            status=IncidentStatus.REVIEWED, reviewed_at=now, version=locked.version + 1
        )
        audit_record(
            actor=actor,
            action="incident.reviewed",
            object_type="incident",
            object_id=locked.number,
            incident=locked,
            data={
                "causes": causes,
                "lessons": lessons,
                "improvements": [i.title for i in improvements],
                "accountability": [e.person.display_name for e in accountability],
                "proposed_revision": revision.number if revision else None,
            },
        )
    incident.refresh_from_db()
    return review


def improvement_done(
    *, action: ImprovementAction, actor: User, note: str, now: datetime | None = None
) -> ImprovementAction:
    """The owner (or a commander) reports the improvement done (``improvement_complete``)."""
    return improvement_complete(action=action, actor=actor, note=note, now=now)
