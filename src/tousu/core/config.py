"""Per-process caches of configuration, valid on every host at once.

Configuration (the plan and its revisions, categories, departments, the working
calendar, groups and permissions, who is active where, where staff are told) changes
rarely and is read on every registration. Each process keeps what it built in memory,
stamped with the ``ConfigGeneration`` token it read first; database triggers give that
token a new random value in the transaction of any write to those tables, ``.update()``
and raw SQL included, so a process on any host sees the change on its next read of the
token and builds again. A missing row (a flushed test database) caches nothing.

The token is read once per ``config_scope()`` (a registration), outside one at every
use. A request's authentication reads it for the permissions it caches and hands it to
the request's first scope (``config_token_handover``), so a registration through the API
reads it once in all; the request's end drops a hand-over nothing took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

_T = TypeVar("_T")
_UNSET: Any = object()

# (app label, model, columns of an UPDATE that matter; None: every update).
WATCHED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("accounts", "Organisation", None),
    ("accounts", "Department", None),
    # Names too: lists of people to choose from are kept (last_login is not watched).
    (
        "accounts",
        "User",
        (
            "is_active",
            "is_superuser",
            "department_id",
            "username",
            "first_name",
            "last_name",
            "email",  # the address staff are told at when they chose no channel
        ),
    ),
    ("auth", "Group", None),
    ("auth", "Permission", None),
    ("plans", "Plan", None),
    ("plans", "PlanRevision", None),
    ("plans", "Category", None),
    ("deadlines", "CalendarOverride", None),
    ("deadlines", "CalendarYear", None),
    # Where staff are told: kept with the people of a response (``incidents.command``).
    ("notifications", "UserChannel", None),
)

_local = threading.local()
_store: tuple[str | None, dict[str, Any]] = (None, {})


def _read() -> str | None:
    from tousu.core.models import ConfigGeneration

    return ConfigGeneration.objects.filter(pk=1).values_list("token", flat=True).first()


def config_token() -> str | None:
    """The current configuration token (one query, once per scope)."""
    memo = getattr(_local, "token", _UNSET)
    if memo is not _UNSET:
        return memo
    token = _read()
    if getattr(_local, "depth", 0):
        _local.token = token
    return token


def config_token_handover() -> str | None:
    """The current token (the open scope's), kept for this thread's next
    ``config_scope()`` within the same request instead of being read again there."""
    token = config_token()
    _local.handover = token
    return token


@contextmanager
def config_scope() -> Iterator[None]:
    """Read the token at most once inside the block (nested scopes share it)."""
    depth = getattr(_local, "depth", 0)
    if not depth:
        handed = _local.__dict__.pop("handover", _UNSET)
        if handed is not _UNSET:
            _local.token = handed
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth
        if not depth:
            _local.__dict__.pop("token", None)


def config_scoped() -> bool:
    """Whether a ``config_scope`` is open in this thread (its token read once)."""
    return bool(getattr(_local, "depth", 0))


def config_token_offer(token: str | None) -> None:
    """A token the caller read in a query of its own (the API token's lookup reads it
    beside the token): the open scope takes it if it has read none yet, else this
    thread's next ``config_scope()`` within the request, instead of reading it again."""
    if getattr(_local, "depth", 0) and getattr(_local, "token", _UNSET) is _UNSET:
        _local.token = token
        return
    _local.handover = token


def config_token_sql() -> str:
    """The token as a scalar subquery, to read it in the same statement as something else."""
    from tousu.core.models import ConfigGeneration

    table = connections[DEFAULT_DB_ALIAS].ops.quote_name(ConfigGeneration._meta.db_table)
    return f"(SELECT token FROM {table} WHERE id = 1)"  # noqa: S608 - a model's name only


def request_boundary(**kwargs: Any) -> None:
    """A request starts or ends: a token handed over and not taken is dropped."""
    _local.__dict__.pop("handover", None)


def config_cached(name: str, build: Callable[[], _T]) -> _T:
    """``build()``, kept in this process until the configuration changes. What it returns
    is shared by every thread of the process: callers must not change it."""
    global _store
    token = config_token()
    if token is None:
        return build()
    current, values = _store
    if current != token:
        values = {}
        _store = (token, values)
    try:
        return values[name]
    except KeyError:
        value = values[name] = build()
        return value


# -- the triggers -----------------------------------------------------------------------

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION core_config_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_configgeneration (id, token)
    VALUES (1, md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$
"""
SQLITE_TOUCH = (
    "INSERT OR REPLACE INTO core_configgeneration (id, token)"
    " VALUES (1, lower(hex(randomblob(16))))"
)


def _tables() -> list[tuple[str, tuple[str, ...] | None]]:
    """Every watched table with the update columns that matter, many-to-many links too."""
    found: list[tuple[str, tuple[str, ...] | None]] = []
    for label, name, columns in WATCHED:
        model = apps.get_model(label, name)
        found.append((model._meta.db_table, columns))
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            found.append((through._meta.db_table, None))
    return found


def trigger_statements(vendor: str, existing: Iterable[str] | None = None) -> list[str]:
    """The SQL that (re)creates every trigger (on the ``existing`` tables only, when
    given); idempotent, built from model names only."""
    statements = [PG_FUNCTION] if vendor == "postgresql" else []
    for table, columns in _tables():
        if existing is not None and table not in existing:
            continue
        if vendor == "postgresql":
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            truncate = "" if columns else " OR TRUNCATE"
            statements += [
                f"DROP TRIGGER IF EXISTS core_config_touch ON {table}",
                f"CREATE TRIGGER core_config_touch AFTER INSERT OR DELETE OR {update}{truncate}"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION core_config_touch()",
            ]
            continue
        for operation in ("INSERT", "UPDATE", "DELETE"):
            what = operation
            if operation == "UPDATE" and columns:
                what = f"UPDATE OF {', '.join(columns)}"
            # Dropped first, as on PostgreSQL: a trigger made by an older release with
            # fewer watched columns is replaced, not kept.
            name = f"core_config_{table}_{operation.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {what} ON {table} BEGIN {SQLITE_TOUCH}; END",
            ]
    return statements


def config_triggers_install(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create the triggers that change the token (after every ``migrate``)."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if "core_configgeneration" not in existing:
        return
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, existing):
            cursor.execute(statement)
