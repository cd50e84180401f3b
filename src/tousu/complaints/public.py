"""The public part of a complaint's timeline: what the complainant may see of it (the
portal's tracking page) and what a partner system that delivered the complaint is told
of its progress (the inbound API and its callbacks) — one filter for both.

Only what the complainant is told anyway: that the complaint was received, the stages
it went through (the plan's labels), acceptance or refusal with its reason, the reply,
an extension with its reason, the complainant's own acts (material, rating, appeal,
withdrawal) and the files they sent. Never an internal note, findings, an opinion, a
transfer slip, a deadline escalation, a staff member's name (only the plan's role
label) or an internal key. Everything not listed here stays off the page: a new kind
of event is private until it is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.complaints.selectors import complaint_timeline
from tousu.plans.choices import ActionType, Satisfaction
from tousu.plans.schema import Plan

# Action types whose label is shown, and the texts of each that the complainant may
# read when staff did it. What the complainant wrote themselves is in COMPLAINANT_TEXTS.
STAFF_TEXTS: dict[str, tuple[str, ...]] = {
    ActionType.ACCEPT: (),
    ActionType.REFUSE: ("reason",),  # they are told why (the refusal notice)
    ActionType.TRANSFER: (),  # they are told it moved on, never the slip
    ActionType.REPLY: ("reply",),
    ActionType.EXTEND: ("reason",),  # told with the new date
    ActionType.RECORD_SATISFACTION: ("satisfaction",),
    ActionType.APPEAL: (),
    ActionType.REOPEN: (),
    ActionType.CLOSE: (),
    ActionType.ARCHIVE: (),
    ActionType.WAIT: (),
    ActionType.RESUME: (),
    ActionType.RECORD_FOLLOW_UP: (),
}
COMPLAINANT_TEXTS = ("material", "satisfaction", "reason", "note")
# Who did a step, without a name: the complainant, staff or the system (a door, the
# deadline worker, a plan trigger).
COMPLAINANT, STAFF, SYSTEM = "complainant", "staff", "system"


@dataclass
class PublicEntry:
    """One line of the public timeline."""

    at: datetime
    title: str
    who: str
    stage: str = ""  # the stage entered, when the event moved the case
    texts: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    kind: str = ""  # received, action, stage, attachment
    reply: str = ""  # the reply text, when this is a reply to the complainant
    by: str = SYSTEM  # COMPLAINANT, STAFF or SYSTEM


def _text_labels() -> dict[str, str]:
    return {
        "reply": _("Reply"),
        "reason": _("Reason"),
        "material": pgettext("portal", "Material"),
        "satisfaction": _("Your rating"),
        "note": pgettext("portal", "Comment"),
    }


def satisfaction_label(value: str) -> str:
    return str(Satisfaction(value).label) if value in Satisfaction.values else ""


def _role_label(plan: Plan, action_key: str, actor: Any) -> str:
    """The plan's label of the role the staff member acted in (never their name)."""
    spec = plan.action_anywhere(action_key) if action_key else None
    codes = actor.role_codes() if actor is not None else frozenset()
    for key in spec.by if spec is not None else []:
        role = plan.roles.get(key)
        if role is not None and role.system_role in codes:
            return role.label
    return pgettext("portal", "Staff")


def _by(event: AuditEvent) -> str:
    if (event.data or {}).get("by", "") == COMPLAINANT:
        return COMPLAINANT
    return SYSTEM if event.actor_id is None else STAFF


def _who(event: AuditEvent, plan: Plan | None) -> str:
    by = _by(event)
    if by == COMPLAINANT:
        return pgettext("portal", "You")
    if by == SYSTEM:
        return pgettext("portal", "System")
    if plan is None:
        return pgettext("portal", "Staff")
    return _role_label(plan, (event.data or {}).get("action", ""), event.actor)


def _action_entry(event: AuditEvent, plan: Plan, who: str) -> PublicEntry | None:
    data = event.data or {}
    kind = data.get("type", "")
    moved = data.get("stage")
    stage = moved[1] if isinstance(moved, list) and len(moved) == 2 else ""
    by_complainant = data.get("by") == COMPLAINANT
    labels = _text_labels()
    if by_complainant:
        names: tuple[str, ...] = COMPLAINANT_TEXTS
    elif kind in STAFF_TEXTS:
        names = STAFF_TEXTS[kind]
    elif stage:
        # An internal step that moved the case: only the stage it entered.
        return PublicEntry(
            at=event.at, title=_("Stage changed"), who=who, stage=stage, kind="stage", by=_by(event)
        )
    else:
        return None
    texts = []
    for name in names:
        value = data.get(name)
        if value in (None, "", []):
            continue
        text = satisfaction_label(str(value)) if name == "satisfaction" else str(value)
        if text:
            texts.append((labels[name], text))
    reply = str(data.get("reply", "")) if kind == ActionType.REPLY and not by_complainant else ""
    return PublicEntry(
        at=event.at,
        title=str(data.get("label", "")),
        who=who,
        stage=stage,
        texts=texts,
        kind="action",
        reply=reply,
        by=_by(event),
    )


def public_timeline(complaint: Complaint) -> list[PublicEntry]:
    """The complainant's view of the complaint's history, oldest first: the entries
    listed in this module's docstring, each with the plan's labels and who did it as a
    role label (never a name, a note or an internal key)."""
    plan = complaint.plan if complaint.plan_revision_id else None
    entries: list[PublicEntry] = []
    # The staff's roles in one query (the role label of each event), not one per event.
    for event in complaint_timeline(complaint).prefetch_related("actor__groups"):
        data = event.data or {}
        who = _who(event, plan)
        if event.action == EventAction.REGISTERED:
            entries.append(
                PublicEntry(
                    at=event.at,
                    title=_("Complaint received"),
                    who=who,
                    kind="received",
                    by=_by(event),
                )
            )
        elif event.action == EventAction.ACTION and plan is not None:
            entry = _action_entry(event, plan, who)
            if entry is not None:
                entries.append(entry)
        elif event.action == EventAction.ATTACHMENT_ADDED and data.get("by") == COMPLAINANT:
            name = str(data.get("name", ""))
            entries.append(
                PublicEntry(
                    at=event.at,
                    title=_("File added"),
                    who=who,
                    texts=[(pgettext("portal", "File"), name)],
                    kind="attachment",
                    by=COMPLAINANT,
                )
            )
    return entries


def latest_reply(entries: list[PublicEntry]) -> PublicEntry | None:
    """The last reply on the public timeline (what the complainant was told)."""
    return next((entry for entry in reversed(entries) if entry.reply), None)
