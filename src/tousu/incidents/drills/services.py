"""Starting and conducting drills. The real database sees only the ``Drill`` row — running,
then finished with its figures and report, or failed with its error — and, on request,
the plan revision a drill proposes (a draft for the administrator to activate)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, Organisation, User
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.core.yamlload import yaml_safe_load
from tousu.incidents.choices import DrillStatus
from tousu.incidents.drills.configuration import configuration_export
from tousu.incidents.drills.report import drill_evaluate, report_html, report_pdf
from tousu.incidents.drills.scenario import Scenario, scenario_parse
from tousu.incidents.models import Drill
from tousu.plans.models import Plan, PlanRevision
from tousu.plans.schema import Plan as PlanModel
from tousu.plans.services import TEMPLATE_KEYS, plan_load, template_source

# A running drill whose conductor is gone (killed, machine restarted) no longer blocks its
# plan after this long, or at once when its process is known to be dead on this host.
ABANDONED_AFTER = timedelta(hours=12)
# The environment a drill's process must not inherit: the real database and data
# directory, the real keys, and every way out of the app.
WITHHELD = (
    "DATABASE_URL",
    "VAR_DIR",
    "DRILLS_DIR",
    "MEDIA_ROOT",
    "SECRET_KEY",
    "ENCRYPTION_KEY",
    "ENCRYPTION_KEYS",
    "INDEX_KEY",
    "AUDIT_KEYS",
    "AUDIT_SIGNING_KEY",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USER",
    "EMAIL_PASSWORD",
    "EMAIL_TLS",
    "EMAIL_FROM",
    "SMS_WEBHOOK_URL",
    "OUTBOUND_HOSTS",
)


def may_drill(user: Any) -> bool:
    """Leadership and administrators run drills (or whoever holds ``incidents.add_drill``);
    being a superuser is not enough."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.runs_drills:
        return True
    # Granted to the person or a group of theirs: a superuser's blanket rights do not count.
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        content_type__app_label="incidents",
        codename="add_drill",
    ).exists()


def drill_directory(drill: Drill) -> Path:
    return Path(settings.DRILLS_DIR) / str(drill.pk)


def _revision_plan(key: str) -> PlanModel | None:
    plan = Plan.objects.select_related("active_revision").filter(key=key).first()
    if plan is None or plan.active_revision is None:
        return None
    return plan.active_revision.plan_model


def demo_staffed(plan: Plan) -> bool:
    """Whether a drill of ``plan`` runs with the template's demo staff: the organisation
    runs another plan, so its own people hold none of this one's roles. They exist only in
    the drill's database."""
    organisation = Organisation.objects.order_by("pk").first()
    return organisation is None or organisation.plan_id != plan.pk


def _demo_departments(plan_key: str) -> set[str]:
    path = resources.files("tousu.plans").joinpath(f"templates_yaml/{plan_key}.demo.yaml")
    data = yaml_safe_load(path.read_text(encoding="utf-8"))
    return {department["code"] for department in data.get("departments", [])}


def _departments(plan_key: str) -> set[str]:
    plan = Plan.objects.filter(key=plan_key).first()
    if plan is not None and demo_staffed(plan) and plan_key in TEMPLATE_KEYS:
        return _demo_departments(plan_key)
    return set(Department.objects.values_list("code", flat=True))


def _mapping(source: str) -> bool:
    try:
        return isinstance(yaml_safe_load(source), dict)
    except yaml.YAMLError:
        return False


def scenario_check(
    source: str, *, plan_key: str = "", start: datetime | None = None
) -> tuple[Scenario, PlanModel]:
    """Validate a scenario against the real plan and departments (nothing is written)."""
    key = plan_key or ((yaml_safe_load(source) or {}).get("plan") if _mapping(source) else "")
    scenario, plan = scenario_parse(
        source,
        plan_of=_revision_plan,
        departments=_departments(str(key or "")),
        start=start,
    )
    if plan_key and scenario.plan_key != plan_key:
        message = _("The scenario is written for plan “%(scenario)s”, not “%(plan)s”.") % {
            "scenario": scenario.plan_key,
            "plan": plan_key,
        }
        raise InvalidInput(message, field_errors={"plan": [message]})
    return scenario, plan


def _alive(conductor: dict[str, Any]) -> bool:
    if conductor.get("host") != socket.gethostname() or not conductor.get("pid"):
        return True  # not ours to judge: only the age releases it
    try:
        os.kill(int(conductor["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned_release(plan: Plan, now: datetime) -> None:
    for drill in Drill.objects.filter(plan=plan, status=DrillStatus.RUNNING):
        conductor = (drill.figures or {}).get("conductor") or {}
        if drill.started_at < now - ABANDONED_AFTER or not _alive(conductor):
            Drill.objects.filter(pk=drill.pk, status=DrillStatus.RUNNING).update(
                status=DrillStatus.FAILED,
                finished_at=now,
                error=_("Abandoned: the drill's process stopped before it finished."),
            )


def drill_start(
    *,
    plan_key: str,
    source: str,
    scenario_name: str,
    actor: User | None,
    speed: int = 0,
    start: datetime | None = None,
    attended_port: int | None = None,
) -> Drill:
    """Validate the scenario and record a running drill of ``plan_key``; the drill's
    directory gets the scenario. Raises ``InvalidInput`` naming every problem of the
    scenario, ``NotAllowed`` for a user who may not drill, and ``Conflict`` while another
    drill of the plan runs. Nothing but the ``Drill`` row is written."""
    if actor is not None and not may_drill(actor):
        raise NotAllowed(_("Only the leadership and administrators run drills."))
    if speed < 0:
        message = _("Give a speed of zero (as fast as possible) or more.")
        raise InvalidInput(message, field_errors={"speed": [message]})
    plan = Plan.objects.select_related("active_revision").filter(key=plan_key).first()
    if plan is None and plan_key in TEMPLATE_KEYS:
        # A shipped template the organisation has not loaded: stored as a plan (not the
        # organisation's), so the drill has a revision to name.
        plan_load(source=template_source(plan_key), note=_("Shipped template, for a drill"))
        plan = Plan.objects.select_related("active_revision").filter(key=plan_key).first()
    if plan is None or plan.active_revision is None:
        message = _("Unknown plan “%(key)s”.") % {"key": plan_key}
        raise InvalidInput(message, field_errors={"plan": [message]})
    scenario, _model = scenario_check(source, plan_key=plan_key, start=start)
    if attended_port is not None and not speed:
        message = _("An attended drill runs on a clock people can follow: give a speed.")
        raise InvalidInput(message, field_errors={"speed": [message]})
    now = timezone.now()
    _abandoned_release(plan, now)
    try:
        with transaction.atomic():
            drill = Drill.objects.create(
                plan=plan,
                plan_revision=plan.active_revision,
                scenario=scenario_name[:200],
                scenario_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
                speed=speed,
                started_by=actor,
                started_at=now,
                figures={
                    "scenario": {
                        "title": scenario.file.title,
                        "description": scenario.file.description,
                        "start": scenario.start.isoformat(),
                        "end": scenario.end.isoformat(),
                    },
                    "conductor": {"host": socket.gethostname(), "pid": os.getpid()},
                },
            )
    except IntegrityError as exc:
        running = Drill.objects.filter(plan=plan, status=DrillStatus.RUNNING).first()
        message = _(
            "A drill of plan “%(plan)s” is running (started %(at)s). One drill of a plan "
            "runs at a time: wait for it to finish."
        ) % {
            "plan": plan.key,
            "at": f"{timezone.localtime(running.started_at):%Y-%m-%d %H:%M}" if running else "—",
        }
        raise Conflict(message, field_errors={"plan": [message]}) from exc
    directory = drill_directory(drill)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    (directory / "scenario.yaml").write_text(source, encoding="utf-8")
    (directory / "run.json").write_text(
        json.dumps(
            {
                "drill": drill.pk,
                "plan": plan.key,
                "speed": speed,
                "start": start.isoformat() if start else None,
                "attended": attended_port is not None,
                "port": attended_port,
                "organisation": (Organisation.objects.order_by("pk").first() or plan).name,
                "schema_cache": str(settings.DRILLS_DIR),
                "staff": "demo" if demo_staffed(plan) else "organisation",
            }
        ),
        encoding="utf-8",
    )
    return drill


def drill_environment(directory: Path) -> dict[str, str]:
    """The environment of the drill's own process."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("TOUSU_") and name[len("TOUSU_") :] in WITHHELD)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tousu.settings",
        TOUSU_DRILL="1",
        TOUSU_VAR_DIR=str(directory),
        TOUSU_MEDIA_ROOT=str(directory / "media"),
        TOUSU_DATABASE_URL=f"sqlite:///{directory / 'drill.sqlite3'}",
        TOUSU_NODE_MODULES=str(settings.NODE_MODULES),
    )
    return env


def _finish(drill: Drill, **fields: Any) -> None:
    Drill.objects.filter(pk=drill.pk).update(finished_at=timezone.now(), **fields)
    drill.refresh_from_db()


def drill_conduct(*, drill: Drill, keep: bool = False) -> Drill:
    """Run the recorded drill to its end: export the configuration, run the drill's own
    process, evaluate its figures and store the report (HTML and PDF). On any failure
    the drill is recorded failed with the error, which is raised again."""
    directory = drill_directory(drill)
    try:
        Drill.objects.filter(pk=drill.pk).update(
            figures={
                **drill.figures,
                "conductor": {"host": socket.gethostname(), "pid": os.getpid()},
            }
        )
        (directory / "configuration.json").write_text(
            configuration_export(
                revision=drill.plan_revision, calendar_only=demo_staffed(drill.plan)
            ),
            encoding="utf-8",
        )
        run = json.loads((directory / "run.json").read_text(encoding="utf-8"))
        source = (directory / "scenario.yaml").read_text(encoding="utf-8")
        start = datetime.fromisoformat(run["start"]) if run.get("start") else None
        scenario, plan = scenario_check(source, start=start)
        limit = 600 + (scenario.duration.total_seconds() / drill.speed if drill.speed else 0)
        with (directory / "engine.log").open("wb") as log:
            process = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "tousu", "drill", "engine", str(directory)],
                env=drill_environment(directory),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=limit,
                check=False,
            )
        if process.returncode != 0:
            tail = (directory / "engine.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(
                f"the drill's process failed ({process.returncode}):\n{tail[-3000:]}"
            )
        measured = json.loads((directory / "figures.json").read_text(encoding="utf-8"))
        evaluation = drill_evaluate(
            figures=measured,
            plan=plan,
            revision=drill.plan_revision,
            scenario=scenario,
            number=drill.pk,
        )
        figures = {**drill.figures, **measured, "evaluation": evaluation}
        figures.pop("conductor", None)
        drill.figures = figures
        html = report_html(drill=drill, plan=plan, scenario=scenario)
        pdf = report_pdf(drill=drill, plan=plan, scenario=scenario)
        _finish(
            drill,
            status=DrillStatus.FINISHED,
            figures=figures,
            report_html=html,
            report_pdf=pdf,
            error="",
        )
    except BaseException as exc:
        _finish(drill, status=DrillStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000])
        raise
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return drill


def drill_spawn(drill: Drill) -> int:
    """Conduct the drill in a process of its own that outlives the request; returns its
    id. Its output goes to the drill's directory."""
    directory = drill_directory(drill)
    with (directory / "conductor.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tousu", "drill", "conduct", str(drill.pk)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    figures = {**drill.figures, "conductor": {"host": socket.gethostname(), "pid": process.pid}}
    Drill.objects.filter(pk=drill.pk).update(figures=figures)
    return process.pid


def drill_revision_propose(*, drill: Drill, actor: User) -> PlanRevision:
    """Store the revision the drill proposes as a draft of its plan (not activated): the
    administrator finds it among the plan's revisions. Once per drill."""
    if not may_drill(actor):
        raise NotAllowed(_("Only the leadership and administrators run drills."))
    proposal = ((drill.figures or {}).get("evaluation") or {}).get("proposal") or {}
    if drill.status != DrillStatus.FINISHED or not proposal.get("source"):
        message = _("This drill proposes no plan revision.")
        raise Conflict(message, field_errors={"revision": [message]})
    if proposal.get("revision"):
        message = _("The proposed revision is stored already (revision %(number)s).") % {
            "number": proposal["revision"]
        }
        raise Conflict(message, field_errors={"revision": [message]})
    with transaction.atomic():
        locked = Drill.objects.select_for_update().get(pk=drill.pk)
        revision = plan_load(
            source=proposal["source"],
            author=actor,
            note=_("Proposed by drill %(number)s") % {"number": drill.pk},
            activate=False,
        )
        figures = dict(locked.figures)
        figures["evaluation"] = {
            **figures["evaluation"],
            "proposal": {**proposal, "revision": revision.number},
        }
        Drill.objects.filter(pk=drill.pk).update(figures=figures)
    drill.refresh_from_db()
    return revision
