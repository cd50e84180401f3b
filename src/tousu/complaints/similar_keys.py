"""What a complaint is compared by and indexed under for mass complaints
(``complaints.similar``): its facts, the plan's mass triggers and the fields they share,
and the (band, bucket) rows of the similarity index. Reads nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tousu.complaints.models import Complaint
from tousu.complaints.shingles import normalised, shingles, signature
from tousu.plans import schema

ROWS = 1
BANDS = 8
FIELD_BAND = BANDS  # the band of the rows keyed by the fields alone (similarity 0)

_BAND_BYTES = ROWS * 4


# The fields mass triggers compare ---------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the mass triggers compare of one complaint: merchant, product and place
    normalised, the category's key and the department's id."""

    merchant: str
    product: str
    place: str
    category: str
    department: int | None

    @classmethod
    def of(cls, complaint: Complaint) -> Facts:
        return cls(
            merchant=normalised(complaint.merchant),
            product=normalised(complaint.product),
            place=normalised(complaint.occurred_place),
            category=complaint.category.key,
            department=complaint.department_id,
        )


def _lineage(plan: schema.Plan) -> dict[str, tuple[str, ...]]:
    """Each category key of the plan with its ancestors, nearest first."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(nodes: Sequence[schema.Category], above: tuple[str, ...]) -> None:
        for node in nodes:
            found[node.key] = (node.key, *above)
            walk(node.children, (node.key, *above))

    walk(plan.categories, ())
    return found


class Fields:
    """Compares the fields of two complaints under one plan's category tree."""

    def __init__(self, plan: schema.Plan):
        self.lineage = _lineage(plan)

    def value(self, field: str, facts: Facts) -> str:
        """The value a bucket is keyed by; blank when the complaint has none. A category is
        keyed by the root of its lineage, so a parent and its child meet in one bucket."""
        if field == "category":
            return self.lineage.get(facts.category, (facts.category,))[-1]
        if field == "department":
            return "" if facts.department is None else str(facts.department)
        text: str = getattr(facts, field)
        return text

    def same(self, field: str, first: Facts, second: Facts) -> bool:
        """Whether two complaints have the same ``field``; blank never matches, and a
        category matches itself, its ancestors and its descendants."""
        if field == "category":
            a, b = first.category, second.category
            return a == b or a in self.lineage.get(b, ()) or b in self.lineage.get(a, ())
        if field == "department":
            return first.department is not None and first.department == second.department
        value = getattr(first, field)
        return bool(value) and value == getattr(second, field)

    def share(self, fields: Iterable[str], first: Facts, second: Facts) -> bool:
        return all(self.same(field, first, second) for field in fields)


# Plans ------------------------------------------------------------------------------


def mass_triggers(plan: schema.Plan) -> list[schema.EmergencyTrigger]:
    """The plan's triggers that count complaints about one matter."""
    if plan.emergency is None:
        return []
    return [trigger for trigger in plan.emergency.triggers if trigger.mass is not None]


def mass_rule(trigger: schema.EmergencyTrigger) -> schema.MassTrigger:
    assert trigger.mass is not None  # only mass triggers reach here
    return trigger.mass


def compares_text(trigger: schema.EmergencyTrigger) -> bool:
    """Whether the trigger compares text (a similarity above 0) besides its fields."""
    return mass_rule(trigger).similarity > 0


@dataclass(frozen=True)
class Scope:
    """A set of fields the index keys buckets by: with ``text``, one row per band of the
    signature (candidates of a matter); without, one row keyed by the fields alone."""

    fields: tuple[str, ...]
    text: bool


def trigger_scopes(triggers: Sequence[schema.EmergencyTrigger]) -> list[Scope]:
    """For the triggers that compare text, their smallest field sets (a candidate that
    shares the merchant and the product also shares the merchant, so one scope serves
    both); for those that group by their fields alone, each field set."""
    text = {tuple(sorted(set(mass_rule(t).same))) for t in triggers if compares_text(t)}
    smallest = sorted(s for s in text if not any(set(o) < set(s) for o in text))
    alone = sorted(
        {tuple(sorted(set(mass_rule(t).same))) for t in triggers if not compares_text(t)}
    )
    return [Scope(s, True) for s in smallest] + [Scope(s, False) for s in alone]


def bucket_key(*parts: bytes) -> int:
    data = b"".join(len(part).to_bytes(4, "big") + part for part in parts)
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def scope_key(plan: schema.Plan, scope: Scope, fields: Fields, facts: Facts) -> list[bytes]:
    """What a scope's buckets are keyed by; empty when the complaint lacks a field."""
    values = [fields.value(field, facts) for field in scope.fields]
    if not all(values):
        return []
    return [plan.key.encode(), ",".join(scope.fields).encode(), *(v.encode() for v in values)]


def index_rows(
    plan: schema.Plan, scopes: Sequence[Scope], fields: Fields, facts: Facts, sig: bytes
) -> list[tuple[int, int]]:
    """The (band, bucket) rows of a complaint; none for a scope whose fields it lacks."""
    rows: list[tuple[int, int]] = []
    for scope in scopes:
        key = scope_key(plan, scope, fields, facts)
        if not key:
            continue
        if not scope.text:
            rows.append((FIELD_BAND, bucket_key(*key)))
        elif sig:
            for band in range(BANDS):
                part = sig[band * _BAND_BYTES : (band + 1) * _BAND_BYTES]
                rows.append((band, bucket_key(*key, band.to_bytes(2, "big"), part)))
    return list(dict.fromkeys(rows))


# Preparing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Indexing:
    """What indexing a complaint needs that reads nothing (``similar_prepare``): its
    (band, bucket) rows — none when it is not indexed —, its compared fields and its
    text's signature."""

    rows: list[tuple[int, int]]
    fields: Fields | None = None
    facts: Facts | None = None
    sig: bytes = b""


def similar_prepare(*, complaint: Complaint, plan: schema.Plan) -> Indexing:
    """The complaint's signature and index rows, from its fields alone: computed before
    its registration's transaction, so that SQLite's one writer does not wait on it.
    No rows when the plan has no mass trigger or the complaint lacks every compared
    field."""
    triggers = mass_triggers(plan)
    if not triggers:
        return Indexing([])
    fields = Fields(plan)
    facts = Facts.of(complaint)
    sig = signature(shingles(complaint.title, complaint.description, (complaint.merchant,)))
    return Indexing(
        index_rows(plan, trigger_scopes(triggers), fields, facts, sig), fields, facts, sig
    )
