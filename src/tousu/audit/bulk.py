"""Starting many audit chains at once: the events of subjects created in the caller's
transaction (complaints registered in bulk by an import), each subject's chain begun
with its events. The events, their keyed hashes and the chain heads are exactly what
``audit_record`` would write one event at a time — ``tousu audit verify`` cannot tell
the two apart — computed in Python and inserted in a few statements instead of three
per event.

``rows_insert`` is the plain multi-row insert the bulk paths use for rows whose primary
key nobody needs back: no model instance per row, values prepared by the model's own
fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from tousu.audit.hashing import GENESIS, canonical, chain_key, event_message
from tousu.audit.keys import hmac_keys
from tousu.audit.models import AuditChain, AuditEvent
from tousu.audit.services import chain_append, chain_link, deferred, with_actor
from tousu.core.actors import Actor

INSERT_BATCH = 500  # rows per INSERT statement
# Fields whose database value is the Python value itself (text, numbers, booleans, keys
# of such rows): skipping their preparation is most of what makes ``rows_insert`` cheap.
_PLAIN = frozenset(
    {
        models.CharField,
        models.SlugField,
        models.TextField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveBigIntegerField,
        models.PositiveSmallIntegerField,
        models.BooleanField,
        models.AutoField,
        models.BigAutoField,
    }
)


def _plain(field: Any) -> bool:
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    return type(field) in _PLAIN


@dataclass(frozen=True)
class _Insert:
    """How rows of one model's fields are written: the statement's parts and the
    preparation of each value (None: the value is written as it is)."""

    head: str  # INSERT INTO table (columns) VALUES
    one: str  # one row's placeholders
    tail: str  # ON CONFLICT …, RETURNING …
    prepare: tuple[Any, ...]


_INSERTS: dict[tuple[Any, ...], _Insert] = {}


def _insert(
    model: type[models.Model], names: tuple[str, ...], returning: str | None, ignore: bool
) -> _Insert:
    """The statement's parts for these fields, built once per process."""
    key = (model, names, returning, ignore)
    found = _INSERTS.get(key)
    if found is None:
        connection = connections[DEFAULT_DB_ALIAS]
        fields = [model._meta.get_field(name) for name in names]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(getattr(f, "column", "")) for f in fields)
        tail = " ON CONFLICT DO NOTHING" if ignore else ""
        tail += f" RETURNING {quote(returning)}" if returning else ""
        found = _INSERTS[key] = _Insert(
            head=f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ",  # noqa: S608
            one="(" + ", ".join(["%s"] * len(fields)) + ")",
            tail=tail,
            prepare=tuple(None if _plain(f) else f.get_db_prep_save for f in fields),  # type: ignore[union-attr]
        )
    return found


def rows_insert(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: str | None = None,
    ignore_conflicts: bool = False,
) -> list[Any]:
    """Insert ``rows`` (values in the order of the fields ``names``) into ``model``'s table,
    inside the caller's transaction, many rows per statement. Each value is prepared by its
    field as the ORM prepares it (encryption, JSON, time zones); the rows get no signals
    or defaults. With ``returning`` (a column, e.g. ``id``), returns its values in the
    order of the rows (as ``bulk_create`` reads primary keys back: RETURNING, on SQLite
    3.35+ and PostgreSQL); else an empty list. ``ignore_conflicts`` skips a row that
    would break a unique constraint (its value is then not returned)."""
    # The connection itself, not the per-thread proxy: it is asked once per value.
    connection = connections[DEFAULT_DB_ALIAS]
    insert = _insert(model, tuple(names), returning, ignore_conflicts)
    prepare = insert.prepare
    prepared = [
        [
            value if step is None else step(value, connection)
            for step, value in zip(prepare, row, strict=True)
        ]
        for row in rows
    ]
    back: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), INSERT_BATCH):
            chunk = prepared[start : start + INSERT_BATCH]
            # Table and column names come from the model, values are bound parameters.
            sql = insert.head + ", ".join([insert.one] * len(chunk)) + insert.tail
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                back += [row[0] for row in cursor.fetchall()]
    return back


@dataclass(frozen=True)
class _Objects:
    """What ``objects_insert`` reads of one model's instances."""

    names: tuple[str, ...]
    reads: tuple[Any, ...]
    made: bool  # the database makes the primary key (an identity column)


_OBJECTS: dict[type[models.Model], _Objects] = {}


def _objects(model: type[models.Model]) -> _Objects:
    found = _OBJECTS.get(model)
    if found is None:
        pk = model._meta.pk
        assert pk is not None
        made = bool(pk.db_returning)
        fields = [f for f in model._meta.concrete_fields if f is not pk or not made]
        # A field that does not override ``pre_save`` just reads its attribute: read it so.
        reads = tuple(
            attrgetter(f.attname)
            if type(f).pre_save is models.Field.pre_save
            else partial(f.pre_save, add=True)
            for f in fields
        )
        found = _OBJECTS[model] = _Objects(tuple(f.name for f in fields), reads, made)
    return found


def objects_insert(objects: Sequence[models.Model], *, ignore_conflicts: bool = False) -> int:
    """Save new instances of one model, inside the caller's transaction, as
    ``bulk_create`` does (each field's ``pre_save``: ``auto_now`` stamps; primary keys
    set on the instances) at a fraction of its cost per row. ``ignore_conflicts`` skips
    an instance that would break a unique constraint, and sets no primary keys then.
    Returns the number of rows written. A primary key the database does not make (a
    one-to-one key) is written as the other fields are."""
    if not objects:
        return 0
    model = type(objects[0])
    pk = model._meta.pk
    assert pk is not None
    plan = _objects(model)
    keys = rows_insert(
        model,
        plan.names,
        ([read(obj) for read in plan.reads] for obj in objects),
        returning=pk.column,
        ignore_conflicts=ignore_conflicts,
    )
    if ignore_conflicts:
        return len(keys)
    for obj, key in zip(objects, keys, strict=True):
        if plan.made:
            setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
    return len(keys)


@dataclass(frozen=True)
class Part:
    """New ``objects`` of one model for ``objects_insert_linked``. ``links`` maps a
    foreign key's attribute name (``complainant_id``) to the index of an earlier part of
    one row, whose primary key it takes."""

    objects: Sequence[models.Model]
    links: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rows:
    """New rows of ``model`` for ``objects_insert_linked`` given as values, without
    instances (nothing is read back or set on them): each of ``rows`` holds the values of
    the fields ``names`` in order, prepared by each field as ``rows_insert`` prepares
    them. ``links`` maps a foreign key's attribute name to the index of an earlier part
    of one row, whose primary key each row takes; those fields are not in ``names``."""

    model: type[models.Model]
    names: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    links: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Locked:
    """An existing row for ``objects_insert_linked``: locked FOR UPDATE until the
    transaction ends (where the database has row locks), and linkable like a new one."""

    model: type[models.Model]
    pk: int


@dataclass(frozen=True)
class AdvisoryLocks:
    """Transaction-level advisory locks for ``objects_insert_linked`` to take, in one
    order for all (PostgreSQL; elsewhere nothing: SQLite runs one writer at a time).
    Held once the call returns: a later statement's snapshot sees every commit of the
    transactions that held them before."""

    keys: Sequence[int]


ADVISORY_LOCKS = (
    "SELECT pg_advisory_xact_lock(k) FROM"
    " (SELECT DISTINCT unnest(%s::bigint[]) AS k ORDER BY k) AS keys"
)


def advisory_locks(locks: AdvisoryLocks) -> None:
    """Take ``locks`` in a statement of their own (PostgreSQL; nothing elsewhere)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql" and locks.keys:
        with connection.cursor() as cursor:
            cursor.execute(ADVISORY_LOCKS, [sorted(set(locks.keys))])


LINKED_ROWS_MAX = 100  # beyond this, the parts go one statement each

Linked = Part | Rows | Locked | AdvisoryLocks


def _new_rows(part: Linked) -> int:
    if isinstance(part, Part):
        return len(part.objects)
    return len(part.rows) if isinstance(part, Rows) else 0


def objects_insert_linked(parts: Sequence[Linked]) -> None:
    """Insert new rows of several models, each part's foreign keys in ``links`` taking the
    primary key of an earlier part's one row: on PostgreSQL one statement (each part an
    INSERT … RETURNING in a WITH, a link a sub-select of it), elsewhere a statement a part
    as ``objects_insert`` writes it. Inside the caller's transaction; primary keys and
    links are set on the instances either way (``Rows`` have none). A call with no new
    rows writes, and locks, nothing."""
    if not any(_new_rows(p) for p in parts):
        return
    for part in parts:
        for index in (
            part.links.values() if isinstance(part, Part | Rows) and _new_rows(part) else ()
        ):
            target = parts[index]
            assert isinstance(target, Locked) or (
                isinstance(target, Part) and len(target.objects) == 1
            ), "a link points at a part of one row"
    connection = connections[DEFAULT_DB_ALIAS]
    rows = sum(_new_rows(p) for p in parts)
    if connection.vendor != "postgresql" or rows > LINKED_ROWS_MAX:
        _linked_one_by_one(parts, connection)
        return
    quote = connection.ops.quote_name
    steps: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    for index, part in enumerate(parts):
        if isinstance(part, AdvisoryLocks):
            if part.keys:
                steps.append(f"p{index} AS ({ADVISORY_LOCKS})")
                params.append(sorted(set(part.keys)))
                # Read in the result, so the locks are taken.
                selects.append(f"SELECT {index} AS part, count(*) AS pk FROM p{index}")  # noqa: S608
            continue
        if isinstance(part, Locked):
            pk = part.model._meta.pk
            assert pk is not None and pk.column
            table, column = quote(part.model._meta.db_table), quote(pk.column)
            steps.append(
                f"p{index} AS (SELECT {column} AS pk FROM {table}"  # noqa: S608
                f" WHERE {column} = %s FOR UPDATE)"
            )
            params.append(part.pk)
            # Read in the result, so the lock is taken even if no part links to it.
            selects.append(f"SELECT {index} AS part, pk FROM p{index}")  # noqa: S608
            continue
        if isinstance(part, Rows):
            if part.rows:  # written though nothing reads it (so PostgreSQL's WITH does)
                sql, values = _rows_linked_insert(part, index, connection)
                steps.append(sql)
                params += values
            continue
        if not part.objects:
            continue
        sql, values = _linked_insert(part, index, connection)
        steps.append(sql)
        params += values
        selects.append(f"SELECT {index} AS part, pk FROM p{index}")  # noqa: S608
    with connection.cursor() as cursor:
        # Names from the models; every value is bound.
        answer = " UNION ALL ".join(selects) or "SELECT 0 AS part, 0 AS pk WHERE false"
        cursor.execute("WITH " + ", ".join(steps) + " " + answer, params)
        back = cursor.fetchall()
    keys: dict[int, list[Any]] = {}
    for index, key in back:  # an advisory part's is its count
        keys.setdefault(index, []).append(key)
    for index, part in enumerate(parts):
        if isinstance(part, Part) and part.objects:
            _linked_done(part, keys[index], parts)


def _linked_insert(part: Part, index: int, connection: Any) -> tuple[str, list[Any]]:
    """One part's ``pN AS (INSERT … RETURNING pk)`` and its values."""
    model = type(part.objects[0])
    pk = model._meta.pk
    assert pk is not None
    plan = _objects(model)
    insert = _insert(model, plan.names, None, False)
    linked = {
        position: part.links[model._meta.get_field(name).attname]  # type: ignore[union-attr]
        for position, name in enumerate(plan.names)
        if model._meta.get_field(name).attname in part.links  # type: ignore[union-attr]
    }
    assert len(linked) == len(part.links), f"links name no column of {model.__name__}"
    one = ", ".join(
        f"(SELECT pk FROM p{linked[position]})" if position in linked else "%s"  # noqa: S608
        for position in range(len(plan.names))
    )
    values: list[Any] = []
    for obj in part.objects:
        for position, (read, step) in enumerate(zip(plan.reads, insert.prepare, strict=True)):
            if position in linked:
                continue
            value = read(obj)
            values.append(value if step is None else step(value, connection))
    rows = ", ".join([f"({one})"] * len(part.objects))
    returning = connection.ops.quote_name(pk.column)
    return f"p{index} AS ({insert.head}{rows} RETURNING {returning} AS pk)", values


def _rows_linked_insert(part: Rows, index: int, connection: Any) -> tuple[str, list[Any]]:
    """One ``Rows`` part's ``pN AS (INSERT …)`` and its values: the links first."""
    linked = _link_names(part)
    insert = _insert(part.model, linked + part.names, None, False)
    prepare = insert.prepare[len(linked) :]
    one = ", ".join(
        [f"(SELECT pk FROM p{target})" for target in part.links.values()]  # noqa: S608
        + ["%s"] * len(part.names)
    )
    values = [
        value if step is None else step(value, connection)
        for row in part.rows
        for step, value in zip(prepare, row, strict=True)
    ]
    rows = ", ".join([f"({one})"] * len(part.rows))
    return f"p{index} AS ({insert.head}{rows})", values


def _linked_done(part: Part, keys: list[Any], parts: Sequence[Linked]) -> None:
    """Set the primary keys written and the links taken on ``part``'s instances."""
    plan = _objects(type(part.objects[0]))
    pk = type(part.objects[0])._meta.pk
    assert pk is not None and len(keys) == len(part.objects)
    for obj, key in zip(part.objects, keys, strict=True):
        _link(obj, part, parts)
        if plan.made:
            setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def _link(obj: models.Model, part: Part, parts: Sequence[Linked]) -> None:
    """Point ``obj``'s linked foreign keys at their targets: a new row as the related
    instance itself (so it stays cached on ``obj``), a locked one by its key."""
    for attname, index in part.links.items():
        target = parts[index]
        if isinstance(target, Locked):
            setattr(obj, attname, target.pk)
            continue
        assert isinstance(target, Part)
        # What the descriptor's ``__set__`` does for a new row of this transaction's
        # database, without its router calls and cache churn: the key, then the cache.
        related = target.objects[0]
        link: Any = obj._meta.get_field(attname)  # a ForeignKey or a OneToOneField
        for own, theirs in link.related_fields:
            obj.__dict__[own.attname] = getattr(related, theirs.attname)
        link.set_cached_value(obj, related)
        if not link.remote_field.multiple:  # one-to-one: the other side knows it too
            link.remote_field.set_cached_value(related, obj)


def _linked_one_by_one(parts: Sequence[Linked], connection: Any) -> None:
    for part in parts:
        if isinstance(part, AdvisoryLocks):
            advisory_locks(part)
            continue
        if isinstance(part, Rows):
            if part.rows:
                targets = [_target_pk(parts[target]) for target in part.links.values()]
                rows = [(*targets, *row) for row in part.rows]
                rows_insert(part.model, _link_names(part) + part.names, rows)
            continue
        if isinstance(part, Locked):
            if connection.features.has_select_for_update:
                manager = part.model._default_manager
                list(manager.select_for_update().filter(pk=part.pk).values("pk"))
            continue
        for obj in part.objects:
            _link(obj, part, parts)
        objects_insert(part.objects)


def _link_names(part: Rows) -> tuple[str, ...]:
    """The names of the fields ``part``'s links fill, in the order of its links."""
    meta = part.model._meta
    return tuple(meta.get_field(attname).name for attname in part.links)


def _target_pk(target: Linked) -> Any:
    """The primary key a link to ``target`` (a locked row, or a new one written) takes."""
    if isinstance(target, Locked):
        return target.pk
    assert isinstance(target, Part)
    return target.objects[0].pk


def _json_native(value: Any) -> bool:
    """Whether ``value`` is made of JSON's own types only (no float: NaN does not
    survive the round trip), so that ``canonical`` would return it unchanged."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _json_native(v) for k, v in value.items())
    if kind is list:
        return all(_json_native(item) for item in value)
    return kind in (str, int, bool) or value is None


def _canonical(value: Any) -> Any:
    """``canonical``, without its JSON round trip when it would change nothing."""
    return value if _json_native(value) else canonical(value)


@dataclass(frozen=True)
class ChainEvent:
    """One event of a new chain, as ``audit_record`` takes it (without the subject)."""

    actor: Actor | None
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Event:
    """The fields of an ``AuditEvent`` that its hash covers, without a model instance."""

    chain_seq: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    complaint_id: int
    data: Any
    prev_hash: str
    key_id: str
    incident_id: None = None
    hash: str = ""


EVENT_FIELDS = (
    "chain",
    "chain_seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "complaint",
    "incident",
    "data",
    "prev_hash",
    "hash",
    "key_id",
)


def audit_chains_begin(
    *, complaints: Sequence[tuple[int, Sequence[ChainEvent]]], at: datetime | None = None
) -> int:
    """Begin the chain of each complaint (its primary key) with its events, in order.

    Inside the caller's transaction, for complaints created in it: their chains cannot
    exist yet, and if one does the insert fails (an ``IntegrityError``) and the caller's
    transaction writes nothing. Every event is stamped ``at`` (default now). The new
    heads are unsealed, so the worker's next seals cover them. Returns the number of
    events written.
    """
    keys = hmac_keys()
    key_id = keys.current
    at = at or timezone.now()
    chains: list[tuple[str, int, str]] = []  # key, last sequence, last hash
    events: list[list[_Event]] = []
    for complaint_id, specs in complaints:
        if not specs:
            continue
        chain = chain_key(
            complaint_id=complaint_id, incident_id=None, object_type="complaint", object_id=""
        )
        prev = GENESIS
        written = []
        for seq, spec in enumerate(specs, start=1):
            event = _Event(
                chain_seq=seq,
                at=at,
                actor_id=getattr(spec.actor, "pk", None),
                action=spec.action,
                object_type=spec.object_type,
                object_id=spec.object_id,
                complaint_id=complaint_id,
                data=_canonical(with_actor(spec.actor, dict(spec.data))),
                prev_hash=prev,
                key_id=key_id,
            )
            # The same bytes as for an event the ORM built (hashing reads these fields).
            digest = keys.digest(key_id, event_message(cast(AuditEvent, event), chain))
            assert digest is not None  # the current key is always known
            event.hash = prev = digest
            written.append(event)
        chains.append((chain, len(written), prev))
        events.append(written)
    if not chains:
        return 0
    with transaction.atomic(savepoint=False):
        heads = rows_insert(
            AuditChain,
            ("key", "last_seq", "last_hash", "sealed"),
            [(*head, False) for head in chains],
            returning="id",
        )
        rows = [
            (
                chain_id,
                e.chain_seq,
                e.at,
                e.actor_id,
                e.action,
                e.object_type,
                e.object_id,
                e.complaint_id,
                None,
                e.data,
                e.prev_hash,
                e.hash,
                e.key_id,
            )
            for chain_id, written in zip(heads, events, strict=True)
            for e in written
        ]
        rows_insert(AuditEvent, EVENT_FIELDS, rows)
    return len(rows)


@contextmanager
def audit_chain_new(
    *, complaint_id: int | None = None, incident_id: int | None = None
) -> Iterator[None]:
    """Keep the events ``audit_record`` appends for complaint ``complaint_id`` or incident
    ``incident_id`` (created in the caller's transaction, so its chain cannot exist yet)
    in memory, and write the chain with all of them when the block ends: one statement
    on PostgreSQL and two elsewhere, whatever the number of events, with exactly the
    hashes ``audit_record`` would have given them one by one. When the block raises,
    nothing of it is written (the caller's transaction fails)."""
    assert (complaint_id is None) != (incident_id is None), "one subject"
    chain = chain_key(
        complaint_id=complaint_id, incident_id=incident_id, object_type="", object_id=""
    )
    chains = deferred.chains
    events = chains[chain] = []
    try:
        yield
    finally:
        chains.pop(chain, None)
    if not events:
        return
    prev = chain_link(chain, events, after=0, prev=GENESIS)
    head = AuditChain(key=chain, last_seq=len(events), last_hash=prev, sealed=False)
    with transaction.atomic(savepoint=False):
        objects_insert_linked([Part([head]), Part(events, links={"chain_id": 0})])


@contextmanager
def audit_batch() -> Iterator[None]:
    """Keep the events ``audit_record`` appends inside the block in memory and write them
    when the outermost block ends, chain by chain in key order: three statements a chain
    (lock its head, insert its events, move the head) instead of three an event, and the
    heads locked for the end of the transaction only. The hashes are those one-by-one
    appends would give; the events of one chain share the time they were written.

    Use it around a unit of work inside a transaction or savepoint that the block's end
    precedes (a savepoint rolled back after the block has ended would keep its events):
    when a block raises, the events appended inside it are dropped with it."""
    batch = deferred.batch
    if batch is not None:  # nested: the outermost block writes
        marks = {chain: len(events) for chain, events in batch.items()}
        try:
            yield
        except BaseException:
            for chain in list(batch):
                del batch[chain][marks.get(chain, 0) :]
                if not batch[chain]:
                    del batch[chain]
            raise
        return
    batch = deferred.batch = {}
    try:
        yield
    finally:
        deferred.batch = None
    for chain in sorted(batch):
        chain_append(chain, batch[chain], save=objects_insert)
