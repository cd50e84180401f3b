"""Mass complaints (群体性投诉): earlier complaints about the same matter, found through an
index of similar Chinese text, and the plan's ``mass`` triggers counted over them.

Text. ``complaints.shingles``: content characters of the title and description, and
their MinHash signature, whose share of equal positions estimates the Jaccard
similarity of two texts.

Index. The first ``BANDS * ROWS`` values, in bands of ``ROWS``, are hashed with the plan
and the values of the fields its text-comparing triggers share (the merchant …) into
``SimilarityBand`` rows. Complaints that share a row are candidates: a pair at 0.3 shares
one of 8 bands of one value with probability 1 − 0.7⁸ = 0.94 (0.98 at 0.4); bands of two
values would need 32 rows per complaint for the same. A look-up reads at most
``CANDIDATES_PER_BAND`` newest rows of each of the complaint's buckets inside the plan's
longest mass window. A trigger with similarity 0 ("three complaints about one stall in a
week, whatever each is about") adds one row keyed by its fields alone.

Matters. A new complaint joins the matter (``ComplaintMatter``) of its most similar
candidate that shares the fields of a text-comparing trigger and reaches that trigger's
similarity, or starts a matter: paraphrases of one matter link, another matter of the same
merchant does not. On PostgreSQL the registration holds a transaction-level advisory lock
on each of its buckets while it looks, writes and counts, so two near-identical
complaints registered at once are indexed one after the other and the second finds the
first: a storm ends in one matter. SQLite runs one write transaction at a time
(IMMEDIATE).

Counting. For a text-comparing trigger, a member of the complaint's matter counts when it
was received inside the trigger's window, shares the trigger's fields with the complaint,
and joined the matter at the trigger's similarity or more (pairs of paraphrases often
fall under 0.3 while each is close to some member, so the matter, not the pair, is what
is compared). For a trigger with similarity 0, the complaints of its fields' bucket in
the window count. Complainants count once each (phone digest, else name digest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from tousu.audit.linked import (
    AdvisoryLocks,
    Locked,
    Part,
    Rows,
    advisory_locks,
    objects_insert_linked,
)
from tousu.complaints.models import (
    Complainant,
    Complaint,
    ComplaintMatter,
    ComplaintSignature,
    SimilarityBand,
)
from tousu.complaints.shingles import normalised, similarity
from tousu.complaints.similar_keys import (
    FIELD_BAND,
    Facts,
    Fields,
    Indexing,
    Scope,
    bucket_key,
    compares_text,
    mass_rule,
    mass_triggers,
    scope_key,
    similar_prepare,
    trigger_scopes,
)
from tousu.deadlines.calendar import DEFAULT_BUSINESS_HOURS, SHANGHAI
from tousu.deadlines.selectors import work_calendar_for
from tousu.plans import schema
from tousu.plans.choices import DeadlineUnit
from tousu.plans.models import Category

CANDIDATES_PER_BAND = 64
MEMBERS_LIMIT = 500


# Windows ----------------------------------------------------------------------------


def window_start(within: schema.Duration, now: datetime) -> datetime:
    """Where a window of ``within`` that ends at ``now`` starts. Working days go back over
    the working calendar (to the same time of day); working hours count as whole working
    days of the default business hours, rounded up."""
    amount = float(within.amount)
    if within.unit == DeadlineUnit.HOURS:
        return now - timedelta(hours=amount)
    if within.unit == DeadlineUnit.DAYS:
        return now - timedelta(days=amount)
    days = math.ceil(amount)
    if within.unit == DeadlineUnit.WORKING_HOURS:
        per_day = DEFAULT_BUSINESS_HOURS.per_day().total_seconds() / 3600
        days = math.ceil(amount / per_day)
    local = timezone.localtime(now, SHANGHAI)
    day = local.date()
    calendar = work_calendar_for(day - timedelta(days=days * 2 + 40), day)
    while days > 0:
        day -= timedelta(days=1)
        days -= calendar.is_working_day(day)
    return datetime.combine(day, local.timetz())


# Index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    complaint_id: int
    matter_id: int
    matter_key: str
    signature: bytes
    facts: Facts


def similar_locks(indexing: Indexing) -> AdvisoryLocks:
    """The locks of the complaint's buckets (PostgreSQL), in one order for all, held until
    the transaction ends: for its registration's first statement to take
    (``objects_insert_linked``), ``similar_index`` being told they are held."""
    return AdvisoryLocks([bucket for _band, bucket in indexing.rows])


def _facts(merchant: str, product: str, place: str, category: str, department: int) -> Facts:
    return Facts(
        merchant=normalised(merchant),
        product=normalised(product),
        place=normalised(place),
        category=category,
        department=department,
    )


_FACT_COLUMNS = (
    "complaint__merchant",
    "complaint__product",
    "complaint__occurred_place",
    "complaint__category__key",
    "complaint__department_id",
)


def _candidates_sql() -> str:
    """The candidates' statement around their ids' union (``{hits}``): written once from
    the models' names, as the ORM would, without compiling a query per registration."""
    quote = connection.ops.quote_name

    def table(model: type[Any]) -> str:
        return quote(model._meta.db_table)

    key = quote("key")
    return (
        f"SELECT s.complaint_id, s.matter_id, m.{key}, s.signature,"  # noqa: S608 - names only
        f" c.merchant, c.product, c.occurred_place, k.{key}, c.department_id"
        f" FROM {table(ComplaintSignature)} s"
        f" JOIN {table(ComplaintMatter)} m ON m.id = s.matter_id"
        f" JOIN {table(Complaint)} c ON c.id = s.complaint_id"
        f" JOIN {table(Category)} k ON k.id = c.category_id"
        " WHERE s.complaint_id IN ({hits})"
    )


def _candidates(rows: Sequence[tuple[int, int]], since: datetime) -> list[_Candidate]:
    """Indexed complaints that share a text row, received since ``since``: the newest
    ``CANDIDATES_PER_BAND`` of each bucket, read from the index alone, in one query."""
    table = connection.ops.quote_name(SimilarityBand._meta.db_table)
    branch = (
        f"SELECT complaint_id FROM (SELECT complaint_id FROM {table}"  # noqa: S608
        " WHERE band = %s AND bucket = %s AND received_at >= %s"
        f" ORDER BY received_at DESC LIMIT {CANDIDATES_PER_BAND}) AS b{{}}"
    )
    moment = connection.ops.adapt_datetimefield_value(since)
    params: list[Any] = []
    for band, bucket in rows:
        params += [band, bucket, moment]
    hits = " UNION ".join(branch.format(i) for i in range(len(rows)))
    with connection.cursor() as cursor:
        # Constant SQL (names from the models, the branches above); values are bound.
        cursor.execute(_candidates_sql().format(hits=hits), params)
        found = cursor.fetchall()
    return [
        _Candidate(
            complaint_id=pk,
            matter_id=matter,
            matter_key=key,
            signature=bytes(sig),
            facts=_facts(*facts),
        )
        for pk, matter, key, sig, *facts in found
    ]


_BAND_FIELDS = ("complaint", "band", "bucket", "received_at")


def similar_index(
    *,
    complaint: Complaint,
    plan: schema.Plan,
    now: datetime,
    prepared: Indexing | None = None,
    locked: bool = False,
) -> ComplaintMatter | None:
    """Index a newly registered complaint and put it in its matter; returns the matter.

    Call inside the registration's transaction, once per complaint. Nothing is read or
    written for a plan without mass triggers, nor for a complaint that lacks a field every
    mass trigger compares (a blank merchant never matches). Otherwise it writes the
    complaint's band rows and — when a trigger compares text — its signature, joining the
    matter of the most similar earlier complaint of the plan inside the longest mass
    window or starting a new ``ComplaintMatter``. On PostgreSQL it holds advisory locks
    on the complaint's buckets until the transaction ends. Returns None when the complaint
    is in no matter. ``prepared``: ``similar_prepare``'s answer for it, when the caller
    took it before the transaction; ``locked``: the caller holds its buckets' locks
    already (``similar_locks``), taken by an earlier statement of the transaction.
    """
    indexing = prepared or similar_prepare(complaint=complaint, plan=plan)
    fields, facts, sig, rows = indexing.fields, indexing.facts, indexing.sig, indexing.rows
    if not rows:
        return None
    assert fields is not None and facts is not None  # rows come with them
    if not locked:
        advisory_locks(similar_locks(indexing))
    text_rows = [row for row in rows if row[0] != FIELD_BAND]
    matter: ComplaintMatter | None = None
    parts: list[Part | Rows | Locked] = []
    if text_rows:
        matter, score, new = _matter(complaint, plan, fields, facts, sig, text_rows, now)
        # Those who join one matter take their turn until they commit: the count each
        # sees, and the incident it may open, include every member written before it.
        parts.append(Part([matter]) if new else Locked(ComplaintMatter, matter.pk))
        written = ComplaintSignature(
            complaint=complaint,
            matter=matter,
            received_at=complaint.received_at,
            signature=sig,
            score=score,
        )
        # The complaint holds its signature: see ``_matter_started``.
        parts.append(Part([written], links={"matter_id": 0}))
    bands = [(complaint.pk, band, bucket, complaint.received_at) for band, bucket in rows]
    # The matter (new, or locked), the signature and the bands: one statement on
    # PostgreSQL.
    objects_insert_linked([*parts, Rows(SimilarityBand, _BAND_FIELDS, bands)])
    return matter


def _matter(
    complaint: Complaint,
    plan: schema.Plan,
    fields: Fields,
    facts: Facts,
    sig: bytes,
    rows: Sequence[tuple[int, int]],
    now: datetime,
) -> tuple[ComplaintMatter, float, bool]:
    """The matter of the most similar candidate that shares the fields of a trigger that
    compares text and reaches its similarity (between equals, the earliest registered),
    the similarity and False; else a new matter (not written yet), 1 and True."""
    text = [t for t in mass_triggers(plan) if compares_text(t)]
    since = min(window_start(mass_rule(t).within, now) for t in text)
    best: tuple[float, int, _Candidate] | None = None
    for candidate in _candidates(rows, since):
        score = similarity(sig, candidate.signature)
        if any(
            score >= float(mass_rule(t).similarity)
            and fields.share(mass_rule(t).same, facts, candidate.facts)
            for t in text
        ):
            key = (score, -candidate.complaint_id, candidate)
            best = key if best is None or key[:2] > best[:2] else best
    if best is None:
        started = ComplaintMatter(
            key=complaint.tracking_no, plan_key=plan.key, started_at=complaint.received_at
        )
        return started, 1.0, True
    joined = best[2]
    return ComplaintMatter(pk=joined.matter_id, key=joined.matter_key), best[0], False


# Counting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MassFiring:
    """A mass trigger reached: ``complainants`` distinct people complained inside the
    trigger's window (``complaint_ids``, in registration order). ``group_key`` names the
    group: the matter's key for a trigger that compares text; for one that compares
    fields alone, ``fields:`` and the tracking number of the group's earliest complaint."""

    trigger: str
    level: str
    group_key: str
    complaint_ids: list[int]
    complainants: int


@dataclass(frozen=True)
class _Member:
    complaint_id: int
    tracking_no: str
    received_at: datetime
    score: float
    person: str
    facts: Facts


_MEMBER_COLUMNS = (
    "complaint_id",
    "complaint__tracking_no",
    "received_at",
    "complaint__complainant_id",
    "complaint__complainant__phone_digest",
    "complaint__complainant__name_digest",
)


def _member(row: Sequence[Any], score: float, facts: Facts | None = None) -> _Member:
    pk, tracking_no, received, person, phone, name, *compared = row
    return _Member(
        complaint_id=pk,
        tracking_no=tracking_no,
        received_at=received,
        score=score,
        person=phone or name or f"#{person}",
        facts=facts or _facts(*compared),
    )


def _members_sql() -> str:
    """The members' statement: a matter's signatures in a window, newest first, with
    their complaints' tracking numbers, people and facts. Written from the models' names,
    as the ORM would: building and compiling that query for every registration was a
    fifth of a registration's instructions."""
    quote = connection.ops.quote_name

    def table(model: type[Any]) -> str:
        return quote(model._meta.db_table)

    key, signatures = quote("key"), table(ComplaintSignature)
    return (
        f"SELECT m.{key}, s.score, s.complaint_id, c.tracking_no, s.received_at,"  # noqa: S608 - names only
        f" c.complainant_id, p.phone_digest, p.name_digest,"
        f" c.merchant, c.product, c.occurred_place, k.{key}, c.department_id"
        f" FROM {signatures} s"
        f" JOIN {table(ComplaintMatter)} m ON m.id = s.matter_id"
        f" JOIN {table(Complaint)} c ON c.id = s.complaint_id"
        f" JOIN {table(Complainant)} p ON p.id = c.complainant_id"
        f" JOIN {table(Category)} k ON k.id = c.category_id"
        f" WHERE s.matter_id = (SELECT matter_id FROM {signatures} WHERE complaint_id = %s)"
        " AND s.received_at >= %s AND s.received_at <= %s"
        f" ORDER BY s.received_at DESC, s.complaint_id DESC LIMIT {MEMBERS_LIMIT}"
    )


def _matter_members(complaint: Complaint, since: datetime) -> tuple[str, list[_Member]]:
    """The matter's key and its newest ``MEMBERS_LIMIT`` members received from ``since``
    to the complaint, in one query over the matter's index."""
    ops = connection.ops
    params = [
        complaint.pk,
        ops.adapt_datetimefield_value(since),
        ops.adapt_datetimefield_value(complaint.received_at),
    ]
    with connection.cursor() as cursor:
        # Constant SQL (names from the models); values are bound.
        cursor.execute(_members_sql(), params)
        rows = cursor.fetchall()
    # SQLite answers a datetime as text; its backend's converter makes it one.
    convert = getattr(ops, "convert_datetimefield_value", None)
    key = rows[0][0] if rows else ""
    members = []
    for _key, score, pk, tracking_no, received, *rest in rows:
        if convert is not None:
            received = convert(received, None, connection)
        members.append(_member((pk, tracking_no, received, *rest), score))
    return key, members


def _matter_started(complaint: Complaint, facts: Facts) -> tuple[str, list[_Member]] | None:
    """When ``similar_index`` of this registration started the complaint's matter (the
    signature it wrote is still on the instance), the matter's key and its one member:
    nobody joins a matter before the transaction that started it commits. Else None."""
    relation = ComplaintSignature._meta.get_field("complaint").remote_field
    written = relation.get_cached_value(complaint, default=None)
    if not isinstance(written, ComplaintSignature) or written.matter.key != complaint.tracking_no:
        return None
    person = complaint.complainant
    member = _Member(
        complaint_id=complaint.pk,
        tracking_no=complaint.tracking_no,
        received_at=complaint.received_at,
        score=written.score,
        person=person.phone_digest or person.name_digest or f"#{person.pk}",
        facts=facts,
    )
    return written.matter.key, [member]


def _bucket_members(
    bucket: int, scope: Scope, complaint: Complaint, facts: Facts, since: datetime
) -> list[_Member]:
    """The newest ``MEMBERS_LIMIT`` complaints of a fields-alone bucket received from
    ``since`` to the complaint, in one query over the index. They have the complaint's
    values of the scope's fields (the bucket is their hash), but for a category, which
    is keyed by the root of its lineage."""
    compared = _FACT_COLUMNS if "category" in scope.fields else ()
    found = (
        SimilarityBand.objects.filter(
            band=FIELD_BAND,
            bucket=bucket,
            received_at__gte=since,
            received_at__lte=complaint.received_at,
        )
        .order_by("-received_at")
        .values_list(*_MEMBER_COLUMNS, *compared)[:MEMBERS_LIMIT]
    )
    return [_member(row, 1.0, None if compared else facts) for row in found]


def mass_firings(*, complaint: Complaint, plan: schema.Plan, now: datetime) -> list[MassFiring]:
    """The plan's mass triggers that the complaint reaches, the most serious level first.

    A trigger fires when at least ``count`` distinct complainants (phone digest, else
    name digest) have complaints received inside ``within`` before ``now``, and not after
    this complaint, that share the trigger's ``same`` fields with this complaint — this
    complaint among them. For a trigger that compares text they must also be in this
    complaint's matter, having joined it at the trigger's ``similarity`` or more (the
    complaint that started it counts as 1). Reads one query for the matter (none when
    this registration started it: it has no other member yet) and one per set of fields
    compared alone, over the index (at most ``MEMBERS_LIMIT`` newest rows each); writes
    nothing. A complaint ``similar_index`` did not index fires nothing.
    """
    triggers = mass_triggers(plan)
    emergency = plan.emergency
    if not triggers or emergency is None:
        return []
    fields = Fields(plan)
    facts = Facts.of(complaint)
    starts = {t.key: window_start(mass_rule(t).within, now) for t in triggers}
    text = [t for t in triggers if compares_text(t)]
    groups: dict[str, tuple[str, list[_Member]]] = {}
    scopes = [
        (s, key) for s in trigger_scopes(triggers) if (key := scope_key(plan, s, fields, facts))
    ]
    if any(scope.text for scope, _key in scopes):  # else it is in no matter
        matter = _matter_started(complaint, facts) or _matter_members(
            complaint, min(starts[t.key] for t in text)
        )
        groups.update((t.key, matter) for t in text)
    for scope, key in scopes:
        if scope.text:
            continue
        alone = [
            t
            for t in triggers
            if not compares_text(t) and tuple(sorted(set(mass_rule(t).same))) == scope.fields
        ]
        since = min(starts[t.key] for t in alone)
        members = _bucket_members(bucket_key(*key), scope, complaint, facts, since)
        groups.update((t.key, ("", members)) for t in alone)
    firings: list[MassFiring] = []
    for trigger in triggers:
        rule = mass_rule(trigger)
        group_key, members = groups.get(trigger.key, ("", []))
        counted = [
            member
            for member in members
            if member.received_at >= starts[trigger.key]
            and member.score >= float(rule.similarity)
            and fields.share(rule.same, facts, member.facts)
        ]
        if not any(member.complaint_id == complaint.pk for member in counted):
            continue
        people = len({member.person for member in counted})
        if people < rule.count:
            continue
        counted.sort(key=lambda member: member.complaint_id)
        firings.append(
            MassFiring(
                trigger=trigger.key,
                level=trigger.level,
                group_key=group_key or f"fields:{counted[0].tracking_no}",
                complaint_ids=[member.complaint_id for member in counted],
                complainants=people,
            )
        )
    order = {trigger.key: index for index, trigger in enumerate(triggers)}
    firings.sort(key=lambda f: (emergency.rank(f.level), order[f.trigger]))
    return firings
