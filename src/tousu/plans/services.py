"""Writes for plans: loading revisions, activating one, adopting a plan, templates."""

from __future__ import annotations

import hashlib
from datetime import date
from importlib import resources

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from tousu.accounts.choices import Role
from tousu.accounts.models import Organisation, User
from tousu.audit.services import audit_record
from tousu.core.problems import InvalidInput, NotAllowed
from tousu.notifications.services import notify_staff_notice
from tousu.plans.categories import categories_sync
from tousu.plans.models import Plan, PlanRevision
from tousu.plans.validation import plan_parse

TEMPLATE_KEYS = (
    "market",
    "enterprise",
    "government",
    "petition",
    "service_incident",
    "customer_emergency",
    "school",
    "dealer_315",
    "assurance",
)


def template_source(key: str) -> bytes:
    """The shipped template file of ``key``."""
    return resources.files("tousu.plans").joinpath(f"templates_yaml/{key}.yaml").read_bytes()


def plan_load(
    *,
    source: bytes | str,
    author: User | None = None,
    effective_date: date | None = None,
    note: str = "",
    activate: bool | None = None,
) -> PlanRevision:
    """Store ``source`` as the next immutable revision of the plan it names.

    Raises ``InvalidInput`` with every error by its path in the file; nothing is stored
    then. The first revision of a plan becomes active; later ones only when
    ``activate`` is true (an administrator activates them otherwise).
    """
    raw = source.encode("utf-8") if isinstance(source, str) else source
    result = plan_parse(raw)
    plan_def = result.plan
    if plan_def is None or not result.ok:
        raise InvalidInput(
            _("The plan file has errors."),
            field_errors=_group([(e.path or "file", e.message) for e in result.errors]),
        )
    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        plan, created = Plan.objects.select_for_update().get_or_create(
            key=plan_def.key, defaults={"name": plan_def.metadata.name}
        )
        latest = plan.revisions.order_by("-number").first()
        if latest is not None and latest.sha256 == digest:
            raise InvalidInput(
                _("This file is identical to revision %(number)d.") % {"number": latest.number},
                field_errors={"file": [_("No change to load.")]},
            )
        number = (plan.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = PlanRevision.objects.create(
            plan=plan,
            number=number,
            source=raw.decode("utf-8"),
            definition=plan_def.model_dump(mode="json", by_alias=True),
            sha256=digest,
            effective_date=effective_date or plan_def.metadata.effective_date,
            author=author,
            note=note,
        )
        audit_record(
            actor=author,
            action="plan.revision_loaded",
            object_type="plan",
            object_id=plan.key,
            data={"revision": number, "sha256": digest, "note": note},
        )
        if plan.name != plan_def.metadata.name:
            plan.name = plan_def.metadata.name
            plan.save(update_fields=["name"])
        if created or activate or plan.active_revision_id is None:
            plan_activate(revision=revision, actor=author)
    revision.plan.refresh_from_db()
    return revision


def _group(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for path, message in pairs:
        grouped.setdefault(path, []).append(message)
    return grouped


def plan_activate(*, revision: PlanRevision, actor: User | None) -> Plan:
    """Make ``revision`` the one new complaints of its plan start under."""
    if actor is not None and not actor.has_perm("plans.change_plan"):
        raise NotAllowed(_("Only administrators activate plan revisions."))
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=revision.plan_id)
        before = plan.active_revision.number if plan.active_revision else None
        plan.active_revision = revision
        plan.save(update_fields=["active_revision"])
        audit_record(
            actor=actor,
            action="plan.revision_activated",
            object_type="plan",
            object_id=plan.key,
            data={"changes": {"active_revision": [before, revision.number]}},
        )
        organisation = Organisation.objects.order_by("pk").first()
        if organisation is not None and organisation.plan_id == plan.pk:
            categories_sync(plan=revision.plan_model)
            if actor is not None:  # an administrator put it in force: the departments hear
                _revision_notice(plan, revision)
    return plan


def _revision_notice(plan: Plan, revision: PlanRevision) -> None:
    """Tell the departments (their heads) that a new revision of the plan is in force."""
    heads = User.objects.filter(is_active=True, groups__name=Role.DEPARTMENT_HEAD)
    text = _(
        "Revision %(number)d of “%(plan)s” is in force from now: new complaints run under "
        "it. %(note)s"
    ) % {"number": revision.number, "plan": plan.name, "note": revision.note}
    notify_staff_notice(
        users=heads.prefetch_related("notification_channels"),
        key=f"plan:{plan.key}:r{revision.number}:activated",
        subject=text,
        body=text,
    )


def organisation_plan_adopt(*, key: str, actor: User | None = None) -> Plan:
    """Run the organisation under plan ``key`` (its active revision)."""
    plan = Plan.objects.select_related("active_revision").filter(key=key).first()
    if plan is None or plan.active_revision is None:
        raise InvalidInput(
            _("Unknown plan “%(key)s”.") % {"key": key}, field_errors={"plan": [_("Unknown plan.")]}
        )
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().order_by("pk").first()
        if organisation is None:
            raise InvalidInput(_("Create the organisation first."))
        organisation.plan = plan
        organisation.save(update_fields=["plan"])
        categories_sync(plan=plan.active_revision.plan_model)
        audit_record(
            actor=actor,
            action="organisation.plan_adopted",
            object_type="organisation",
            object_id=str(organisation.pk),
            data={"plan": key, "revision": plan.active_revision.number},
        )
    return plan


def templates_install() -> list[str]:
    """Load every shipped template that is not stored yet; return the keys loaded."""
    loaded = []
    existing = set(Plan.objects.values_list("key", flat=True))
    for key in TEMPLATE_KEYS:
        if key in existing:
            continue
        plan_load(source=template_source(key), note="shipped template")
        loaded.append(key)
    return loaded
