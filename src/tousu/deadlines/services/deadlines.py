"""Writes of deadlines: open, pause, resume, close.

Every service runs in one transaction and appends its audit event in it. Bad input
raises ``InvalidInput`` naming each field before anything is written; acting on a
deadline in the wrong state (closing it twice, resuming one that is not paused) raises
``Conflict``. The due time always comes from ``selectors.due_compute`` — the same
arithmetic the ``tousu calendar due`` command prints. The calendar's own writes, which
recompute the deadlines they affect, are in ``services.calendar``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ParamSpec, TypedDict, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.audit.inserts import objects_insert
from tousu.audit.services import audit_record
from tousu.core.actors import Actor
from tousu.core.problems import Conflict, InvalidInput
from tousu.deadlines.calendar import (
    SHANGHAI,
    BusinessHours,
    BusinessHoursInput,
    Due,
    PeriodError,
    WorkCalendar,
    amount_check,
    local_time,
    unit_normalise,
    warn_at,
)
from tousu.deadlines.choices import (
    DEADLINE_CLOSED,
    DEADLINE_OPENED,
    DEADLINE_PAUSED,
    DEADLINE_RECOMPUTED,
    DEADLINE_RESUMED,
)
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import due_compute

KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
DEFAULT_WARN_FRACTION = Decimal("0.75")
_REFERENCE = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)  # any aware time, to check a fraction

# Argument names of the pure arithmetic → the service's field names.
_FIELDS = {"start": "anchor_at", "calendar": "anchor_at", "warn": "warn_fraction"}

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _invalid(exc: PeriodError) -> InvalidInput:
    field = _FIELDS.get(exc.field, exc.field)
    return InvalidInput(str(exc), field_errors={field: [str(exc)]})


class _Errors(dict[str, list[str]]):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def check(self, check: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T | None:
        try:
            return check(*args, **kwargs)
        except PeriodError as exc:
            self.add(_FIELDS.get(exc.field, exc.field), str(exc))
            return None

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput(_("Some fields are not valid."), field_errors=self)


def _key(errors: _Errors, name: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit or not KEY.match(value):
        errors.add(
            name,
            _("Use at most %(limit)d letters, digits, “_”, “-” or “.”.") % {"limit": limit},
        )
    return value


def _pauses(row: Deadline) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(dt.datetime.fromisoformat(p), dt.datetime.fromisoformat(r)) for p, r in row.pauses]


def _warn(row: Deadline, due: Due) -> dt.datetime | None:
    if row.warn_lead is None and row.warn_fraction is None:
        return None
    return warn_at(row.anchor_at, due, fraction=row.warn_fraction, lead=row.warn_lead)


def deadline_schedule(
    row: Deadline, *, calendar: WorkCalendar | None = None
) -> tuple[Due, dt.datetime | None]:
    """The due time and warning time the row's stored terms give under today's calendar
    (``calendar``, a whole one, when the caller has it)."""
    try:
        due = due_compute(
            calendar=calendar,
            anchor_at=row.anchor_at,
            amount=row.amount,
            unit=row.unit,
            business_hours=row.business_hours,
            pauses=_pauses(row),
        )
    except PeriodError as exc:
        raise _invalid(exc) from exc
    return due, _warn(row, due)


def deadline_recompute(
    row: Deadline, *, actor: Actor | None = None, changed: tuple[str, ...] = ()
) -> dict[str, list[object]] | None:
    """Bring a locked, open row in line with the calendar; record and return what moved.
    ``changed``: fields the caller set on the row, saved in the same statement.

    ``warned_at`` and ``breached_at`` belong to the worker and are left alone.
    """
    due, warn = deadline_schedule(row)
    before = {"due_at": row.due_at, "provisional": row.provisional, "warn_at": row.warn_at}
    after = {"due_at": due.at, "provisional": due.provisional, "warn_at": warn}
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if not changes:
        if changed:
            row.save(update_fields=list(changed))
        return None
    for name, value in after.items():
        setattr(row, name, value)
    row.save(update_fields=[*changed, *after])
    audit_record(
        actor=actor,
        action=DEADLINE_RECOMPUTED,
        object_type="deadline",
        object_id=str(row.pk),
        complaint=row.complaint,
        incident=row.incident,
        data={"changes": changes},
    )
    return changes


def deadline_open(
    *,
    complaint: Any = None,
    incident: Any = None,
    improvement: Any = None,
    stage: str,
    kind: str,
    anchor_at: dt.datetime,
    amount: int | Decimal | float,
    unit: str,
    business_hours: BusinessHoursInput = None,
    warn_fraction: Decimal | float | None = DEFAULT_WARN_FRACTION,
    warn_lead: dt.timedelta | None = None,
    actor: Actor | None = None,
) -> Deadline:
    """Open the deadline of ``stage`` (``kind``: stage, reply, follow_up …) of its subject —
    a complaint, an incident or an improvement action, exactly one — counted from
    ``anchor_at`` for ``amount`` ``unit`` (see ``calendar.due_at``). An improvement
    action's row is audited on no subject's timeline (its own chain); the action's
    service records what the person sees.

    The warning falls ``warn_lead`` before the due time when given, else after
    ``warn_fraction`` of the period; with both ``None`` there is no warning. ``actor`` is
    ``None`` when the system opens it. Raises ``InvalidInput`` naming each bad argument.
    """
    row = _row_build(
        complaint=complaint,
        incident=incident,
        improvement=improvement,
        stage=stage,
        kind=kind,
        anchor_at=anchor_at,
        amount=amount,
        unit=unit,
        business_hours=business_hours,
        warn_fraction=warn_fraction,
        warn_lead=warn_lead,
    )
    with transaction.atomic():
        # Read the calendar inside the transaction, so that a calendar change either
        # comes before (and is used) or after (and recomputes this row).
        due, row.warn_at = deadline_schedule(row)
        row.due_at, row.provisional = due.at, due.provisional
        row.save()
        _opened_record(row, actor)
    return row


def _row_build(
    *,
    complaint: Any,
    incident: Any,
    improvement: Any,
    stage: str,
    kind: str,
    anchor_at: dt.datetime,
    amount: int | Decimal | float,
    unit: str,
    business_hours: BusinessHoursInput,
    warn_fraction: Decimal | float | None,
    warn_lead: dt.timedelta | None,
) -> Deadline:
    """The unsaved row ``deadline_open`` writes, its terms checked (``InvalidInput``)."""
    errors = _Errors()
    if sum(subject is not None for subject in (complaint, incident, improvement)) != 1:
        errors.add(
            "subject",
            _("A deadline belongs to one complaint, one incident or one improvement action."),
        )
    stage = _key(errors, "stage", stage, 64)
    kind = _key(errors, "kind", kind, 64)
    normal_unit = errors.check(unit_normalise, unit)
    value = errors.check(amount_check, amount, normal_unit) if normal_unit else None
    hours = errors.check(BusinessHours.coerce, business_hours)
    anchor = errors.check(local_time, anchor_at, "anchor_at")
    if warn_lead is not None:
        warn_fraction = None
        if not isinstance(warn_lead, dt.timedelta) or warn_lead <= dt.timedelta():
            errors.add("warn_lead", _("The warning lead must be a positive duration."))
    elif warn_fraction is not None:
        with contextlib.suppress(ArithmeticError):  # refused just below
            warn_fraction = Decimal(str(warn_fraction)).quantize(Decimal("0.001"))
        errors.check(warn_at, _REFERENCE, _REFERENCE, fraction=warn_fraction)
    errors.raise_if_any()
    # A missing unit, amount or start was refused just above.
    assert value is not None and normal_unit is not None and anchor is not None
    return Deadline(
        complaint=complaint,
        incident=incident,
        improvement=improvement,
        stage=stage,
        kind=kind,
        anchor_at=anchor,
        amount=value,
        unit=normal_unit,
        business_hours=hours.to_json() if hours else None,
        warn_fraction=warn_fraction,
        warn_lead=warn_lead,
    )


def deadline_opened_data(row: Deadline) -> dict[str, Any]:
    """What the audit log keeps of a deadline as it opened: its terms and its times (a
    ``deadline.opened`` event's data; a registration's event lists them)."""
    return {
        "stage": row.stage,
        "kind": row.kind,
        "anchor_at": row.anchor_at,
        "amount": row.amount,
        "unit": row.unit,
        "business_hours": row.business_hours,
        "due_at": row.due_at,
        "provisional": row.provisional,
        "warn_at": row.warn_at,
    }


def _opened_record(row: Deadline, actor: Actor | None) -> None:
    audit_record(
        actor=actor,
        action=DEADLINE_OPENED,
        object_type="deadline",
        object_id=str(row.pk),
        complaint=row.complaint,
        incident=row.incident,
        data=deadline_opened_data(row),
    )


class DeadlineTerms(TypedDict, total=False):
    """One deadline of ``deadlines_open_new``: ``deadline_open``'s arguments."""

    stage: str
    kind: str
    anchor_at: dt.datetime
    amount: int | Decimal | float
    base_amount: Decimal | None
    unit: str
    business_hours: BusinessHoursInput
    warn_fraction: Decimal | float | None
    warn_lead: dt.timedelta | None


def deadlines_open_new(
    *,
    complaint: Any = None,
    incident: Any = None,
    terms: Sequence[DeadlineTerms],
    calendar: WorkCalendar | None = None,
    actor: Actor | None = None,
) -> list[Deadline]:
    """Open the deadlines ``terms`` of a complaint or an incident (one) inside the
    caller's transaction as ``deadline_open`` opens each — the same rows and events — in
    one INSERT, their due times under ``calendar`` when given (the process's cached one),
    else the stored calendar. Raises ``InvalidInput`` naming each bad argument."""
    rows = deadlines_new(complaint=complaint, incident=incident, terms=terms, calendar=calendar)
    if rows:
        objects_insert(rows)
    for row in rows:
        _opened_record(row, actor)
    return rows


def deadlines_new(
    *,
    complaint: Any = None,
    incident: Any = None,
    terms: Sequence[DeadlineTerms],
    calendar: WorkCalendar | None = None,
) -> list[Deadline]:
    """``deadlines_open_new``'s rows, not written: for a caller that writes them with
    other rows (``audit.linked.objects_insert_linked``) and records them in its own event
    (``deadline_opened_data`` of each: a registration). Reads nothing when given
    ``calendar``."""
    rows = []
    for given in terms:
        spec = dict(given)
        base = spec.pop("base_amount", None)
        spec.setdefault("warn_fraction", DEFAULT_WARN_FRACTION)
        spec.setdefault("warn_lead", None)
        spec.setdefault("business_hours", None)
        row = _row_build(complaint=complaint, incident=incident, improvement=None, **spec)  # type: ignore[arg-type]
        row.base_amount = base  # type: ignore[assignment]
        due, row.warn_at = deadline_schedule(row, calendar=calendar)
        row.due_at, row.provisional = due.at, due.provisional
        rows.append(row)
    return rows


def _moment(at: dt.datetime | None, name: str = "at") -> dt.datetime:
    if at is None:
        return timezone.now()
    try:
        return local_time(at, name)
    except PeriodError as exc:
        raise _invalid(exc) from exc


def _locked_open(deadline: Deadline) -> Deadline:
    row = (
        Deadline.objects.select_for_update(of=("self",))
        .select_related("complaint")
        .get(pk=deadline.pk)
    )
    if row.closed_at is not None:
        raise Conflict(_("This deadline is already closed."))
    return row


def _not_before(at: dt.datetime, earliest: dt.datetime, message: str) -> None:
    if at < earliest:
        raise InvalidInput(message, field_errors={"at": [message]})


def _pause_end(row: Deadline, at: dt.datetime) -> None:
    """Finish the running pause at ``at`` and recompute the due time with it."""
    paused_at = row.paused_at
    if paused_at is None:
        raise Conflict(_("This deadline is not paused."))
    _not_before(at, paused_at, _("The clock cannot resume before it was paused."))
    pause = [paused_at.astimezone(SHANGHAI).isoformat(), at.astimezone(SHANGHAI).isoformat()]
    row.pauses = [*row.pauses, pause]
    row.paused_at = None
    due, row.warn_at = deadline_schedule(row)
    row.due_at, row.provisional = due.at, due.provisional


def deadline_pause(*, deadline: Deadline, at: dt.datetime, actor: Actor | None = None) -> Deadline:
    """Stop the clock at ``at`` (waiting for the complainant, testing, appraisal …).

    While paused the deadline is neither warned nor breached. Raises ``Conflict`` when it
    is closed or already paused.
    """
    at = _moment(at)
    with transaction.atomic():
        row = _locked_open(deadline)
        if row.paused_at is not None:
            raise Conflict(_("This deadline is already paused."))
        _not_before(at, row.anchor_at, _("Cannot be before the time the period counts from."))
        if row.pauses:
            last_resume = dt.datetime.fromisoformat(row.pauses[-1][1])
            _not_before(at, last_resume, _("Cannot be before the clock last resumed."))
        row.paused_at = at
        row.save(update_fields=["paused_at"])
        audit_record(
            actor=actor,
            action=DEADLINE_PAUSED,
            object_type="deadline",
            object_id=str(row.pk),
            complaint=row.complaint,
            incident=row.incident,
            data={"at": at},
        )
    deadline.refresh_from_db()
    return deadline


def deadline_resume(*, deadline: Deadline, at: dt.datetime, actor: Actor | None = None) -> Deadline:
    """Restart the clock at ``at``; the due time moves by the time the pause did not
    count (``calendar.extend_for_pause``). Raises ``Conflict`` when it is not paused."""
    at = _moment(at)
    with transaction.atomic():
        row = _locked_open(deadline)
        if row.paused_at is None:
            raise Conflict(_("This deadline is not paused."))
        due_before = row.due_at
        _pause_end(row, at)
        row.save(update_fields=["paused_at", "pauses", "due_at", "provisional", "warn_at"])
        audit_record(
            actor=actor,
            action=DEADLINE_RESUMED,
            object_type="deadline",
            object_id=str(row.pk),
            complaint=row.complaint,
            incident=row.incident,
            data={"at": at, "changes": {"due_at": [due_before, row.due_at]}},
        )
    deadline.refresh_from_db()
    return deadline


def deadline_close(
    *, deadline: Deadline, reason: str, at: dt.datetime | None = None, actor: Actor | None = None
) -> Deadline:
    """Close the deadline at ``at`` (default now) because ``reason`` (e.g. ``done``).

    A running pause ends at ``at`` first, so ``due_at`` stays the effective due time and
    ``closed_at <= due_at`` says whether it was met. Raises ``Conflict`` when closed.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        message = (
            _("At most %(limit)d characters.") % {"limit": 200}
            if reason
            else _("This field is required.")
        )
        raise InvalidInput(message, field_errors={"reason": [message]})
    at = _moment(at)
    with transaction.atomic():
        row = _locked_open(deadline)
        fields = ["closed_at", "closed_reason"]
        if row.paused_at is not None:
            _pause_end(row, at)
            fields += ["paused_at", "pauses", "due_at", "provisional", "warn_at"]
        row.closed_at, row.closed_reason = at, reason
        row.save(update_fields=fields)
        audit_record(
            actor=actor,
            action=DEADLINE_CLOSED,
            object_type="deadline",
            object_id=str(row.pk),
            complaint=row.complaint,
            incident=row.incident,
            data={"at": at, "reason": reason, "due_at": row.due_at, "met": at <= row.due_at},
        )
    deadline.refresh_from_db()
    return deadline
