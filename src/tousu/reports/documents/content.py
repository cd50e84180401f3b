"""What each document says, gathered from the complaint's rows and timeline.

Every function takes a complaint the caller has read through the visibility gate
(``complaint_get_visible``) and returns plain data for its template; a document that does
not apply to the complaint raises ``Conflict`` saying why (a notice of non-acceptance for
a complaint that was accepted, a 批示 where nothing was approved …). Labels come from the
plan or from choices, never internal keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tousu.accounts.selectors import organisation_current
from tousu.audit.models import AuditEvent
from tousu.complaints.changes import complainant_reveal
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import (
    deadline_label,
    masked_complainant,
    plan_label,
    timeline_rows,
)
from tousu.complaints.receipts import Receipt, receipt_for
from tousu.complaints.selectors import complaint_timeline
from tousu.core.problems import Conflict
from tousu.deadlines.calendar import PeriodError
from tousu.deadlines.choices import DEADLINE_OPENED, Unit
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import due_compute
from tousu.plans.choices import ActionType
from tousu.plans.people import department_heads

# The other routes a complainant has when a complaint is not accepted (消保法 第39条;
# regulations.md §1c): used where the plan's messages have no ``other_routes`` text.
OTHER_ROUTES_DEFAULT = (
    "与经营者协商和解",
    "请求消费者协会或者依法成立的其他调解组织调解",
    "向有关行政部门投诉（全国12315平台，或拨打12345政务服务便民热线）",
    "根据与经营者达成的仲裁协议提请仲裁机构仲裁",
    "向人民法院提起诉讼",
)


@dataclass(frozen=True)
class Heading:
    """What every document starts with."""

    organisation: str
    plan: str
    complaint: Complaint
    printed_at: datetime


def heading(complaint: Complaint) -> Heading:
    organisation = organisation_current()
    plan = ""
    if complaint.plan_revision_id is not None:
        plan = complaint.plan.metadata.name
    return Heading(
        organisation=organisation.name if organisation else "",
        plan=plan,
        complaint=complaint,
        printed_at=timezone.now(),
    )


def _events(complaint: Complaint, *, action: str, types: set[str] | None = None):
    events = complaint_timeline(complaint).filter(action=action)
    found = list(events)
    if types is not None:
        found = [e for e in found if (e.data or {}).get("type") in types]
    return found


def _pick(events: list[AuditEvent], seq: int | None) -> AuditEvent | None:
    """The event ``seq`` (one of ``events``), else the latest."""
    if seq is not None:
        return next((e for e in events if e.seq == seq), None)
    return events[-1] if events else None


def _actor(event: AuditEvent) -> str:
    return timeline_rows([event])[0]["actor"]


@dataclass(frozen=True)
class Person:
    """The complainant as this reader may see them: masked, or in full (then logged)."""

    name: str
    phone: str
    id_number: str
    address: str
    email: str
    full: bool


def complainant_for(*, user, complaint: Complaint, purpose: str) -> Person:
    """Masked unless ``user``'s role may see personal data; a full view is recorded in the
    audit chain like the complaint page's reveal."""
    if user.sees_personal_data:
        person = complainant_reveal(actor=user, complaint=complaint, purpose=purpose)
        return Person(
            name=person.name,
            phone=person.phone,
            id_number=person.id_number,
            address=person.address,
            email=person.email,
            full=True,
        )
    masked = masked_complainant(complaint.complainant)
    return Person(**masked, full=False)


def facts(complaint: Complaint) -> list[tuple[str, str]]:
    """The complaint's particulars as (label, value) rows, with the plan's labels."""
    plan = complaint.plan if complaint.plan_revision_id else None
    rows = [
        (_("Tracking number"), complaint.tracking_no),
        (_("Title"), complaint.title),
        (_("Category"), complaint.category.name),
        (_("Severity"), plan_label(plan, "severities", complaint.severity)),
        (_("Nature"), plan_label(plan, "natures", complaint.nature)),
        (_("Channel"), complaint.get_channel_display()),
        (_("Received at"), _when(complaint.received_at)),
        (
            _("Received by"),
            complaint.received_by.display_name
            if complaint.received_by
            else complaint.get_channel_display(),
        ),
        (_("Department"), complaint.department.name),
        (_("Assignee"), complaint.assignee.display_name if complaint.assignee else "—"),
        (_("Stage"), plan.stage(complaint.stage).label if plan else complaint.get_status_display()),
        (_("When it happened"), _when(complaint.occurred_at) or "—"),
        (_("Where it happened"), complaint.occurred_place or "—"),
        (_("Persons involved"), complaint.persons_involved or "—"),
        (_("Merchant"), complaint.merchant or "—"),
        (_("Product or service"), complaint.product or "—"),
    ]
    if complaint.amount_involved is not None:
        rows.append((_("Amount involved (yuan)"), str(complaint.amount_involved)))
    return rows


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# ---------------------------------------------------------------- 受理回执


@dataclass(frozen=True)
class ReceiptDocument:
    head: Heading
    receipt: Receipt
    complainant: str
    category: str


def receipt_document(complaint: Complaint) -> ReceiptDocument:
    """The 受理回执 as reprinted by the office: never with the access code (only the desk
    that registered the complaint prints it, for a few minutes); the complainant masked."""
    return ReceiptDocument(
        head=heading(complaint),
        receipt=receipt_for(complaint),
        complainant=masked_complainant(complaint.complainant)["name"],
        category=complaint.category.name,
    )


# ---------------------------------------------------------------- 不予受理告知书


@dataclass(frozen=True)
class RefusalDocument:
    head: Heading
    complainant: Person
    action: str
    reason: str
    decided_at: datetime
    decided_by: str
    other_routes: list[str]


def refusals(complaint: Complaint) -> list[AuditEvent]:
    return _events(complaint, action=EventAction.ACTION, types={ActionType.REFUSE.value})


def refusal_document(*, user, complaint: Complaint, seq: int | None = None) -> RefusalDocument:
    """The notice of non-acceptance: the reason recorded with the plan's refuse action and
    the routes the complainant still has (the plan's ``messages.other_routes``, one route a
    line, else those of 消保法 第39条)."""
    event = _pick(refusals(complaint), seq)
    if event is None:
        raise Conflict(
            _("Complaint %(no)s was not refused: there is no notice of non-acceptance to print.")
            % {"no": complaint.tracking_no},
            field_errors={"document": [_("Only for a complaint that was not accepted.")]},
        )
    routes: list[str] = list(OTHER_ROUTES_DEFAULT)
    if complaint.plan_revision_id is not None:
        text = complaint.plan.messages.get("other_routes", "")
        lines = [line.strip(" -·\t") for line in text.splitlines()]
        if any(lines):
            routes = [line for line in lines if line]
    data = event.data or {}
    return RefusalDocument(
        head=heading(complaint),
        complainant=complainant_for(user=user, complaint=complaint, purpose="不予受理告知书"),
        action=str(data.get("label", "")),
        reason=str(data.get("reason", "")),
        decided_at=event.at,
        decided_by=_actor(event),
        other_routes=routes,
    )


# ---------------------------------------------------------------- 投诉接收单


@dataclass(frozen=True)
class TimeLimitRow:
    label: str
    due_at: datetime


@dataclass(frozen=True)
class TransferDocument:
    head: Heading
    action: str
    from_department: str
    to_department: str
    assignee: str
    transferred_at: datetime
    transferred_by: str
    slip: str
    # The limits the transfer started for the receiving department, and those that were
    # already running and go on with the case (started earlier, not by the transfer).
    limits: list[TimeLimitRow]
    running: list[TimeLimitRow] = field(default_factory=list)


def transfers(complaint: Complaint) -> list[AuditEvent]:
    return [
        e
        for e in _events(complaint, action=EventAction.ACTION, types={ActionType.TRANSFER.value})
        if isinstance((e.data or {}).get("department"), list)
    ]


def _opened_by(complaint: Complaint, event: AuditEvent) -> list[Deadline]:
    """The deadline rows the action ``event`` opened, exactly.

    The engine applies an action in one transaction that holds the complaint's audit
    chain: it closes and opens the deadline rows (each with its ``deadline.*`` event) and
    then writes the action's event. So the rows the action opened are those of the
    ``deadline.opened`` events in the unbroken run of deadline events just before it in
    the chain; the first other event (the previous action, the registration) ends the run.
    Only rows of the stage the action entered count (or of its own stage when it stays)."""
    pks: list[int] = []
    earlier = (
        AuditEvent.objects.filter(chain_id=event.chain_id, chain_seq__lt=event.chain_seq)
        .order_by("-chain_seq")
        .values_list("action", "object_id")
    )
    for action, object_id in earlier.iterator(chunk_size=50):
        if not action.startswith("deadline."):
            break
        if action == DEADLINE_OPENED and object_id.isdigit():
            pks.append(int(object_id))
    if not pks:
        return []
    plan = complaint.plan
    key = str((event.data or {}).get("action", ""))
    stages = {
        spec.to or stage_key
        for stage_key, stage in plan.stages.items()
        for spec in stage.actions
        if spec.key == key
    }
    return list(
        Deadline.objects.filter(complaint=complaint, pk__in=pks, stage__in=stages).order_by(
            "due_at", "pk"
        )
    )


def _running_at(complaint: Complaint, event: AuditEvent, opened: list[Deadline]) -> list[Deadline]:
    """The rows running when the transfer was made that it did not open: started before
    it and not closed by then (a row the transfer closed closed before its event)."""
    return list(
        Deadline.objects.filter(complaint=complaint, created_at__lt=event.at)
        .exclude(pk__in=[row.pk for row in opened])
        .exclude(closed_at__lte=event.at)
        .order_by("due_at", "pk")
    )


def transfer_document(complaint: Complaint, seq: int | None = None) -> TransferDocument:
    """The transfer slip (投诉接收单): from and to which department, when, by whom, what
    goes with it, the time limits the transfer started for the receiving department
    (exactly the rows it opened, see ``_opened_by``) and those already running."""
    event = _pick(transfers(complaint), seq)
    if event is None:
        raise Conflict(
            _("Complaint %(no)s was not transferred with a slip.") % {"no": complaint.tracking_no},
            field_errors={"document": [_("Only for a complaint transferred with a slip.")]},
        )
    data = event.data or {}
    before, after = data["department"]
    limits: list[TimeLimitRow] = []
    running: list[TimeLimitRow] = []
    if complaint.plan_revision_id is not None:
        plan = complaint.plan
        opened = _opened_by(complaint, event)
        for row in opened:
            limits.append(TimeLimitRow(label=deadline_label(plan, row.kind), due_at=row.due_at))
        for row in _running_at(complaint, event, opened):
            running.append(TimeLimitRow(label=deadline_label(plan, row.kind), due_at=row.due_at))
    return TransferDocument(
        head=heading(complaint),
        action=str(data.get("label", "")),
        from_department=str(before),
        to_department=str(after),
        assignee=str(data.get("assignee", "")),
        transferred_at=event.at,
        transferred_by=_actor(event),
        slip=str(data.get("slip", "")),
        limits=limits,
        running=running,
    )


# ---------------------------------------------------------------- 督办单


@dataclass(frozen=True)
class SupervisionDocument:
    head: Heading
    deadline: str
    due_at: datetime
    overdue: str
    issued_at: datetime
    issued_by: str
    note: str
    answer_by: list[str]
    reply_due_at: datetime | None
    reply_rule: str
    stored: bool


def supervisions(complaint: Complaint) -> list[AuditEvent]:
    return _events(complaint, action=EventAction.SUPERVISED)


def overdue_deadlines(complaint: Complaint, now: datetime | None = None) -> list[Deadline]:
    now = now or timezone.now()
    return list(
        Deadline.objects.filter(
            complaint=complaint, closed_at__isnull=True, paused_at__isnull=True, due_at__lt=now
        ).order_by("due_at")
    )


def _overdue_text(due_at: datetime, at: datetime) -> str:
    late = at - due_at
    if late <= timedelta(0):
        return _("not overdue")
    hours = int(late.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(days)d days %(hours)d hours") % {"days": days, "hours": hours}
    return _("%(hours)d hours") % {"hours": hours}


def supervision_document(complaint: Complaint, seq: int | None = None) -> SupervisionDocument:
    """The 督办单: the overdue time limit, who must answer (those the notice was sent to;
    for a notice drawn up now, the case's holder and its department's heads), and the
    reply deadline. A supervision notice the supervisor sent (supervision board) is
    printed as it was sent; without one, the notice is drawn up now for the complaint's
    most overdue time limit. The reply is due within the overdue
    limit's own period under the plan (its amount and unit, on the plan's calendar),
    counted from the notice."""
    now = timezone.now()
    event = _pick(supervisions(complaint), seq)
    plan = complaint.plan if complaint.plan_revision_id else None
    row: Deadline | None
    if event is not None:
        data = event.data or {}
        kind = str(data.get("deadline", ""))
        due = parse_datetime(str(data.get("due_at", ""))) or event.at
        row = Deadline.objects.filter(complaint=complaint, kind=kind).order_by("-due_at").first()
        issued_at, issued_by, note = event.at, _actor(event), str(data.get("note", ""))
    else:
        late = overdue_deadlines(complaint, now)
        if not late:
            raise Conflict(
                _(
                    "Complaint %(no)s has no overdue time limit and no supervision notice: "
                    "there is nothing to supervise."
                )
                % {"no": complaint.tracking_no},
                field_errors={"document": [_("Only for a complaint with an overdue time limit.")]},
            )
        row = late[0]
        kind, due, issued_at, issued_by, note = row.kind, row.due_at, now, "", ""
    label = deadline_label(plan, kind) if plan else kind
    reply_due, rule = None, ""
    if row is not None:
        units = dict(Unit.choices)
        amount = format(row.amount.normalize(), "f")
        rule = _("within the period of “%(limit)s” (%(amount)s %(unit)s) from the notice") % {
            "limit": label,
            "amount": amount,
            "unit": units.get(row.unit, row.unit),
        }
        try:
            reply_due = due_compute(
                anchor_at=issued_at,
                amount=row.amount,
                unit=row.unit,
                business_hours=row.business_hours,
            ).at
        except PeriodError:
            reply_due = None
    notified = (event.data or {}).get("notified") if event is not None else None
    names: list[str] = []
    if isinstance(notified, list):
        # A stored notice names whom it was sent to then, whoever holds the case now.
        names = [str(name) for name in notified]
    else:
        # Drawn up now (or a notice stored before ``notified`` was recorded): the case's
        # holder and its department's heads, as the supervision board would tell them.
        holder = complaint.assignee or complaint.received_by
        for person in [holder, *department_heads(complaint)]:
            if person is not None and person.display_name not in names:
                names.append(person.display_name)
    return SupervisionDocument(
        head=heading(complaint),
        deadline=label,
        due_at=due,
        overdue=_overdue_text(due, issued_at),
        issued_at=issued_at,
        issued_by=issued_by,
        note=note,
        answer_by=names,
        reply_due_at=reply_due,
        reply_rule=rule,
        stored=event is not None,
    )


# ---------------------------------------------------------------- 批示


@dataclass(frozen=True)
class InstructionDocument:
    head: Heading
    action: str
    opinion: str
    proposed_by: str
    proposed_at: datetime | None
    approved_by: str
    approved_at: datetime
    comment: str


def approvals(complaint: Complaint) -> list[AuditEvent]:
    return _events(complaint, action=EventAction.ACTION, types={ActionType.APPROVE.value})


def instruction_document(complaint: Complaint, seq: int | None = None) -> InstructionDocument:
    """The leader's 批示 on an approved opinion: the opinion as proposed (by whom, when),
    who approved it and when, and the leader's comment."""
    event = _pick(approvals(complaint), seq)
    if event is None:
        raise Conflict(
            _("No handling opinion of complaint %(no)s has been approved.")
            % {"no": complaint.tracking_no},
            field_errors={"document": [_("Only for a complaint with an approved opinion.")]},
        )
    data = event.data or {}
    proposal = None
    for earlier in _events(complaint, action=EventAction.ACTION, types={"propose"}):
        if earlier.seq < event.seq:
            proposal = earlier
    return InstructionDocument(
        head=heading(complaint),
        action=str(data.get("label", "")),
        opinion=str(data.get("opinion", "")),
        proposed_by=_actor(proposal) if proposal else "",
        proposed_at=proposal.at if proposal else None,
        approved_by=_actor(event),
        approved_at=event.at,
        comment=str(data.get("note", "")),
    )
