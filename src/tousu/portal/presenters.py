"""What the complainant's tracking page shows of a complaint (the page and the JSON
twin read the same): the plan's stage label, the public timeline, the latest reply and
the actions open to them now — never an internal key or a staff member's name."""

from __future__ import annotations

from django.utils import timezone

from tousu.complaints.models import Complaint
from tousu.complaints.public import latest_reply, public_timeline, satisfaction_label
from tousu.portal.forms import ComplainantActionForm
from tousu.portal.services import complainant_actions, plan_has_rating


def stage_label(complaint: Complaint) -> str:
    if complaint.plan_revision_id is None:
        return complaint.get_status_display()
    return complaint.plan.stage(complaint.stage).label


def case_context(complaint: Complaint, failed: ComplainantActionForm | None = None) -> dict:
    """The tracking page's context; ``failed`` is a refused action form, shown with its
    errors in its place (also when the action is not offered now)."""
    plan = complaint.plan if complaint.plan_revision_id else None
    timeline = public_timeline(complaint)
    forms = []
    offered = complainant_actions(complaint)
    for action in offered:
        if failed is not None and failed.action.key == action.key:
            forms.append(failed)
        elif plan is not None:
            forms.append(
                ComplainantActionForm(
                    action=action, plan=plan, initial={"version": complaint.version}
                )
            )
    if failed is not None and failed.action.key not in {a.key for a in offered}:
        forms.insert(0, failed)
    terminal = bool(plan and plan.stage(complaint.stage).terminal)
    reply = latest_reply(timeline)
    return {
        "complaint": complaint,
        "stage": stage_label(complaint),
        "terminal": terminal,
        "timeline": list(reversed(timeline)),
        "reply": reply,
        "satisfaction": satisfaction_label(complaint.satisfaction),
        "action_forms": forms,
        # Before the reply, the person learns they will be asked to rate the result.
        "rating_later": reply is None and not terminal and plan_has_rating(complaint),
        "now": timezone.now(),
    }
