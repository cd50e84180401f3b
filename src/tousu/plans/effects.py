"""What each action type checks and changes. ``apply`` fills an ``Outcome``: the
fields to save, the event's data, the stage to move to, or the errors found. Nothing
here writes: the complaint app applies the outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.core.actors import Actor
from tousu.core.problems import Conflict
from tousu.plans.choices import MONEY_MEASURES, ActionType, Measure, Satisfaction
from tousu.plans.definition import Case
from tousu.plans.outcome import SATISFIED, Outcome, parse_amount, parse_when
from tousu.plans.outcome import text_field as _text
from tousu.plans.schema import Action, Plan

# The data an action is performed with (a form's or the API's fields).
Data = dict[str, Any]


def apply(
    kind: ActionType,
    spec: Action,
    plan: Plan,
    complaint: Case,
    actor: Actor,
    data: Data,
    outcome: Outcome,
) -> None:
    requires = set(spec.requires)
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(Act(spec, plan, complaint, actor, data, outcome, frozenset(requires)))
    _complained_person(outcome, data, required="complained_person" in requires)
    _items(outcome, data, required="items" in requires)
    _fine(spec, plan, outcome, data, required="fine" in requires)
    for name in sorted(requires - {"note"}):
        if name not in outcome.event and name not in outcome.errors:
            _text(outcome, data, name, required=True)


@dataclass(frozen=True)
class Act:
    """One action being decided: the plan's spec of it, the plan, the case, who acts,
    the data given, the outcome being filled, and the fields the plan requires."""

    spec: Action
    plan: Plan
    complaint: Case
    actor: Actor
    data: Data
    outcome: Outcome
    requires: frozenset[str]


def _workflow(outcome: Outcome) -> dict[str, Any]:
    """The workflow state this action sets (merged into the complaint's)."""
    state: dict[str, Any] = outcome.values.setdefault("workflow", {})
    return state


def _complained_person(outcome: Outcome, data: Data, *, required: bool) -> None:
    """被投诉人: the member of staff the complaint is about, named by their username."""
    username = str(data.get("complained_person") or "").strip()
    if not username:
        if required:
            outcome.error("complained_person", _("This field is required."))
        return
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        outcome.error("complained_person", _("Unknown user “%(value)s”.") % {"value": username})
        return
    _workflow(outcome)["complained_person"] = person.pk
    outcome.event["complained_person"] = person.display_name


def _items(outcome: Outcome, data: Data, *, required: bool) -> None:
    """How many items of the complaint were upheld (每件投诉每项内容)."""
    raw = data.get("items")
    if raw in (None, ""):
        if required:
            outcome.error("items", _("This field is required."))
        return
    try:
        value = int(str(raw))
    except ValueError:
        outcome.error("items", _("Must be a whole number."))
        return
    if not 1 <= value <= 50:
        outcome.error("items", _("Between 1 and 50."))
        return
    outcome.event["items"] = value


def _fine(spec: Action, plan: Plan, outcome: Outcome, data: Data, *, required: bool) -> None:
    """The fine this action sets within the range of the penalty rules it triggers."""
    if not required:
        return
    value = parse_amount(outcome, data, "fine", required=True)
    if value is None:
        return
    for rule in plan.penalties.rules:
        if rule.trigger.action != spec.key or rule.max_amount is None:
            continue
        low, high = rule.amount, rule.max_amount
        if not low <= value <= high:
            outcome.error(
                "fine",
                _("Between %(low)s and %(high)s yuan (%(rule)s).")
                % {"low": low, "high": high, "rule": rule.label},
            )
            outcome.event.pop("fine", None)
            return


def _accept(act: Act) -> None:
    concluded = (act.complaint.workflow or {}).get("repeats_concluded")
    if concluded:
        raise Conflict(
            _(
                "The same matter was concluded as %(tracking_no)s and is not accepted "
                "again: refuse it and tell the complainant why."
            )
            % {"tracking_no": concluded},
            field_errors={"action": [_("The matter is concluded.")]},
        )


def _extend(act: Act) -> None:
    if act.spec.extends is None:  # validation act.requires it of an extend action
        raise ValueError(f"action {act.spec.key} extends no deadline")
    key = act.spec.extends.deadline
    extended = dict((act.complaint.workflow or {}).get("extended") or {})
    if key in extended:
        raise Conflict(
            _("This time limit has already been extended once."),
            field_errors={"action": [_("Already extended.")]},
        )
    _text(act.outcome, act.data, "reason", required=True)
    extended[key] = {"by": getattr(act.actor, "pk", None), "at": timezone.now().isoformat()}
    _workflow(act.outcome)["extended"] = extended


def _refuse(act: Act) -> None:
    _text(act.outcome, act.data, "reason", required=True)


def _classify(act: Act) -> None:
    changed = False
    for name, choices in (
        ("severity", act.plan.severities),
        ("nature", act.plan.natures),
    ):
        value = act.data.get(name)
        if value in (None, ""):
            if name in act.requires:
                act.outcome.error(name, _("This field is required."))
            continue
        if value not in {c.key for c in choices}:
            act.outcome.error(name, _("Unknown value “%(value)s”.") % {"value": value})
            continue
        if value != getattr(act.complaint, name):
            act.outcome.values[name] = value
            act.outcome.event.setdefault("changes", {})[name] = [
                getattr(act.complaint, name),
                value,
            ]
            changed = True
    key = act.data.get("category")
    if key:
        category = act.outcome.category_of(key)
        if category is None:
            act.outcome.error("category", _("Unknown category “%(value)s”.") % {"value": key})
        elif category.pk != act.complaint.category_id:
            act.outcome.values["category"] = category
            act.outcome.event.setdefault("changes", {})["category"] = [
                act.complaint.category.name,
                category.name,
            ]
            changed = True
    elif "category" in act.requires:
        act.outcome.error("category", _("This field is required."))
    if not changed and not act.outcome.errors:
        act.outcome.error("severity", _("Nothing to change."))


def _person_in(outcome: Outcome, username: str, department_id: int) -> User | None:
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        outcome.error("assignee", _("Unknown user “%(value)s”.") % {"value": username})
        return None
    if person.department_id is None or person.department_id not in department_subtree_ids(
        department_id
    ):
        outcome.error("assignee", _("This person does not work in that department."))
        return None
    return person


def _assign(act: Act) -> None:
    username = act.data.get("assignee") or ""
    if not username:
        act.outcome.error("assignee", _("This field is required."))
        return
    person = _person_in(act.outcome, username, act.complaint.department_id)
    if person is not None:
        act.outcome.values["assignee"] = person
        act.outcome.event["assignee"] = person.display_name


def _transfer(act: Act) -> None:
    code = act.data.get("department") or ""
    department = Department.objects.filter(code=code, is_active=True).first() if code else None
    if department is None:
        act.outcome.error(
            "department",
            _("This field is required.")
            if not code
            else _("Unknown department “%(value)s”.") % {"value": code},
        )
    # The transfer slip (投诉接收单): what was found so far, for the receiving department.
    _text(act.outcome, act.data, "slip", required=True)
    if department is None:
        return
    act.outcome.values["department"] = department
    act.outcome.values["assignee"] = None
    act.outcome.event["department"] = [act.complaint.department.name, department.name]
    if act.data.get("assignee"):
        person = _person_in(act.outcome, act.data["assignee"], department.pk)
        if person is not None:
            act.outcome.values["assignee"] = person
            act.outcome.event["assignee"] = person.display_name


def _investigate(act: Act) -> None:
    findings = _text(act.outcome, act.data, "findings", required="findings" in act.requires)
    evidence = _text(act.outcome, act.data, "evidence", required="evidence" in act.requires)
    if not findings and not evidence and not act.outcome.errors:
        act.outcome.error("findings", _("This field is required."))


def _report(act: Act) -> None:
    _text(act.outcome, act.data, "report", required=True)


def _propose(act: Act) -> None:
    opinion = _text(act.outcome, act.data, "opinion", required=True)
    if opinion:
        _workflow(act.outcome)["opinion"] = {
            "text": opinion,
            "by": act.actor.pk,
            "at": timezone.now().isoformat(),
        }


def _approve(act: Act) -> None:
    opinion = (act.complaint.workflow or {}).get("opinion")
    if not opinion:
        raise Conflict(
            _("There is no opinion waiting for approval."),
            field_errors={"action": [_("No opinion to approve.")]},
        )
    if opinion["by"] == act.actor.pk:
        raise Conflict(
            _("An opinion cannot be approved by the person who proposed it."),
            field_errors={"action": [_("You proposed this opinion.")]},
        )
    _workflow(act.outcome)["opinion"] = {**opinion, "approved_by": act.actor.pk}
    act.outcome.event["opinion"] = opinion["text"]


def _send_back(act: Act) -> None:
    if not (act.complaint.workflow or {}).get("opinion"):
        raise Conflict(
            _("There is no opinion to send back."),
            field_errors={"action": [_("No opinion to send back.")]},
        )
    if (
        "note" not in act.outcome.errors
    ):  # the engine has checked it when the act.plan act.requires it
        _text(act.outcome, act.data, "note", required=True, limit=2000)
    _workflow(act.outcome)["opinion"] = None


def _convene(act: Act) -> None:
    username = act.data.get("owner") or ""
    owner = User.objects.filter(username=username, is_active=True).first() if username else None
    if owner is None:
        act.outcome.error(
            "owner",
            _("This field is required.")
            if not username
            else _("Unknown user “%(value)s”.") % {"value": username},
        )
    due = parse_when(act.outcome, act.data, "due_at")
    _text(act.outcome, act.data, "agenda", required="agenda" in act.requires)
    if owner is not None and due is not None:
        act.outcome.event["owner"] = owner.display_name
        _workflow(act.outcome)["meeting"] = {
            "owner": owner.pk,
            "due_at": due.isoformat(),
            "convened_by": act.actor.pk,
        }


def _one_of(keys: list[str], choices: type[models.TextChoices]) -> str:
    """ "Choose one of: …" by the labels a person reads, never the keys."""
    labels = dict(choices.choices)
    return _("Choose one of: %(allowed)s.") % {
        "allowed": "、".join(str(labels.get(key, key)) for key in keys)
    }


def _execute(act: Act) -> None:
    allowed = [m.value for m in act.spec.measures or []] or list(Measure.values)
    measure = act.data.get("measure") or ""
    if not measure:
        act.outcome.error("measure", _("This field is required."))
    elif measure not in allowed:
        act.outcome.error(
            "measure",
            _one_of(allowed, Measure),
        )
    else:
        act.outcome.event["measure"] = measure
    parse_amount(act.outcome, act.data, "amount", required=measure in MONEY_MEASURES)
    _text(act.outcome, act.data, "result", required="result" in act.requires)


def _reply(act: Act) -> None:
    if _text(act.outcome, act.data, "reply", required=True):
        # The appeal window (``appeal.deadline``) counts from the latest reply.
        _workflow(act.outcome)["replied_at"] = timezone.now().isoformat()


def _satisfaction(act: Act) -> None:
    value = act.data.get("satisfaction") or ""
    scale = [s.value for s in act.plan.satisfaction.scale]
    if value not in scale:
        act.outcome.error("satisfaction", _one_of(scale, Satisfaction))
        return
    act.outcome.values["satisfaction"] = value
    act.outcome.event["satisfaction"] = value
    act.outcome.to = act.spec.on_satisfied if value in SATISFIED else act.spec.on_dissatisfied


def _appeal(act: Act) -> None:
    max_rounds = act.plan.appeal.max_rounds if act.plan.appeal else 1
    rounds = int((act.complaint.workflow or {}).get("appeal_rounds", 0))
    if rounds >= max_rounds:
        raise Conflict(
            _("The plan allows %(max)d appeal round(s); this complaint has used them.")
            % {"max": max_rounds},
            field_errors={"action": [_("No appeal rounds left.")]},
        )
    _appeal_window_check(act)
    _text(act.outcome, act.data, "reason", required=True)
    _workflow(act.outcome)["appeal_rounds"] = rounds + 1
    act.outcome.event["round"] = rounds + 1


def _appeal_window_check(act: Act) -> None:
    """An appeal is heard only within the plan's window after the reply (信访工作条例:
    30 days for 复查 and again for 复核)."""
    window = act.plan.appeal.deadline if act.plan.appeal else None
    replied = (act.complaint.workflow or {}).get("replied_at")
    if window is None or not replied:
        return
    from tousu.deadlines.selectors import due_compute

    closes = due_compute(
        anchor_at=datetime.fromisoformat(replied),
        amount=window.amount,
        unit=window.unit.value,
        business_hours=act.plan.business_hours,
    ).at
    if timezone.now() > closes:
        raise Conflict(
            _("The time to appeal ended on %(date)s.")
            % {"date": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")},
            field_errors={"reason": [_("The appeal window has closed.")]},
        )


def _add_material(act: Act) -> None:
    material = _text(act.outcome, act.data, "material", required=True)
    if material:
        act.outcome.event["material"] = material


def _withdraw(act: Act) -> None:
    reason = _text(act.outcome, act.data, "reason", required=True)
    if reason:
        act.outcome.event["reason"] = reason


def _reopen(act: Act) -> None:
    act.outcome.values["satisfaction"] = ""


def _follow_up(act: Act) -> None:
    reached = act.data.get("reached")
    if reached not in (True, False, "true", "false", "1", "0", 1, 0):
        act.outcome.error("reached", _("Say whether the complainant was reached."))
        return
    reached = reached in (True, "true", "1", 1)
    act.outcome.event["reached"] = reached
    _text(act.outcome, act.data, "remarks", required="remarks" in act.requires)
    value = act.data.get("satisfaction") or ""
    if reached:
        scale = [s.value for s in act.plan.satisfaction.scale]
        if value not in scale:
            act.outcome.error("satisfaction", _one_of(scale, Satisfaction))
            return
        act.outcome.event["satisfaction"] = value
        policy = act.plan.follow_up
        if (
            value not in SATISFIED
            and policy is not None
            and policy.reopen_on_dissatisfied
            and policy.reopen_to
        ):
            act.outcome.to = policy.reopen_to
            act.outcome.values["satisfaction"] = value


def _wait(act: Act) -> None:
    if (act.complaint.workflow or {}).get("waiting"):
        raise Conflict(
            _("The clock is already paused for this complaint."),
            field_errors={"action": [_("Already waiting.")]},
        )
    _text(act.outcome, act.data, "reason", required=True)
    _workflow(act.outcome)["waiting"] = True


def _resume(act: Act) -> None:
    if not (act.complaint.workflow or {}).get("waiting"):
        raise Conflict(
            _("The clock of this complaint is not paused."),
            field_errors={"action": [_("Not waiting.")]},
        )
    _workflow(act.outcome)["waiting"] = False


def _mark_emergency(act: Act) -> None:
    if act.complaint.emergency_marked:
        raise Conflict(
            _("The complaint is already marked for emergency activation."),
            field_errors={"action": [_("Already marked.")]},
        )
    act.outcome.values["emergency_marked"] = True


Handler = Callable[[Act], None]
_HANDLERS: dict[ActionType, Handler] = {
    ActionType.ACCEPT: _accept,
    ActionType.EXTEND: _extend,
    ActionType.REFUSE: _refuse,
    ActionType.CLASSIFY: _classify,
    ActionType.ASSIGN: _assign,
    ActionType.TRANSFER: _transfer,
    ActionType.INVESTIGATE: _investigate,
    ActionType.REPORT: _report,
    ActionType.PROPOSE: _propose,
    ActionType.APPROVE: _approve,
    ActionType.SEND_BACK: _send_back,
    ActionType.CONVENE_MEETING: _convene,
    ActionType.EXECUTE: _execute,
    ActionType.REPLY: _reply,
    ActionType.RECORD_SATISFACTION: _satisfaction,
    ActionType.APPEAL: _appeal,
    ActionType.REOPEN: _reopen,
    ActionType.RECORD_FOLLOW_UP: _follow_up,
    ActionType.MARK_EMERGENCY: _mark_emergency,
    ActionType.WAIT: _wait,
    ActionType.RESUME: _resume,
    ActionType.ADD_MATERIAL: _add_material,
    ActionType.WITHDRAW: _withdraw,
}
