"""New rows of several models that point at each other, in one statement on
PostgreSQL (``objects_insert_linked``: each part an ``INSERT … RETURNING`` in a ``WITH``,
a link a sub-select of an earlier part), elsewhere a statement a part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from tousu.audit.inserts import insert_parts, objects_insert, objects_plan, rows_insert


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
    plan = objects_plan(model)
    insert = insert_parts(model, plan.names, None, False)
    linked, one = _linked_row(model, plan.names, tuple(part.links.items()))
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


_LINKED_ROWS: dict[tuple[Any, ...], tuple[dict[int, int], str]] = {}


def _linked_row(
    model: type[models.Model], names: tuple[str, ...], links: tuple[tuple[str, int], ...]
) -> tuple[dict[int, int], str]:
    """The positions of ``names`` that ``links`` fill (position: the part linked to) and
    one row's values: a sub-select of the linked part there, else a placeholder. Built
    once per process for each model, fields and links."""
    key = (model, names, links)
    found = _LINKED_ROWS.get(key)
    if found is None:
        targets = dict(links)
        linked = {
            position: targets[model._meta.get_field(name).attname]  # type: ignore[union-attr]
            for position, name in enumerate(names)
            if model._meta.get_field(name).attname in targets  # type: ignore[union-attr]
        }
        assert len(linked) == len(targets), f"links name no column of {model.__name__}"
        one = ", ".join(
            f"(SELECT pk FROM p{linked[position]})" if position in linked else "%s"  # noqa: S608
            for position in range(len(names))
        )
        found = _LINKED_ROWS[key] = (linked, one)
    return found


def _rows_linked_insert(part: Rows, index: int, connection: Any) -> tuple[str, list[Any]]:
    """One ``Rows`` part's ``pN AS (INSERT …)`` and its values: the links first."""
    linked = _link_names(part)
    insert = insert_parts(part.model, linked + part.names, None, False)
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
    plan = objects_plan(type(part.objects[0]))
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
