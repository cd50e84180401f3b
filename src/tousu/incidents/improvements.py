"""Improvement actions (整改措施): the one list of them, whatever asked for them — an
incident's review, a drill's evaluation, a complaint, an analysis report — with an owner,
a due date the worker chases (one deadline row each, whose subject is the action, swept
like every other: ``chase.improvement_deadline_chase``), a status, and the effect
measured afterwards: complaints of the action's category or merchant in an equal window
before it was created and after it was done.

Services write (one transaction, audited, notices through the outbox); selectors read
through the gates (``improvements_visible``; complaints through ``visible_to``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.accounts.models import User
from tousu.audit.services import audit_record
from tousu.complaints.models import Complaint
from tousu.core.actors import SystemActor
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_close, deadline_open
from tousu.incidents.choices import DrillStatus, ResponderPart
from tousu.incidents.command import is_commander
from tousu.incidents.models import (
    Drill,
    ImprovementAction,
    ImprovementStatus,
    Incident,
    Responder,
)
from tousu.incidents.notify import incident_notify
from tousu.incidents.response import text_required
from tousu.notifications.services import notify_staff_notice
from tousu.plans.models import Category

SOURCES = {
    "incident": gettext_lazy("Incident review"),
    "drill": gettext_lazy("Drill"),
    "complaint": gettext_lazy("Complaint"),
    "report": gettext_lazy("Analysis report"),
}
COMPLAINT_HIDDEN = gettext_lazy("Complaint (not visible to you)")
# The window the effect is measured over, at most (days after the action was done).
EFFECT_DAYS = 30
MAX_AHEAD = timedelta(days=5 * 366)


# ---------------------------------------------------------------- rules on values


def may_manage(user: Any) -> bool:
    """Leadership, supervisors and administrators add, cancel and see every action."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role_codes() & ROLES_SEEING_ALL
    )


def may_complete(action: ImprovementAction, user: Any) -> bool:
    if action.status != ImprovementStatus.OPEN or not getattr(user, "pk", None):
        return False
    if action.owner_id == user.pk or may_manage(user):
        return True
    return action.incident is not None and is_commander(action.incident, user)


def may_cancel(action: ImprovementAction, user: Any) -> bool:
    if action.status != ImprovementStatus.OPEN:
        return False
    return may_manage(user) or (action.incident is not None and is_commander(action.incident, user))


def due_end(due_on: date) -> datetime:
    """An action is due by the end of its due day (local time)."""
    return timezone.make_aware(datetime.combine(due_on + timedelta(days=1), time(0, 0)))


def is_overdue(action: ImprovementAction, now: datetime) -> bool:
    """Open and past its deadline row's due time (breached by the worker, or not yet
    swept); read from the row, as the list's filter does."""
    if action.status != ImprovementStatus.OPEN:
        return False
    row = action.deadline
    if row is None:  # none since deadlines 0004; the day itself as a fallback
        return due_end(action.due_on) <= now
    return row.breached_at is not None or row.due_at <= now


def complaint_seen(action: ImprovementAction, reader: Any = None) -> bool:
    """Whether ``reader`` may see the action's complaint (through the gate); True when the
    action has none or for the system (``reader`` None or a ``SystemActor``)."""
    if action.complaint_id is None or reader is None or isinstance(reader, SystemActor):
        return True
    return Complaint.objects.visible_to(reader).filter(pk=action.complaint_id).exists()


def source_text(action: ImprovementAction, reader: Any = None, *, seen: bool | None = None) -> str:
    """Where the action comes from, in words: "应急事件 EM-…", "演练 #3", "投诉 TS-…", or
    the report's reference. A complaint ``reader`` may not see is named without its
    number ("投诉（无权查看）"); ``seen`` says so when the caller checked already (a
    list, in one query). ``reader`` None: the system."""
    label = str(SOURCES[action.source])
    if action.incident_id is not None:
        return f"{label} {action.incident.number}"  # type: ignore[union-attr]
    if action.drill_id is not None:
        return f"{label} #{action.drill_id}"
    if action.complaint_id is not None:
        if not (complaint_seen(action, reader) if seen is None else seen):
            return str(COMPLAINT_HIDDEN)
        return f"{label} {action.complaint.tracking_no}"  # type: ignore[union-attr]
    return f"{label} {action.source_ref}"


def _url(action: ImprovementAction) -> str:
    return f"{settings.BASE_URL}{reverse('incidents:improvement', args=[action.pk])}"


def notice_text(
    action: ImprovementAction, event: str, now: datetime, readers: list[Any] | tuple = ()
) -> tuple[str, str]:
    """(subject, body) of a notice about an action with no incident to speak for it, sent
    to ``readers``: its complaint's number only when every one of them may see it."""
    seen = all(complaint_seen(action, reader) for reader in readers if reader is not None)
    values = {
        "title": action.title,
        "due": f"{action.due_on:%Y-%m-%d}",
        "url": _url(action),
        "source": source_text(action, seen=seen),
    }
    if event == "warning":
        body = _("Improvement action “%(title)s” (%(source)s) is due %(due)s. %(url)s") % values
    elif event == "overdue":
        body = (
            _(
                "Improvement action “%(title)s” (%(source)s) was due %(due)s and is not "
                "done. %(url)s"
            )
            % values
        )
    else:
        body = (
            _("Improvement action for you: “%(title)s” (%(source)s), due %(due)s. %(url)s") % values
        )
    return f"[{_('Improvement action')}] {action.title}"[:200], body


# ---------------------------------------------------------------- writes


@dataclass(frozen=True)
class _Checked:
    title: str
    owner: User
    category_key: str
    merchant: str


def _check(
    *,
    title: str,
    owner: User | str | None,
    due_on: date | None,
    category_key: str,
    merchant: str,
    today: date,
    complaint: Complaint | None = None,
) -> _Checked:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = [_("Give the improvement.")]
    elif len(title) > 200:
        errors["title"] = [_("At most %(limit)d characters.") % {"limit": 200}]
    person = owner
    if isinstance(owner, str):
        person = User.objects.filter(username=owner.strip()).first() if owner.strip() else None
    if not isinstance(person, User) or not person.is_active:
        errors["owner"] = [_("No such person.")]
    elif (
        complaint is not None
        and not Complaint.objects.visible_to(person).filter(pk=complaint.pk).exists()
    ):
        # The action names the complaint (its number, category, merchant) to its owner.
        errors["owner"] = [_("This person may not see the complaint.")]
    if not isinstance(due_on, date):
        errors["due_on"] = [_("Give a date.")]
    elif due_on < today:
        errors["due_on"] = [_("Cannot be in the past.")]
    elif due_on > today + MAX_AHEAD:
        errors["due_on"] = [_("At most five years ahead.")]
    category_key = (category_key or "").strip()
    if category_key and not Category.objects.filter(key=category_key).exists():
        errors["category_key"] = [_("No such category.")]
    merchant = (merchant or "").strip()  # as intake stores it, so the effect matches
    if len(merchant) > 200:
        errors["merchant"] = [_("At most %(limit)d characters.") % {"limit": 200}]
    if errors:
        raise InvalidInput(_("The improvement action has errors."), field_errors=errors)
    assert isinstance(person, User)
    return _Checked(title=title, owner=person, category_key=category_key, merchant=merchant)


DEADLINE_KIND = "improvement"


def _open_deadline(action: ImprovementAction, now: datetime, actor: Any) -> Deadline:
    """The action's deadline row (the action is its subject, whatever its source): from
    now to the end of its due day, counted in clock hours, warned a day before when more
    than two days are left. The worker's sweep chases it (``chase``)."""
    end = due_end(action.due_on)
    hours = Decimal((end - now).total_seconds()) / 3600
    return deadline_open(
        improvement=action,
        stage=DEADLINE_KIND,
        kind=DEADLINE_KIND,
        anchor_at=now,
        amount=max(hours.quantize(Decimal("0.0001")), Decimal("0.0001")),
        unit="hours",
        warn_lead=timedelta(days=1) if end - now > timedelta(days=2) else None,
        warn_fraction=None,
        actor=actor,
    )


def improvement_audit(action: ImprovementAction, actor: Any, verb: str, **data: Any) -> None:
    """On the incident's timeline for an incident's action (``incident.improvement_*``);
    on the complaint's for a complaint's (``improvement.*``, which the complaint page
    lists once ``EventAction`` names it); else on the action's own chain. Always
    ``object_type`` improvement, so the action's page finds its whole history."""
    audit_record(
        actor=actor,
        action=f"incident.improvement_{verb}" if action.incident_id else f"improvement.{verb}",
        object_type="improvement",
        object_id=str(action.pk),
        incident=action.incident,
        complaint=action.complaint if action.incident_id is None else None,
        data={"improvement": action.title, **data},
    )


def improvement_add(
    *,
    title: str,
    owner: User | str | None,
    due_on: date | None,
    actor: Any,
    source_ref: str = "",
    incident: Incident | None = None,
    drill: Drill | None = None,
    complaint: Complaint | None = None,
    category_key: str = "",
    merchant: str = "",
    now: datetime | None = None,
) -> ImprovementAction:
    """Add an improvement action owed by ``owner`` by the end of ``due_on``.

    Preconditions: a source (``incident``, a finished ``drill``, a ``complaint`` the
    actor may see, or ``source_ref`` naming an analysis report); the actor is the
    leadership, a supervisor or an administrator, an incident's commander, or the
    system (a report generated for nobody in particular). Side effects: the owner is
    told through the outbox; an incident's action gets a deadline row; audited.
    """
    now = now or timezone.now()
    is_system = isinstance(actor, SystemActor)
    if not is_system and not (
        may_manage(actor) or (incident is not None and is_commander(incident, actor))
    ):
        raise NotAllowed(_("Only the leadership or a supervisor adds improvement actions."))
    source_ref = " ".join((source_ref or "").split())
    if not (incident or drill or complaint or source_ref):
        message = _("Say what the improvement action comes from.")
        raise InvalidInput(message, field_errors={"source": [message]})
    if len(source_ref) > 200:
        message = _("At most %(limit)d characters.") % {"limit": 200}
        raise InvalidInput(message, field_errors={"source_ref": [message]})
    if (
        complaint is not None
        and not is_system
        and not Complaint.objects.visible_to(actor).filter(pk=complaint.pk).exists()
    ):
        raise NotFound(_("No such complaint."))
    if drill is not None and drill.status != DrillStatus.FINISHED:
        message = _("The drill has not finished.")
        raise Conflict(message, field_errors={"drill": [message]})
    checked = _check(
        title=title,
        owner=owner,
        due_on=due_on,
        category_key=category_key,
        merchant=merchant,
        today=timezone.localtime(now).date(),
        complaint=complaint,
    )
    assert due_on is not None
    end = due_end(due_on)
    with transaction.atomic():
        action = ImprovementAction.objects.create(
            incident=incident,
            drill=drill,
            complaint=complaint,
            source_ref=source_ref,
            title=checked.title,
            category_key=checked.category_key,
            merchant=checked.merchant,
            owner=checked.owner,
            due_on=due_on,
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        action.deadline = _open_deadline(action, now, actor)
        action.save(update_fields=["deadline"])
        if incident is not None:
            incident_notify(
                users=[checked.owner],
                key=f"incident:{incident.pk}:improvement:{action.pk}",
                incident=incident,
                event="improvement",
                now=now,
                task=action.title,
                due_at=end,
            )
        else:
            subject, body = notice_text(action, "added", now, [checked.owner])
            notify_staff_notice(
                users=[checked.owner],
                key=f"improvement:{action.pk}:added",
                subject=subject,
                body=body,
                now=now,
            )
        improvement_audit(
            action,
            actor,
            "added",
            origin=source_text(action),
            owner=checked.owner.display_name,
            due_on=due_on.isoformat(),
            category=checked.category_key,
            merchant=checked.merchant,
        )
    return action


def _locked_open(action: ImprovementAction, field: str) -> ImprovementAction:
    locked = (
        ImprovementAction.objects.select_for_update(of=("self",))
        .select_related("incident", "deadline", "owner")
        .get(pk=action.pk)
    )
    if locked.status == ImprovementStatus.DONE:
        message = _("Reported done already.")
        raise Conflict(message, field_errors={field: [message]})
    if locked.status == ImprovementStatus.CANCELLED:
        message = _("The improvement action was cancelled.")
        raise Conflict(message, field_errors={field: [message]})
    return locked


def improvement_complete(
    *, action: ImprovementAction, actor: Any, note: str, now: datetime | None = None
) -> ImprovementAction:
    """The owner (or the leadership, a supervisor, an incident's commander) reports the
    action done with what was done; its deadline closes; audited. Done twice: Conflict."""
    now = now or timezone.now()
    if action.status == ImprovementStatus.OPEN and not may_complete(action, actor):
        raise NotAllowed(_("Only its owner or the leadership reports an improvement done."))
    note = text_required("note", note)
    with transaction.atomic():
        locked = _locked_open(action, "note")
        locked.status, locked.done_at, locked.done_by, locked.note = (
            ImprovementStatus.DONE,
            now,
            actor if isinstance(actor, User) else None,
            note,
        )
        locked.save(update_fields=["status", "done_at", "done_by", "note"])
        if locked.deadline is not None and locked.deadline.closed_at is None:
            deadline_close(deadline=locked.deadline, reason="done", at=now, actor=actor)
        improvement_audit(locked, actor, "done", note=note)
    return locked


def improvement_cancel(
    *, action: ImprovementAction, actor: Any, reason: str, now: datetime | None = None
) -> ImprovementAction:
    """The leadership (or a supervisor, an incident's commander) cancels an open action,
    saying why; its deadline closes; the owner is told; audited."""
    now = now or timezone.now()
    if not may_cancel(action, actor) and action.status == ImprovementStatus.OPEN:
        raise NotAllowed(_("Only the leadership or a supervisor cancels an improvement action."))
    reason = text_required("reason", reason)
    with transaction.atomic():
        locked = _locked_open(action, "reason")
        locked.status, locked.cancelled_at, locked.cancel_reason = (
            ImprovementStatus.CANCELLED,
            now,
            reason,
        )
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        if locked.deadline is not None and locked.deadline.closed_at is None:
            deadline_close(deadline=locked.deadline, reason="cancelled", at=now, actor=actor)
        notify_staff_notice(
            users=[locked.owner],
            key=f"improvement:{locked.pk}:cancelled",
            subject=f"[{_('Improvement action')}] {locked.title}"[:200],
            body=_("Improvement action “%(title)s” was cancelled: %(reason)s")
            % {"title": locked.title, "reason": reason},
            now=now,
        )
        improvement_audit(locked, actor, "cancelled", reason=reason)
    return locked


# ---------------------------------------------------------------- reads


def improvements_visible(user: Any) -> QuerySet[ImprovementAction]:
    """The gate: the leadership, supervisors and administrators see every action; anyone
    else the actions they own or added, and those of the incidents they command (the
    commander and deputies, who may complete and cancel them). Deny by default."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ImprovementAction.objects.none()
    if may_manage(user):
        return ImprovementAction.objects.all()
    commanded = Responder.objects.filter(
        user=user, part__in=[ResponderPart.COMMANDER, ResponderPart.DEPUTY]
    ).values("incident_id")
    return ImprovementAction.objects.filter(
        Q(owner=user) | Q(created_by=user) | Q(incident_id__in=commanded)
    )


def improvement_get_visible(*, user: Any, pk: int) -> ImprovementAction:
    action = (
        improvements_visible(user)
        .select_related(
            "incident", "drill", "complaint", "owner", "created_by", "done_by", "deadline"
        )
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise NotFound(_("No such improvement action."))
    return action


def improvements_filter(
    queryset: QuerySet[ImprovementAction],
    *,
    status: str = "",
    source: str = "",
    owner: User | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> QuerySet[ImprovementAction]:
    """The list's filters, on values already checked (the view's form). Overdue is read
    from the action's deadline row, as ``is_overdue``: open, and breached or past due."""
    if status:
        queryset = queryset.filter(status=status)
    if source == "incident":
        queryset = queryset.exclude(incident=None)
    elif source == "drill":
        queryset = queryset.filter(incident=None).exclude(drill=None)
    elif source == "complaint":
        queryset = queryset.filter(incident=None, drill=None).exclude(complaint=None)
    elif source == "report":
        queryset = queryset.filter(incident=None, drill=None, complaint=None)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if overdue:
        now = now or timezone.now()
        queryset = queryset.filter(
            Q(deadline__breached_at__isnull=False) | Q(deadline__due_at__lte=now),
            status=ImprovementStatus.OPEN,
        )
    return queryset


def category_subtree(key: str) -> set[int]:
    """The ids of category ``key`` and everything under it, however deep the tree (one
    query per level); empty for an unknown key."""
    found: set[int] = set(Category.objects.filter(key=key).values_list("pk", flat=True))
    level = set(found)
    while level:
        level = set(
            Category.objects.filter(parent_id__in=level)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found |= level
    return found


def _scope(action: ImprovementAction) -> Q | None:
    if not action.category_key and not action.merchant:
        return None
    scope = Q()
    if action.category_key:
        scope &= Q(category_id__in=category_subtree(action.category_key))
    if action.merchant:
        scope &= Q(merchant=action.merchant)
    return scope


def _change_text(before: int, after: int, change: int | None) -> str:
    if change is None:
        return _("before %(before)d → after %(after)d") % {"before": before, "after": after}
    sign = "−" if change < 0 else "+" if change > 0 else "±"
    return _("before %(before)d → after %(after)d (%(change)s%%)") % {
        "before": before,
        "after": after,
        "change": f"{sign}{abs(change)}",
    }


def improvement_effect(
    action: ImprovementAction,
    *,
    user: Any = None,
    now: datetime | None = None,
    days: int = EFFECT_DAYS,
) -> dict[str, Any]:
    """Complaints of the action's category (and its sub-categories) and/or merchant
    received in the window after it was done (up to ``days`` days, or until now) against
    an equal window ending when it was created.

    Counted through ``user``'s gate, or over all complaints for the system (``user``
    None: a report). Returns ``measured`` False with ``reason`` (no_scope, not_done,
    too_soon) when there is nothing to compare yet."""
    now = now or timezone.now()
    scope = _scope(action)
    if scope is None:
        return {"measured": False, "reason": "no_scope", "text": _("No scope to measure.")}
    if action.status != ImprovementStatus.DONE or action.done_at is None:
        return {"measured": False, "reason": "not_done", "text": _("Measured once done.")}
    after_end = min(action.done_at + timedelta(days=days), now)
    length = after_end - action.done_at
    if length <= timedelta(0):
        return {"measured": False, "reason": "too_soon", "text": _("Measured once done.")}
    before_start = action.created_at - length
    base = Complaint.objects.all() if user is None else Complaint.objects.visible_to(user)
    scoped = base.filter(scope)
    before = scoped.filter(received_at__gte=before_start, received_at__lt=action.created_at)
    after = scoped.filter(received_at__gte=action.done_at, received_at__lt=after_end)
    n_before, n_after = before.count(), after.count()
    change = None if n_before == 0 else round((n_after - n_before) * 100 / n_before)
    return {
        "measured": True,
        "before": n_before,
        "after": n_after,
        "change_pct": change,
        "before_window": (before_start, action.created_at),
        "after_window": (action.done_at, after_end),
        "days": round(length.total_seconds() / 86400, 1),
        "complete": length >= timedelta(days=days),
        "text": _change_text(n_before, n_after, change),
    }


def drill_suggestions(drill: Drill, *, today: date | None = None) -> list[dict[str, Any]]:
    """A finished drill's evaluated improvements as proposed actions: the report's own
    words as the title (Chinese, as the report), the group it names, a due date
    ``within_days`` after the drill (today at the earliest), and whether it is adopted."""
    today = today or timezone.localdate()
    items = (drill.figures or {}).get("evaluation", {}).get("improvements", [])
    finished = timezone.localtime(drill.finished_at).date() if drill.finished_at else today
    adopted = set(drill.improvements.values_list("title", flat=True))
    found = []
    with translation.override("zh-hans"):
        for index, item in enumerate(items):
            text = render_to_string("incidents/improvements/_drill_suggestion.txt", {"item": item})
            title = " ".join(text.split())[:200]
            due = finished + timedelta(days=int(item.get("within_days") or 7))
            found.append(
                {
                    "index": index,
                    "title": title,
                    "group": item.get("owner", ""),
                    "due_on": max(due, today),
                    "adopted": title in adopted,
                }
            )
    return found
