"""The plan's triggers at run time: urgent or dangerous complaints, mass complaints,
media involvement, a named deadline breached; an event reported without a complaint;
a supervisor's escalation. One complaint, or one group of complaints about the same
matter, is one incident: a later, stronger trigger raises that incident's level."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.audit.bulk import audit_batch
from tousu.complaints.models import Complaint
from tousu.core.actors import SystemActor
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.incidents.activation import (
    EventCase,
    holds,
    incident_level_set,
    incident_link,
    incident_open,
    level_label,
    level_work,
    may_activate,
)
from tousu.incidents.choices import OPEN_STATUSES, IncidentSource, IncidentStatus
from tousu.incidents.command import role_people
from tousu.incidents.models import Incident
from tousu.incidents.notify import incident_notify
from tousu.plans.models import Category, PlanRevision
from tousu.plans.schema import Emergency, EmergencyTrigger, PeakPeriod, Plan

TRIGGER = SystemActor("trigger")


def peak_period(emergency: Emergency, day: date) -> PeakPeriod | None:
    """The plan's peak period (3·15) that ``day`` falls in, if any."""
    stamp = f"{day:%m-%d}"
    for peak in emergency.peak:
        inside = (
            peak.start <= stamp <= peak.end
            if peak.start <= peak.end
            else stamp >= peak.start or stamp <= peak.end  # across the new year
        )
        if inside:
            return peak
    return None


def _level_of(emergency: Emergency, trigger: EmergencyTrigger, now: datetime) -> str:
    """The trigger's level; in a peak period a media trigger takes the peak's level when
    that is the more serious."""
    level = trigger.level
    peak = peak_period(emergency, timezone.localtime(now).date()) if trigger.media else None
    if peak and peak.media_level and emergency.rank(peak.media_level) < emergency.rank(level):
        level = peak.media_level
    return level


def incident_title(cause: str, complaint: Complaint) -> str:
    """An incident's title from what caused it and its first complaint; a confidential
    complaint lends nothing of its content (not everyone in the response may see it)."""
    if complaint.confidential:
        return f"{cause}（{_('confidential complaint')}）"
    return f"{cause}：{complaint.title}"


def open_incident_of(complaint: Complaint) -> Incident | None:
    return (
        Incident.objects.filter(links__complaint=complaint, status__in=OPEN_STATUSES)
        .order_by("opened_at", "pk")
        .first()
    )


def fire(
    *,
    revision: PlanRevision,
    trigger: EmergencyTrigger,
    level: str,
    complaints: list[Complaint],
    now: datetime,
    group_key: str = "",
    title: str = "",
    running: Incident | None = None,
    registered: bool = False,
) -> Incident:
    """The trigger fired for ``complaints`` (all about one matter): link them to the
    matter's running incident — raising its level when this trigger's is more serious —
    or open one at the trigger's level. ``running``: the group's running incident, when
    the caller has locked it already; ``registered``: the complaints were registered in
    this transaction and belong to no group (no incident can hold them yet)."""
    emergency = revision.plan_model.emergency
    assert emergency is not None
    for _attempt in range(3):
        try:
            # The incident's and the linked complaints' events: a chain's at a time.
            with transaction.atomic(), audit_batch():
                if running is None and not (registered and not group_key):
                    running = _running(group_key, complaints)
                incident = running
                if incident is None:
                    return incident_open(
                        revision=revision,
                        title=title or incident_title(trigger.label, complaints[0]),
                        level=level,
                        source=IncidentSource.TRIGGER,
                        actor=TRIGGER,
                        now=now,
                        complaints=complaints,
                        trigger=trigger.key,
                        reason=trigger.label,
                        group_key=group_key,
                    )
                if incident.plan_revision_id == revision.pk:
                    incident.plan_revision = revision  # loaded and parsed already
                linked = set(
                    incident.links.filter(complaint__in=complaints).values_list(
                        "complaint_id", flat=True
                    )
                )
                for complaint in (c for c in complaints if c.pk not in linked):
                    incident_link(
                        incident=incident,
                        complaint=complaint,
                        reason=trigger.label,
                        actor=TRIGGER,
                        now=now,
                    )
                if emergency.rank(level) < emergency.rank(incident.level):
                    incident_level_set(
                        incident=incident,
                        actor=TRIGGER,
                        level=level,
                        reason=trigger.label,
                        now=now,
                        trigger=trigger.key,
                    )
                elif incident.status != IncidentStatus.REPORTED and any(
                    c.media_involved or c.people_injured or c.amount_involved for c in complaints
                ):
                    # What the new complaints bring (media, injuries, money) may call for
                    # the tasks and reports that wait on it.
                    level_work(incident, revision.plan_model, now=now)
                return incident
        except IntegrityError:
            # Another registration opened the group's incident first: join it.
            running = None
            continue
    raise RuntimeError("could not open or join the incident of the group")


def _running(group_key: str, complaints: list[Complaint]) -> Incident | None:
    found = None
    if group_key:
        # Once the group's response is over, a new wave is a new incident.
        found = (
            Incident.objects.select_for_update(no_key=True)
            .filter(group_key=group_key, status__in=OPEN_STATUSES)
            .first()
        )
    if found is None:
        linked = (
            Incident.objects.filter(links__complaint__in=complaints, status__in=OPEN_STATUSES)
            .order_by("opened_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if linked is not None:
            found = Incident.objects.select_for_update(no_key=True).get(pk=linked)
    return found


def complaint_weighed(*, complaint: Complaint, what: str, actor: Any, now: datetime) -> None:
    """The complaint hook: weigh the plan's triggers against a registered or changed
    complaint (inside its transaction)."""
    if complaint.plan_revision_id is None:
        return
    revision = complaint.plan_revision
    assert revision is not None
    plan = revision.plan_model
    emergency = plan.emergency
    if emergency is None:
        return
    _peak_first_contact(complaint, emergency, what, actor, now)
    fired: list[tuple[EmergencyTrigger, str]] = []
    for trigger in emergency.triggers:
        if trigger.mass or trigger.breach:
            continue
        if trigger.media and not complaint.media_involved:
            continue
        if trigger.when is not None and not holds(trigger.when, complaint):
            continue
        if not trigger.media and trigger.when is None:
            continue
        fired.append((trigger, _level_of(emergency, trigger, now)))
    fired.sort(key=lambda pair: emergency.rank(pair[1]))
    # A change of a complaint already in a response at that level or above adds nothing
    # (the engine's state says at which level its response runs: no query).
    under = ((complaint.workflow or {}).get("emergency") or {}).get("level")
    if fired and (not under or emergency.rank(fired[0][1]) < emergency.rank(under)):
        trigger, level = fired[0]
        fire(
            revision=revision,
            trigger=trigger,
            level=level,
            complaints=[complaint],
            now=now,
            registered=what == "registered",
        )
        under = level
    if what == "registered" and any(t.mass for t in emergency.triggers):
        _mass(complaint, revision, plan, now)
    if complaint.emergency_marked and not under and open_incident_of(complaint) is None:
        # A person asked to activate the plan (the plan's mark_emergency action): the
        # engine checked their role; the level is the plan's least serious unless a
        # trigger fired above.
        incident_open(
            revision=revision,
            title=incident_title(_("Emergency activation"), complaint),
            level=emergency.levels[-1].key,
            source=IncidentSource.PERSON,
            actor=actor,
            now=now,
            complaints=[complaint],
            reason=_("Activated from the complaint"),
        )


PEAK_FIRST_CONTACT = "peak_first_contact"


def _peak_first_contact(
    complaint: Complaint, emergency: Emergency, what: str, actor: Any, now: datetime
) -> None:
    """In a peak period (3·15) a complaint registered gets the peak's first-contact limit,
    met by the first action a person takes on it."""
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_close, deadline_open

    if not emergency.peak:
        return
    if what != "registered":
        if getattr(actor, "pk", None):
            for row in Deadline.objects.filter(
                complaint=complaint, kind=PEAK_FIRST_CONTACT, closed_at__isnull=True
            ):
                deadline_close(deadline=row, reason="contacted", at=now, actor=actor)
        return
    peak = peak_period(emergency, timezone.localtime(complaint.received_at).date())
    if peak is None or peak.first_contact is None:
        return
    deadline_open(
        complaint=complaint,
        stage=complaint.stage,
        kind=PEAK_FIRST_CONTACT,
        anchor_at=complaint.received_at,
        amount=peak.first_contact.amount,
        unit=peak.first_contact.unit.value,
        warn_fraction=Decimal("0.5"),
    )


def _mass(complaint: Complaint, revision: PlanRevision, plan: Plan, now: datetime) -> None:
    from tousu.complaints.similar import mass_firings, window_start

    emergency = plan.emergency
    assert emergency is not None
    by_key = {t.key: t for t in emergency.triggers}
    seen: set[str] = set()
    for firing in mass_firings(complaint=complaint, plan=plan, now=now):
        # Strongest first: one matter is one incident, at the most serious level reached.
        if firing.group_key in seen:
            continue
        seen.add(firing.group_key)
        trigger = by_key[firing.trigger]
        # The group's incident runs already: the others joined it when they came in.
        running = _running(firing.group_key, [])
        ids = {complaint.pk} if running else set(firing.complaint_ids)
        if not firing.group_key.startswith("fields:") and trigger.mass:
            # The matter's members in the window that are not in its incident yet join
            # too: one registered at the same moment may have been counted by neither.
            since = window_start(trigger.mass.within, complaint.received_at)
            ids.update(
                Complaint.objects.filter(
                    signature__matter__key=firing.group_key, signature__received_at__gte=since
                )
                .exclude(incident_links__incident__group_key=firing.group_key)
                .values_list("pk", flat=True)
            )
        # The complaint in hand is the one this transaction wrote (its plan loaded).
        members = [complaint] if complaint.pk in ids else []
        ids.discard(complaint.pk)
        if ids:
            for other in Complaint.objects.filter(pk__in=ids):
                if other.plan_revision_id == revision.pk:
                    other.plan_revision = revision  # loaded and parsed already
                members.append(other)
        members.sort(key=lambda member: member.pk)
        subject = (
            _("confidential complaint")
            if complaint.confidential
            else complaint.merchant or complaint.product or complaint.category.name
        )
        fire(
            revision=revision,
            trigger=trigger,
            level=trigger.level,
            complaints=members,
            now=now,
            group_key=firing.group_key,
            title=f"{trigger.label}：{subject}",
            running=running,
        )


def breach_weighed(*, deadline: Any, now: datetime) -> Incident | None:
    """A complaint's deadline ran out: a trigger on that deadline fires (the worker,
    inside its transaction)."""
    complaint = deadline.complaint
    if complaint is None or complaint.plan_revision_id is None:
        return None
    revision = complaint.plan_revision
    emergency = revision.plan_model.emergency
    if emergency is None:
        return None
    matching = [t for t in emergency.triggers if t.breach == deadline.kind]
    if not matching:
        return None
    trigger = min(matching, key=lambda t: emergency.rank(t.level))
    return fire(
        revision=revision, trigger=trigger, level=trigger.level, complaints=[complaint], now=now
    )


def may_report(plan: Plan, user) -> bool:
    emergency = plan.emergency
    if emergency is None or not getattr(user, "pk", None):
        return False
    if not emergency.reported_by:
        return True
    staff: dict = {}
    return any(
        user.pk in {p.pk for p in role_people(plan, r, None, staff)} for r in emergency.reported_by
    ) or may_activate(plan, user)


def event_report(
    *,
    revision: PlanRevision,
    actor: Any,
    title: str,
    description: str,
    category: str,
    severity: str,
    amount_involved: Decimal | None = None,
    people_injured: int = 0,
    now: datetime | None = None,
) -> Incident:
    """An event reported without a complaint (outage, network security, equipment, fund
    or life safety, disaster). Its class and severity pick the level from the plan's
    triggers; classes the plan marks ``immediate`` (life safety) activate at once, the
    others wait for the command group (the office → leadership relay), who are told."""
    now = now or timezone.now()
    plan = revision.plan_model
    emergency = plan.emergency
    if emergency is None:
        raise InvalidInput(_("This plan has no emergency part."), field_errors={"category": []})
    if not may_report(plan, actor):
        raise NotAllowed(_("You may not report emergency events under this plan."))
    errors: dict[str, list[str]] = {}
    category_obj = Category.objects.filter(key=category, is_active=True).first()
    if category_obj is None:
        errors["category"] = [_("Choose an event class of the plan.")]
    if severity not in plan.keys_of("severities"):
        errors["severity"] = [_("Choose a severity of the plan.")]
    if not (title or "").strip():
        errors["title"] = [_("Give a title.")]
    if amount_involved is not None and amount_involved < 0:
        errors["amount_involved"] = [_("Give an amount of zero or more yuan.")]
    if people_injured < 0:
        errors["people_injured"] = [_("Give a number of people of zero or more.")]
    if errors:
        raise InvalidInput(_("The report has errors."), field_errors=errors)
    case = EventCase(
        category=category_obj,
        severity=severity,
        amount_involved=amount_involved,
        people_injured=people_injured,
    )
    matched = [
        t for t in emergency.triggers if t.when is not None and not t.mass and holds(t.when, case)
    ]
    trigger = min(matched, key=lambda t: emergency.rank(t.level)) if matched else None
    level = trigger.level if trigger else emergency.levels[-1].key
    immediate = emergency.immediate is not None and holds(emergency.immediate, case)
    with transaction.atomic():
        incident = incident_open(
            revision=revision,
            title=title,
            description=description,
            level=level,
            source=IncidentSource.EVENT,
            actor=actor,
            now=now,
            trigger=trigger.key if trigger else "",
            reason=trigger.label if trigger else "",
            category=category_obj,
            severity=severity,
            amount_involved=amount_involved,
            people_injured=people_injured,
            activate=immediate,
        )
        if incident.status == IncidentStatus.REPORTED:
            from tousu.incidents.command import commanders

            incident_notify(
                users=commanders(incident),
                key=f"incident:{incident.pk}:reported",
                incident=incident,
                event="reported",
                now=now,
            )
    return incident


def complaint_escalate_to_incident(
    *, complaint: Complaint, actor: Any, level: str, reason: str, now: datetime | None = None
) -> Incident:
    """A person activates the plan from a complaint (its command group) or a supervisor
    escalates it: open an incident at ``level`` linked to it, or raise the one running."""
    now = now or timezone.now()
    if complaint.plan_revision_id is None or complaint.plan.emergency is None:
        raise InvalidInput(
            _("This complaint's plan has no emergency part."), field_errors={"level": []}
        )
    revision = complaint.plan_revision
    assert revision is not None
    plan = revision.plan_model
    if not may_activate(plan, actor, complaint):
        raise NotAllowed(_("You may not activate the emergency plan."))
    if plan.emergency is None or plan.emergency.level(level) is None:
        message = _("The plan has no response level “%(level)s”.") % {"level": level}
        raise InvalidInput(message, field_errors={"level": [message]})
    reason = (reason or "").strip()
    if not reason:
        message = _("Say why the plan is activated.")
        raise InvalidInput(message, field_errors={"reason": [message]})
    with transaction.atomic():
        running = open_incident_of(complaint)
        if running is not None:
            emergency = plan.emergency
            assert emergency is not None
            if emergency.rank(level) >= emergency.rank(running.level):
                message = _(
                    "Emergency %(number)s already runs for this complaint at %(level)s; "
                    "change its level in its war room."
                ) % {"number": running.number, "level": level_label(plan, running.level)}
                raise Conflict(message, field_errors={"level": [message]})
            return incident_level_set(incident=running, actor=actor, level=level, reason=reason)
        source = (
            IncidentSource.ESCALATION
            if actor.has_role("supervisor") and not actor.has_role("leadership")
            else IncidentSource.PERSON
        )
        return incident_open(
            revision=revision,
            title=incident_title(_("Emergency activation"), complaint),
            level=level,
            source=source,
            actor=actor,
            now=now,
            complaints=[complaint],
            reason=reason,
        )


def level_choices(plan: Plan) -> list[tuple[str, str]]:
    emergency = plan.emergency
    return (
        [(level.key, level_label(plan, level.key)) for level in emergency.levels]
        if emergency
        else []
    )
