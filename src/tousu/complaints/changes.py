"""Changes to a registered complaint by staff: edits of its facts, assignment and
transfer (through the plan when one governs it), and revealing the complainant's
personal data. Each runs in one transaction with its timeline event, and refuses a
stale version (another person's change in between) instead of overwriting it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.selectors import department_subtree_ids
from tousu.audit.services import audit_record
from tousu.complaints.checks import TEXT_FIELDS, FieldErrors
from tousu.complaints.choices import COMPLAINANT_VIEWED, EventAction, Nature, Severity, Status
from tousu.complaints.models import Complainant, Complaint
from tousu.complaints.services import category_get, department_get, search_document_save
from tousu.complaints.versions import bump_version, stale
from tousu.complaints.workflow import (
    complaint_assign_by_plan,
    complaint_reclassify,
    complaint_transfer,
    writable_check,
)
from tousu.core.inputs import date_problem
from tousu.core.problems import InvalidInput, NotAllowed

EDITABLE = (*TEXT_FIELDS, "occurred_at", "severity", "nature", "category")
PLAN_FIELDS = ("severity", "nature", "category")


def _plan_changes(complaint: Complaint, changes: dict[str, Any]) -> dict[str, str]:
    """Take the plan-governed fields out of ``changes``; return those that really change
    (category by its key)."""
    current = {
        "severity": complaint.severity,
        "nature": complaint.nature,
        "category": complaint.category.key,
    }
    asked = {name: changes.pop(name) for name in PLAN_FIELDS if name in changes}
    return {
        name: value
        for name, value in asked.items()
        if value not in (None, "") and value != current[name]
    }


def complaint_update(
    *, actor: User, complaint: Complaint, version: int, note: str = "", **changes: Any
) -> Complaint:
    """Change the complaint's own fields (not its status, department or complainant).

    Under a plan, severity, nature and category are the plan's to change: a change of
    them is the plan's classify action for this stage (its guards, deadlines and
    messages) or is refused naming that action. Confidentiality is its own action
    (``complaint_confidentiality_set``). A complaint in a terminal stage is read-only.
    ``version`` is the version the actor saw; a stale one raises ``Conflict``.
    """
    if not actor.has_perm("complaints.change_complaint"):
        raise NotAllowed(_("You may not change this complaint."))
    writable_check(complaint)
    if "confidential" in changes:
        raise InvalidInput(
            _("Confidentiality is set or cleared by its own action, with a reason."),
            field_errors={"confidential": [_("Use the action “Set confidentiality”.")]},
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed here."),
            field_errors={name: [_("Cannot be changed here.")] for name in sorted(unknown)},
        )
    governed = _plan_changes(complaint, changes) if complaint.plan_revision_id else {}
    errors = FieldErrors()
    values: dict[str, object] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            values[name] = errors.text(name, value, required=name in ("title", "description"))
        elif name == "severity":
            values[name] = errors.choice(name, value, Severity)
        elif name == "nature":
            values[name] = errors.choice(name, value, Nature)
        elif name == "category":
            values[name] = category_get(errors, value)
        elif name == "occurred_at":
            problem = date_problem(value) if value else None
            if problem:
                errors.add(name, problem)
            elif value and value > timezone.now():
                errors.add(name, _("Cannot be in the future."))
            values[name] = value
        else:
            values[name] = bool(value)
    errors.raise_if_any()
    diff = {}
    for name, value in values.items():
        before = getattr(complaint, name)
        if before != value:
            diff[name] = [
                str(before) if name == "category" else before,
                str(value) if name == "category" else value,
            ]
    if not diff and not governed:
        return complaint
    if complaint.version != version:
        raise stale(complaint, version)
    with transaction.atomic():
        if governed:
            complaint_reclassify(
                complaint=complaint, actor=actor, version=version, changes=governed, note=note
            )
            version = complaint.version
        if diff:
            bump_version(complaint, version, **values)
            if diff.keys() & set(TEXT_FIELDS):
                search_document_save(complaint)
            audit_record(
                actor=actor,
                action=EventAction.UPDATED,
                object_type="complaint",
                object_id=complaint.tracking_no,
                complaint=complaint,
                data={"changes": diff},
            )
    return complaint


def complaint_assign(
    *,
    actor: User,
    complaint: Complaint,
    version: int,
    department: str,
    assignee: str = "",
    note: str = "",
) -> Complaint:
    """Assign the complaint to a person, or transfer it to another department.

    A transfer (department changes) needs a note saying why; the assignee, if given,
    must belong to the target department or one below it. Under a plan a transfer is
    the plan's transfer action (the note is its slip) and an assignment its assign
    action where the stage has one; a plan without a transfer here refuses it.
    """
    if not actor.has_perm("complaints.assign_complaint"):
        raise NotAllowed(_("You may not assign or transfer complaints."))
    writable_check(complaint)
    errors = FieldErrors()
    note = errors.text("note", note)
    target = department_get(errors, "department", department)
    person = None
    if assignee:
        person = User.objects.filter(username=assignee, is_active=True).first()
        if person is None:
            errors.add("assignee", _("Unknown user “%(value)s”.") % {"value": assignee})
        elif target and (
            person.department_id is None
            or person.department_id not in department_subtree_ids(target.pk)
        ):
            errors.add("assignee", _("This person does not work in that department."))
    transfer = target is not None and target.pk != complaint.department_id
    if transfer and not note:
        errors.add("note", _("Say why the complaint is transferred."))
    errors.raise_if_any()
    if complaint.version != version:
        # Before "nothing to change": a lost race is a 409, whatever the winner did.
        raise stale(complaint, version)
    if not transfer and person == complaint.assignee:
        raise InvalidInput(
            _("Nothing to change."),
            field_errors={"assignee": [_("Already assigned to this person.")]},
        )
    if complaint.plan_revision_id is not None:
        with transaction.atomic():
            if transfer:
                complaint_transfer(
                    complaint=complaint,
                    actor=actor,
                    version=version,
                    department=department,
                    assignee=assignee,
                    note=note,
                )
                return complaint
            if person is not None and complaint_assign_by_plan(
                complaint=complaint, actor=actor, version=version, assignee=assignee
            ):
                return complaint
    changes: dict[str, list[str | None]] = {}
    if transfer and target is not None:
        changes["department"] = [complaint.department.name, target.name]
    if person != complaint.assignee:
        changes["assignee"] = [
            complaint.assignee.display_name if complaint.assignee else None,
            person.display_name if person else None,
        ]
    values: dict[str, object] = {"department": target, "assignee": person}
    # Under a plan the stage decides the status; without one, assignment moves it on.
    if complaint.plan_revision_id is None and complaint.status == Status.REGISTERED:
        values["status"] = Status.ASSIGNED
        changes["status"] = [Status.REGISTERED, Status.ASSIGNED]
    with transaction.atomic():
        bump_version(complaint, version, **values)
        audit_record(
            actor=actor,
            action=EventAction.TRANSFERRED if transfer else EventAction.ASSIGNED,
            object_type="complaint",
            object_id=complaint.tracking_no,
            complaint=complaint,
            data={"changes": changes, "note": note},
        )
    return complaint


def complainant_reveal(*, actor: User, complaint: Complaint, purpose: str = "") -> Complainant:
    """The complainant's clear personal data, for roles that need it; the view is logged."""
    if not actor.sees_personal_data:  # a role grants it; being a superuser does not
        raise NotAllowed(_("You may not see the complainant's personal data."))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=COMPLAINANT_VIEWED,
            object_type="complainant",
            object_id=str(complaint.complainant_id),
            complaint=complaint,
            data={"purpose": purpose[:200]},
        )
    return complaint.complainant
