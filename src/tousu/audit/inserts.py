"""Multi-row inserts inside the caller's transaction, many rows a statement:
``rows_insert`` for rows given as values (no model instance per row, values prepared by
the model's own fields), ``objects_insert`` for new instances, as ``bulk_create`` saves
them at a fraction of its cost per row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models

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


# SQLite's text of recent instants, in the connection's zone (UTC with USE_TZ).
STAMP_TEXTS_MAX = 256
_STAMP_TEXTS: dict[datetime, str] = {}


def _step(field: Any, vendor: str) -> Callable[[Any, Any], Any] | None:
    """How a value of ``field`` is prepared: None for a plain one, else its field's
    ``get_db_prep_save`` — for a time stamp, with a shortcut for the usual case."""
    if _plain(field):
        return None
    slow = field.get_db_prep_save
    if type(field) is not models.DateTimeField or vendor not in ("postgresql", "sqlite"):
        return slow
    if not settings.USE_TZ:  # SQLite refuses an aware time then: the field says so
        return slow

    # An aware ``datetime`` is what the field's checks pass unchanged: PostgreSQL's
    # driver takes it as it is, SQLite gets Django's text of it in the connection's time
    # zone (``adapt_datetimefield_value``), kept for the instants written again (a
    # registration writes some forty stamps, most of them its own moment). Anything
    # else (None, a naive time, an expression) goes through the field.
    def step(value: Any, connection: Any) -> Any:
        if type(value) is not datetime or value.utcoffset() is None:
            return slow(value, connection)
        if vendor == "postgresql":
            return value
        text = _STAMP_TEXTS.get(value)  # equal instants, whatever their zones, hash alike
        if text is None:
            if len(_STAMP_TEXTS) >= STAMP_TEXTS_MAX:
                _STAMP_TEXTS.clear()
            text = str(value.astimezone(connection.timezone).replace(tzinfo=None))
            _STAMP_TEXTS[value] = text
        return text

    return step


@dataclass(frozen=True)
class _Insert:
    """How rows of one model's fields are written: the statement's parts and the
    preparation of each value (None: the value is written as it is)."""

    head: str  # INSERT INTO table (columns) VALUES
    one: str  # one row's placeholders
    tail: str  # ON CONFLICT …, RETURNING …
    prepare: tuple[Any, ...]


_INSERTS: dict[tuple[Any, ...], _Insert] = {}


def insert_parts(
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
            prepare=tuple(_step(f, connection.vendor) for f in fields),
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
    insert = insert_parts(model, tuple(names), returning, ignore_conflicts)
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


def objects_plan(model: type[models.Model]) -> _Objects:
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
    plan = objects_plan(model)
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
