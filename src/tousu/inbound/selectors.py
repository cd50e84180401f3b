"""Reads for the inbound API and its callbacks: only complaints a source delivered, and
of those only what the complainant may know (no staff names, no internal notes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.complaints.choices import EventAction, Status
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import value_label
from tousu.complaints.public import PublicEntry, public_timeline
from tousu.complaints.selectors import complaint_timeline
from tousu.core.problems import NotFound
from tousu.deadlines.calendar import PeriodError
from tousu.deadlines.selectors import work_calendar_for
from tousu.inbound.choices import DeliveryKind
from tousu.inbound.models import InboundDelivery, InboundSource
from tousu.plans.choices import ActionType

ENDINGS = (ActionType.REFUSE.value, ActionType.WITHDRAW.value)


def source_complaint_get(*, source: InboundSource, tracking_no: str) -> InboundDelivery:
    """The delivery by which ``source`` handed ``tracking_no`` over, with its complaint;
    ``NotFound`` for a complaint another door or another source brought in, exactly as
    for a number that does not exist."""
    delivery = (
        InboundDelivery.objects.filter(
            source=source, kind=DeliveryKind.COMPLAINT, complaint__tracking_no=tracking_no
        )
        .select_related("complaint__plan_revision__plan")
        .first()
    )
    if delivery is None or delivery.complaint is None:
        raise NotFound(
            _("This source delivered no complaint %(tracking_no)s.") % {"tracking_no": tracking_no}
        )
    return delivery


def complaint_delivery(complaint: Complaint) -> InboundDelivery | None:
    """The delivery that brought ``complaint`` in, with its source; None when it came
    through another door."""
    return (
        InboundDelivery.objects.filter(complaint=complaint, kind=DeliveryKind.COMPLAINT)
        .select_related("source")
        .first()
    )


@dataclass
class Progress:
    """What a source may know of how its complaint went."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    ending: str = ""  # the reason of a refusal or withdrawal
    measures: list[str] = field(default_factory=list)
    satisfaction: str = ""  # the latest rating (recorded, or at the follow-up visit)


def _step(entry: PublicEntry) -> dict[str, Any]:
    """One step of ``process``: its label, who did it (``complainant``, ``staff`` or
    ``system``, never a name) and when."""
    if entry.kind == "received":
        label = str(EventAction.REGISTERED.label)
    elif entry.kind == "stage":
        label = _("Stage changed: %(stage)s") % {"stage": entry.stage}
    else:
        label = entry.title or _("Action")
    return {"action": label, "by": entry.by, "at": local(entry.at)}


def process_steps(complaint: Complaint) -> list[dict[str, Any]]:
    """The steps of the complaint the complainant may see on the portal (the public
    timeline's filter, ``complaints.public``): registration, the plan's public actions,
    an internal step only as the stage it entered; files are not steps."""
    return [
        _step(entry)
        for entry in public_timeline(complaint)
        if entry.kind in ("received", "action", "stage")
    ]


def complaint_progress(complaint: Complaint) -> Progress:
    """The public steps of the complaint's timeline (``process_steps``), its latest
    reply, the measures taken and the latest satisfaction rating."""
    progress = Progress(steps=process_steps(complaint))
    events = complaint_timeline(complaint).filter(action=EventAction.ACTION)
    for event in events:
        data = event.data or {}
        kind = data.get("type")
        if kind == ActionType.REPLY and data.get("reply"):
            progress.reply = str(data["reply"])
        if kind in ENDINGS and data.get("reason"):
            progress.ending = str(data["reason"])
        if data.get("satisfaction"):
            progress.satisfaction = str(data["satisfaction"])
        measure = data.get("measure")
        if measure:
            label = value_label("measure", measure)
            if label not in progress.measures:
                progress.measures.append(label)
    return progress


def local(moment: datetime | None) -> datetime | None:
    """Times given to sources are in business time (Asia/Shanghai, +08:00)."""
    return timezone.localtime(moment) if moment is not None else None


def status_label(complaint: Complaint) -> str:
    if complaint.status in Status.values:
        return str(Status(complaint.status).label)
    return complaint.status


def stage_label(complaint: Complaint) -> str:
    if complaint.plan_revision_id is None or not complaint.stage:
        return ""
    return complaint.plan.stage(complaint.stage).label


def replied_at(complaint: Complaint) -> datetime | None:
    """When the latest reply was given (the engine keeps it for the appeal window)."""
    text = (complaint.workflow or {}).get("replied_at")
    return datetime.fromisoformat(text) if text else None


def closed_at(complaint: Complaint) -> datetime | None:
    """When the complaint entered the closed stage it is in; None while it is not closed."""
    if complaint.status != Status.CLOSED:
        return None
    text = ((complaint.workflow or {}).get("anchors") or {}).get("stage_entered")
    return datetime.fromisoformat(text) if text else None


def working_days_between(start: datetime, end: datetime) -> int | None:
    """The working days after the day of ``start`` up to and including the day of
    ``end`` (as deadlines count: a reply the next working day took 1); None when the
    working calendar does not cover those years."""
    first, last = timezone.localdate(start), timezone.localdate(end)
    if last <= first:
        return 0
    try:
        calendar = work_calendar_for(first, last)
        days, count = first, 0
        while days < last:
            days = days.fromordinal(days.toordinal() + 1)
            count += calendar.day(days).working
    except PeriodError:
        return None
    return count
