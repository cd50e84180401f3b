"""Writes of complaints: intake, edits, assignment and transfer, evidence, status.

Every service runs in one transaction, checks the caller's permission and the data,
and appends its timeline event to the audit chain in the same transaction. Invalid
data raises ``InvalidInput`` naming each field before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.selectors import departments_cached
from tousu.audit.bulk import audit_chain_new
from tousu.audit.linked import Part, Rows, objects_insert_linked
from tousu.audit.services import audit_record
from tousu.complaints.access import access_code_new, access_digest
from tousu.complaints.attachments import AttachmentUpload, attachment_validate
from tousu.complaints.checks import (
    TEXT_FIELDS,
    ComplainantData,
    FieldErrors,
    complainant_clean,
)
from tousu.complaints.choices import (
    Channel,
    EventAction,
    Nature,
    Severity,
)
from tousu.complaints.evidence import attachment_store
from tousu.complaints.hooks import complaint_happened
from tousu.complaints.lookup import complainant_digests, phone_key_digests
from tousu.complaints.models import (
    Complainant,
    ComplainantKey,
    Complaint,
    ComplaintSearchDocument,
)
from tousu.complaints.repeats import repeat_check
from tousu.complaints.search import document_for
from tousu.complaints.similar import similar_index, similar_locks
from tousu.complaints.similar_keys import Indexing, similar_prepare
from tousu.core.actors import MAIL, PORTAL, ComplainantActor, SystemActor, is_door
from tousu.core.config import config_cached, config_scope
from tousu.core.inputs import date_problem
from tousu.core.problems import NotAllowed
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_opened_data
from tousu.notifications.services import notify_complainant
from tousu.plans.engine import workflow_deadlines, workflow_start
from tousu.plans.models import Category, PlanRevision


def categories_cached() -> dict[str, Category]:
    """Active categories by key, each with its parents linked (a plan condition on a
    category walks them), kept in this process until the configuration changes."""

    def build() -> dict[str, Category]:
        every = {c.pk: c for c in Category.objects.all()}
        for category in every.values():
            if category.parent_id is not None:
                category.parent = every[category.parent_id]
        return {c.key: c for c in every.values() if c.is_active}

    return config_cached("complaints.categories", build)


def category_get(errors: FieldErrors, key: str) -> Category | None:
    if not key:
        errors.add("category", _("This field is required."))
        return None
    category = categories_cached().get(key)
    if category is None:
        errors.add("category", _("Unknown category “%(value)s”.") % {"value": key})
    return category


def department_get(errors: FieldErrors, name: str, code: str) -> Department | None:
    if not code:
        errors.add(name, _("This field is required."))
        return None
    department = departments_cached()["code"].get(code)
    if department is None:
        errors.add(name, _("Unknown department “%(value)s”.") % {"value": code})
    return department


_SEQUENCE_NEXT = (
    "INSERT INTO complaints_dailysequence (day, last) VALUES (%s, 1)"
    " ON CONFLICT (day) DO UPDATE SET last = complaints_dailysequence.last + 1"
    " RETURNING last"
)
_SEQUENCE_NEXT_APART = (
    "INSERT INTO complaints_dailysequence (day, last)"
    " SELECT %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS s"
    " ON CONFLICT (day) DO UPDATE SET last = complaints_dailysequence.last + 1"
    " RETURNING last"
)


def _tracking_no_next(received_at: datetime) -> str:
    """``TS-YYYYMMDD-NNNNNN``: the local date and that day's counter (sortable). One
    statement (``DailySequence``'s table), in the caller's transaction if any. Taken on
    its own on PostgreSQL, its commit does not wait for the disk: the registration's
    commit, which does, comes later in the log and makes the counter durable with it; a
    number lost in a crash before then was held by no complaint."""
    day = timezone.localdate(received_at)
    with connection.cursor() as cursor:
        apart = connection.vendor == "postgresql" and connection.get_autocommit()
        sql = _SEQUENCE_NEXT_APART if apart else _SEQUENCE_NEXT
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return f"TS-{day:%Y%m%d}-{int(last):06d}"


def search_document_save(complaint: Complaint) -> None:
    ComplaintSearchDocument.objects.update_or_create(
        complaint=complaint,
        defaults={"document": document_for(*(getattr(complaint, f) for f in TEXT_FIELDS))},
    )


def plan_revision_current() -> PlanRevision | None:
    """The active revision of the organisation's plan, or None when it runs no plan."""
    from tousu.accounts.models import Organisation

    organisation = Organisation.objects.select_related("plan__active_revision").first()
    if organisation is None or organisation.plan is None:
        return None
    return organisation.plan.active_revision


def plan_revision_cached() -> PlanRevision | None:
    """``plan_revision_current``, its plan and typed plan loaded, kept in this process
    until the configuration changes (``core.config``). Shared: callers must not change
    it."""

    def build() -> PlanRevision | None:
        from tousu.accounts.models import Organisation

        organisation = Organisation.objects.select_related("plan__active_revision").first()
        if organisation is None or organisation.plan is None:
            return None
        revision = organisation.plan.active_revision
        if revision is not None:
            revision.plan = organisation.plan
            revision.plan_model  # noqa: B018 — parsed once, here
        return revision

    return config_cached("complaints.plan_revision", build)


class ComplaintSnapshot(TypedDict):
    """The fields a complaint's timeline shows when it is registered."""

    plan_revision: str | None
    title: str
    category: str
    severity: str
    nature: str
    channel: str
    status: str
    department: str
    confidential: bool


def complaint_snapshot(complaint: Complaint) -> ComplaintSnapshot:
    """The complaint's non-personal fields as they appear on the timeline."""
    revision = complaint.plan_revision
    return {
        "plan_revision": f"{revision.plan.name} r{revision.number}" if revision else None,
        "title": complaint.title,
        "category": complaint.category.name,
        "severity": complaint.severity,
        "nature": complaint.nature,
        "channel": complaint.channel,
        "status": complaint.status,
        "department": complaint.department.name,
        "confidential": complaint.confidential,
    }


def intake_department() -> Department | None:
    """Where a complaint that came in through a door (portal, email, api, import) starts:
    the department of the plan's first stage — a fixed department of a role acting there,
    else the department of someone who plays such a role — else the top department. Kept
    in this process until the configuration changes (roles, users and departments are
    watched). Shared: callers must not change it."""
    return config_cached("complaints.intake_department", _intake_department_find)


def _intake_department_find() -> Department | None:
    revision = plan_revision_cached()
    if revision is not None:
        plan = revision.plan_model
        roles = [
            plan.roles[key]
            for action in plan.stage(plan.initial_stage).actions
            for key in action.by
            if key in plan.roles
        ]
        codes = [role.department for role in roles if role.department]
        if codes:
            found = Department.objects.filter(code__in=codes, is_active=True).first()
            if found is not None:
                return found
        holder = (
            User.objects.filter(
                is_active=True,
                department__is_active=True,
                groups__name__in=[role.system_role for role in roles],
            )
            .select_related("department")
            .order_by("pk")
            .first()
        )
        if holder is not None:
            return holder.department
    return Department.objects.filter(is_active=True, parent=None).order_by("pk").first()


def complaint_register(
    *,
    actor: User | SystemActor,
    channel: str,
    title: str,
    description: str,
    category: str,
    complainant: ComplainantData,
    severity: str = Severity.ORDINARY,
    nature: str = Nature.PROBLEM,
    occurred_at: datetime | None = None,
    occurred_place: str = "",
    persons_involved: str = "",
    merchant: str = "",
    product: str = "",
    amount_involved: Decimal | None = None,
    people_injured: int = 0,
    media_involved: bool = False,
    confidential: bool = False,
    department: str = "",
    received_at: datetime | None = None,
    attachments: Sequence[AttachmentUpload] = (),
    consent: str = "",
) -> Complaint:
    """Register a complaint received through ``channel``; ``actor`` is its first contact.

    ``consent`` records on the registration event what the complainant agreed to at the
    door (the portal's privacy notice, with its version).

    ``actor`` is a staff user, or a door (``core.actors`` PORTAL, MAIL, INBOUND,
    IMPORT) for a complaint no staff member took: then the complaint has no
    ``received_by`` and starts in the ``intake_department``. The complaint starts in the
    actor's department unless ``department`` (a code) is given. The returned complaint
    carries its private ``access_code`` (only that instance: a digest is stored), and
    the receipt carrying it is queued for the complainant.

    Raises ``NotAllowed`` without the add permission and ``InvalidInput`` naming
    every bad field; nothing is written then, attachments included.
    """
    with config_scope():
        return _register(
            actor=actor,
            channel=channel,
            title=title,
            description=description,
            category=category,
            complainant=complainant,
            severity=severity,
            nature=nature,
            occurred_at=occurred_at,
            occurred_place=occurred_place,
            persons_involved=persons_involved,
            merchant=merchant,
            product=product,
            amount_involved=amount_involved,
            people_injured=people_injured,
            media_involved=media_involved,
            confidential=confidential,
            department=department,
            received_at=received_at,
            attachments=attachments,
            consent=consent,
        )


def _register(
    *,
    actor: User | SystemActor,
    channel: str,
    title: str,
    description: str,
    category: str,
    complainant: ComplainantData,
    severity: str,
    nature: str,
    occurred_at: datetime | None,
    occurred_place: str,
    persons_involved: str,
    merchant: str,
    product: str,
    amount_involved: Decimal | None,
    people_injured: int,
    media_involved: bool,
    confidential: bool,
    department: str,
    received_at: datetime | None,
    attachments: Sequence[AttachmentUpload],
    consent: str,
) -> Complaint:
    """``complaint_register`` inside its configuration scope: the plan, categories,
    departments, calendar and the actor's permissions come from this process's caches,
    and a new complaint's rows go in a statement per table."""
    door = is_door(actor)
    if not door and not actor.has_perm("complaints.add_complaint"):  # type: ignore[union-attr]
        raise NotAllowed(_("You may not register complaints."))
    revision = plan_revision_cached()
    errors = FieldErrors()
    if revision is None:
        errors.choice("channel", channel, Channel)
        errors.choice("severity", severity, Severity)
        errors.choice("nature", nature, Nature)
    else:
        plan = revision.plan_model
        errors.key("channel", channel, list(plan.channels))
        errors.key("severity", severity, plan.keys_of("severities"))
        errors.key("nature", nature, plan.keys_of("natures"))
        # A nature the plan holds confidential (e.g. 涉密) makes the complaint so.
        confidential = confidential or nature in plan.confidentiality.natures
    texts = {
        name: errors.text(name, value, required=name in ("title", "description"))
        for name, value in (
            ("title", title),
            ("description", description),
            ("occurred_place", occurred_place),
            ("persons_involved", persons_involved),
            ("merchant", merchant),
            ("product", product),
        )
    }
    if amount_involved is not None and not (0 <= amount_involved < Decimal("1e12")):
        errors.add("amount_involved", _("Give an amount of zero or more yuan."))
    if not 0 <= people_injured <= 1_000_000:
        errors.add("people_injured", _("Give a number of people of zero or more."))
    person = complainant_clean(errors, complainant)
    category_obj = category_get(errors, category)
    if department:
        department_obj = department_get(errors, "department", department)
    elif door:
        department_obj = intake_department()
        if department_obj is None:
            errors.add("department", _("The organisation has no department to receive it."))
    elif actor.department_id is None:
        errors.add("department", _("Choose the department that handles it."))
        department_obj = None
    else:
        department_obj = departments_cached()["id"].get(actor.department_id) or actor.department
    now = timezone.now()
    received_at = received_at or now
    for name, moment in (("received_at", received_at), ("occurred_at", occurred_at)):
        if moment is None:
            continue
        problem = date_problem(moment)
        if problem:
            errors.add(name, problem)
        elif moment > now:
            errors.add(name, _("Cannot be in the future."))
    for index, upload in enumerate(attachments):
        for message in attachment_validate(upload):
            errors.add(f"attachments.{index}", message)
    errors.raise_if_any()
    # Both were found, or an error named them above.
    assert category_obj is not None and department_obj is not None

    # The day's counter is taken in its own short transaction, so concurrent intakes do
    # not queue behind each other's whole registration (a failure leaves a gap: numbers
    # are unique and sortable, not gapless). SQLite lets one writer in at a time anyway:
    # there it is taken inside the registration's transaction, one wait instead of two
    # (and a failure takes its number back).
    apart = connection.vendor != "sqlite"
    tracking_no = _tracking_no_next(received_at) if apart else ""
    access_code = access_code_new()
    staff = actor if isinstance(actor, User) else None
    stored: list[str] = []
    # What reads nothing is made before the transaction (SQLite's one writer does not
    # wait on it): the rows, the deadlines, the search document, the text's signature.
    person_row = Complainant(
        name=person.name,
        phone=person.phone,
        id_number=person.id_number,
        address=person.address,
        email=person.email,
        **complainant_digests(name=person.name, phone=person.phone),
    )
    complaint = Complaint(
        tracking_no=tracking_no,
        channel=channel,
        severity=severity,
        nature=nature,
        category=category_obj,
        complainant=person_row,
        received_by=staff,
        department=department_obj,
        occurred_at=occurred_at,
        amount_involved=amount_involved,
        people_injured=people_injured,
        media_involved=media_involved,
        confidential=confidential,
        received_at=received_at,
        registered_at=now,
        **texts,
    )
    opened: list[Deadline] = []
    indexing = Indexing([])
    if revision is not None:
        # The plan's first stage and its deadlines (the process's cached calendar).
        for name, value in workflow_start(complaint=complaint, revision=revision, at=now).items():
            setattr(complaint, name, value)
        opened = workflow_deadlines(complaint=complaint, at=now)
        indexing = similar_prepare(complaint=complaint, plan=plan)
    # Held for the answer; what changes them below (an emergency's factor) changes these
    # objects (``deadlines_scale``, which reads none back while ``registering``).
    complaint.deadlines_opened = opened  # type: ignore[attr-defined]
    document = document_for(*(getattr(complaint, f) for f in TEXT_FIELDS))
    try:
        with transaction.atomic():
            if not complaint.tracking_no:
                complaint.tracking_no = tracking_no = _tracking_no_next(received_at)
            complaint.access_digest = access_digest(tracking_no, access_code)
            # The complainant, their digest rows, the complaint, its search document and
            # its deadlines in one statement on PostgreSQL (``objects_insert_linked``: the
            # fields prepare their values, encryption included, as ``save`` would).
            objects_insert_linked(
                [
                    Part([person_row]),
                    Rows(
                        ComplainantKey,
                        ("digest",),
                        [(digest,) for digest in phone_key_digests(person.phone)],
                        links={"complainant_id": 0},
                    ),
                    Part([complaint], links={"complainant_id": 0}),
                    Rows(
                        ComplaintSearchDocument,
                        ("document",),
                        [(document,)],
                        links={"complaint_id": 2},
                    ),
                    Part(opened, links={"complaint_id": 2}),
                    # On PostgreSQL: the buckets of its text, which ``similar_index``
                    # reads below, held by this statement for the transaction.
                    similar_locks(indexing),
                ]
            )
            # The deadlines as they opened, before an emergency's factor may shorten them:
            # the registration's event lists them (one event for the registration).
            deadlines = [{"deadline": row.pk, **deadline_opened_data(row)} for row in opened]
            # The new complaint's chain is written with all its events when this ends.
            complaint.registering = True  # type: ignore[attr-defined]
            with audit_chain_new(complaint_id=complaint.pk):
                if revision is not None:
                    repeat_check(complaint=complaint, now=now)
                    similar_index(  # mass complaints
                        complaint=complaint, plan=plan, now=now, prepared=indexing, locked=True
                    )
                    notify_complainant(
                        complaint=complaint, event="received", now=now, access_code=access_code
                    )
                    # The emergency response weighs its triggers (urgent, mass, media …).
                    complaint_happened(complaint=complaint, what="registered", actor=actor, now=now)
                # The complainant filed it themselves through the portal or by email.
                recorder = ComplainantActor(person_row.pk) if actor in (PORTAL, MAIL) else actor
                audit_record(
                    actor=recorder,
                    action=EventAction.REGISTERED,
                    object_type="complaint",
                    object_id=complaint.tracking_no,
                    complaint=complaint,
                    data={
                        "fields": complaint_snapshot(complaint),
                        **({"deadlines": deadlines} if deadlines else {}),
                        **({"consent": consent} if consent else {}),
                    },
                )
                for upload in attachments:
                    stored.append(
                        attachment_store(actor=recorder, complaint=complaint, upload=upload)
                    )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    finally:
        complaint.registering = False  # type: ignore[attr-defined]
    complaint.access_code = access_code  # type: ignore[attr-defined]
    return complaint
