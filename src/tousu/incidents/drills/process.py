"""The drill's own process: ``tousu drill engine DIR``, started by the conductor with the
drill's environment (``TOUSU_DRILL=1``, its database a SQLite file in DIR, its data
directory DIR). It builds the drill's database — the schema, then the copy of the
configuration — runs the engine and writes the figures to DIR/figures.json.

It refuses to run anywhere but in a drill's own database: a mistake in the environment
cannot turn a drill loose on real lists.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tousu.accounts.models import Department, Organisation, User
from tousu.accounts.services import organisation_set
from tousu.core.sqlite import ENGINE as SQLITE_ENGINE
from tousu.incidents.drills.scenario import scenario_parse
from tousu.notifications.models import UserChannel
from tousu.plans.models import Plan
from tousu.plans.services import organisation_plan_adopt

DATABASE = "drill.sqlite3"


def isolation_check(directory: Path) -> Path:
    """The drill's database path, after checking this process is a drill's own."""
    database = settings.DATABASES["default"]
    name = Path(str(database["NAME"])).resolve()
    if not settings.TOUSU_DRILL:
        raise RuntimeError("not a drill's process: TOUSU_DRILL is not set")
    if database["ENGINE"] != SQLITE_ENGINE or name != directory / DATABASE:
        raise RuntimeError(f"not the drill's database: {name}")
    return name


def schema_key() -> str:
    """What the schema depends on: Django's version and every migration file."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256(django.get_version().encode())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key, migration in sorted(loader.disk_migrations.items()):
        module = sys.modules[type(migration).__module__]
        digest.update(repr(key).encode())
        if module.__file__:
            digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _schema(database: Path, cache_dir: Path | None) -> None:
    """A migrated database: copied from the cache of the same schema, or migrated here
    once and then cached (migrating takes seconds; copying, milliseconds)."""
    cached = cache_dir / f"schema-{schema_key()}.sqlite3" if cache_dir else None
    if cached is not None and cached.exists():
        connection.close()
        shutil.copyfile(cached, database)
        return
    call_command("migrate", verbosity=0, interactive=False)
    if cached is None:
        return
    connection.close()
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    source, target = sqlite3.connect(database), sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    os.replace(partial, cached)


def drill_process(directory: Path) -> dict[str, Any]:
    """Build the drill's database in ``directory``, run the drill, write its figures."""
    from tousu.incidents.drills.engine import drill_run

    directory = directory.resolve()
    database = isolation_check(directory)
    run = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    cache = run.get("schema_cache")
    _schema(database, Path(cache) if cache else None)
    with connection.cursor() as cursor:
        # A drill's database is thrown away after the drill: no need to wait for the disk.
        cursor.execute("PRAGMA synchronous=OFF")
    call_command("loaddata", str(directory / "configuration.json"), verbosity=0)
    if run.get("staff") == "demo":
        # The organisation runs another plan: the template's demo staff play its roles,
        # here only. No address of theirs leaves the drill either.
        call_command("demo", plan=run["plan"], complaints=0, stdout=io.StringIO())
        User.objects.update(email="")
        UserChannel.objects.all().delete()
    if not Organisation.objects.exists():
        organisation_set(name=run["organisation"] or run["plan"])
    plan = organisation_plan_adopt(key=run["plan"])
    revision = plan.active_revision
    assert revision is not None
    start = datetime.fromisoformat(run["start"]) if run.get("start") else None
    scenario, _plan = scenario_parse(
        (directory / "scenario.yaml").read_text(encoding="utf-8"),
        plan_of=lambda key: (
            Plan.objects.get(key=key).active_revision.plan_model  # type: ignore[union-attr]
            if key == run["plan"]
            else None
        ),
        departments=set(Department.objects.values_list("code", flat=True)),
        now=timezone.now(),
        start=start,
    )
    figures = drill_run(
        scenario=scenario,
        revision=revision,
        speed=int(run.get("speed") or 0),
        attended=bool(run.get("attended")),
        serve=run.get("port") if run.get("attended") else None,
    )
    (directory / "figures.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return figures
