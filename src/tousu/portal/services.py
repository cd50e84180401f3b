"""What the public portal does: file a complaint through the ``web`` channel, and let
the complainant act on their own complaint through the plan's engine.

Views and the JSON API call these; the rules (rate limits, the plan's channel, what the
complainant asks for, which plan action a request means) live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.checks import LIMITS, ComplainantData
from tousu.complaints.evidence import material_add
from tousu.complaints.lookup import phone_digits
from tousu.complaints.models import Complaint
from tousu.complaints.public import satisfaction_label
from tousu.complaints.services import complaint_register, plan_revision_current
from tousu.complaints.validators import phone_normalise
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import PORTAL, ComplainantActor
from tousu.core.problems import Conflict, InvalidInput
from tousu.plans.choices import ActionType
from tousu.plans.engine import AvailableAction, actions_available
from tousu.plans.schema import Plan
from tousu.portal.throttle import rate, rate_hit

CHANNEL = "web"
# What the complainant asks for (诉求) has no field of its own: it is kept in the
# description under this heading. Stored text, the same whatever the page's language.
DEMAND_HEADING = "诉求："
# What the registration event records the complainant accepted (the notice's version).
PRIVACY_CONSENT = "privacy_notice:2026-12"


@dataclass
class Filing:
    """A complaint as the public portal's form (or its JSON twin) gives it."""

    category: str
    title: str
    description: str
    name: str
    demand: str = ""
    phone: str = ""
    email: str = ""
    occurred_at: datetime | None = None
    occurred_place: str = ""
    merchant: str = ""
    product: str = ""
    amount_involved: Decimal | None = None


def retention_years() -> int:
    """How long personal data is kept after closure, as the privacy notice says
    (regulations.md §6: 3 years, the limitation period, then anonymised)."""
    return int(getattr(settings, "PORTAL_RETENTION_YEARS", 3))


def portal_plan() -> tuple[Plan | None, str]:
    """The plan the portal files under, or None with the reason the form is closed."""
    revision = plan_revision_current()
    if revision is None:
        return None, _("Complaints cannot be filed online yet. Please call or visit us instead.")
    plan = revision.plan_model
    if CHANNEL not in plan.channels:
        return None, _(
            "This organisation does not take complaints online under its complaint plan. "
            "Please call, write or visit us instead."
        )
    return plan, ""


def description_with_demand(description: str, demand: str) -> str:
    """The description, with what the complainant asks for under its heading."""
    description, demand = (description or "").strip(), (demand or "").strip()
    if not demand:
        return description
    return f"{description}\n\n{DEMAND_HEADING}{demand}"


def contact_key(filing: Filing) -> str:
    """What the per-contact limit counts: the phone number as stored (139-1234-5678,
    +86 139 1234 5678 and 008613912345678 are one number), else the email address."""
    phone = "".join((filing.phone or "").split())
    if phone:
        return "phone:" + (phone_digits(phone_normalise(phone)) or phone)
    return "email:" + "".join((filing.email or "").split()).lower()


def _nature(plan: Plan) -> str:
    natures = plan.keys_of("natures")
    return "problem" if "problem" in natures else natures[0]


def complaint_file(
    *, filing: Filing, attachments: Sequence[AttachmentUpload] = (), address: str
) -> Complaint:
    """Register ``filing`` as a complaint through the web channel, the complainant being
    its own first contact (``PORTAL``): no staff member received it.

    Rate limits first (``Throttled``, 429): complaints per client address and per phone
    number (or email when no phone is given). Then the plan must take the web channel
    (``Conflict`` naming ``channel``), and a contact is required (``InvalidInput``
    naming ``phone``). The complaint's severity is the plan's lowest; staff classify.
    Returns the complaint with its one-time ``access_code``.
    """
    plan, closed = portal_plan()
    if plan is None:
        raise Conflict(closed, field_errors={"channel": [closed]})
    errors: dict[str, list[str]] = {}
    if not (filing.phone or "").strip() and not (filing.email or "").strip():
        errors["phone"] = [_("Give a mobile number or an email address so we can reach you.")]
    description = description_with_demand(filing.description, filing.demand)
    if filing.description.strip() and len(description) > LIMITS["description"]:
        message = _("What happened and what you ask for: at most %(limit)d characters together.")
        errors["description"] = [message % {"limit": LIMITS["description"]}]
    if errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors)
    rate_hit(rate("file_address"), address)
    rate_hit(rate("file_contact"), contact_key(filing))
    return complaint_register(
        actor=PORTAL,
        channel=CHANNEL,
        title=filing.title,
        description=description if filing.description.strip() else "",
        category=filing.category,
        severity=plan.keys_of("severities")[0],
        nature=_nature(plan),
        complainant=ComplainantData(name=filing.name, phone=filing.phone, email=filing.email),
        occurred_at=filing.occurred_at,
        occurred_place=filing.occurred_place,
        merchant=filing.merchant,
        product=filing.product,
        amount_involved=filing.amount_involved,
        attachments=attachments,
        consent=PRIVACY_CONSENT,
    )


def complainant_of(complaint: Complaint) -> ComplainantActor:
    return ComplainantActor(complainant_id=complaint.complainant_id)


def complainant_actions(complaint: Complaint) -> list[AvailableAction]:
    """What the complainant may do on ``complaint`` now (the engine decides)."""
    return actions_available(complaint=complaint, user=complainant_of(complaint))


def plan_has_rating(complaint: Complaint) -> bool:
    """Whether the plan lets the complainant rate the result in some stage."""
    if complaint.plan_revision_id is None:
        return False
    return any(
        action.type == ActionType.RECORD_SATISFACTION and "complainant" in action.by
        for stage in complaint.plan.stages.values()
        for action in stage.actions
    )


# The data each kind of action takes from the complainant.
ACTION_FIELDS = {
    ActionType.RECORD_SATISFACTION: ("satisfaction", "note"),
    ActionType.APPEAL: ("reason",),
    ActionType.WITHDRAW: ("reason",),
    ActionType.ADD_MATERIAL: ("material",),
}


def _rating_check(plan: Plan, value: str) -> None:
    """A rating must be one of the plan's scale; the refusal names the choices by their
    labels (the JSON API sends the value itself)."""
    scale = [item.value for item in plan.satisfaction.scale]
    if value in scale:
        return
    labels = pgettext("list separator", ", ").join(satisfaction_label(item) for item in scale)
    message = _("Choose how satisfied you are with the result: %(choices)s.") % {"choices": labels}
    raise InvalidInput(message, field_errors={"satisfaction": [message]})


def complainant_act(
    *,
    complaint: Complaint,
    action: str,
    data: dict[str, str],
    address: str,
    version: int | None = None,
    uploads: Sequence[AttachmentUpload] = (),
) -> Complaint:
    """Perform plan action ``action`` as the complainant of ``complaint``.

    The engine decides whether it may be done now (a rating before the reply, an appeal
    after the plan's window or with its rounds used are refused with the engine's own
    message: ``Conflict``, ``NotAllowed``, ``InvalidInput``). Adding material stores its
    files in the same transaction. ``version`` is the version the complainant saw (a
    stale page gets a 409); without it, the current one. Limited per client address
    (``Throttled``).
    """
    rate_hit(rate("act_address"), address)
    actor = complainant_of(complaint)
    spec = complaint.plan.action_anywhere(action) if complaint.plan_revision_id else None
    kind = spec.type if spec is not None else None
    fields = ACTION_FIELDS.get(kind, ("note",)) if kind else ("note",)
    given = {name: str(data.get(name) or "") for name in fields if data.get(name)}
    if kind == ActionType.RECORD_SATISFACTION and data.get("note"):
        given["note"] = str(data["note"])
    if version is None:
        version = complaint.version
    if kind == ActionType.ADD_MATERIAL:
        return material_add(
            complaint=complaint,
            actor=actor,
            material=given.get("material", ""),
            uploads=uploads,
            version=version,
        )
    if kind == ActionType.RECORD_SATISFACTION:
        _rating_check(complaint.plan, given.get("satisfaction", ""))
    if uploads:
        message = _("Files can only be sent with added material.")
        raise InvalidInput(message, field_errors={"attachments": [message]})
    return complaint_act(
        complaint=complaint, actor=actor, action=action, version=version, data=given
    )
