"""A drill's scenario file (YAML): which plan, when the drill starts and how long it runs,
how the scripted participants respond (and which deadlines they miss on purpose), and the
simulated complaints and events it replays.

Times inside a drill are offsets from its start, written as quoted text ``"+HH:MM:SS"``
(``"+00:05:00"``: five minutes in). Validation names every bad field by its path and its
line in the file (``events.3.at``, line 42) and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tousu.core.problems import InvalidInput
from tousu.core.yamlload import yaml_safe_load
from tousu.plans import schema

_OFFSET = re.compile(r"^\+?(\d{1,4}):([0-5]\d):([0-5]\d)$")
# The shipped scenarios: one per plan template, in ``tousu/incidents/scenarios``.
SHIPPED = "tousu.incidents.scenarios"


def _field_name(name: str) -> str:
    """A scenario's complaint field by its name in the reader's language."""
    names = {
        "category": _("category"),
        "severity": _("severity"),
        "channel": _("channel"),
        "nature": _("nature"),
    }
    return names.get(name, name)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Texts = str | list[str]


class ComplaintsSpec(_Strict):
    """``count`` complaints, spread evenly ``over`` a period; a list value is taken in
    turn (complaint 1 the first item, complaint 2 the second …). ``{n}`` in a title, text,
    merchant or product is the complaint's number in the group."""

    count: int = Field(default=1, ge=1, le=5000)
    over: str = "00:00:00"
    tag: str = ""
    channel: Texts = ""
    category: Texts
    severity: Texts = ""
    nature: str = ""
    title: Texts
    text: Texts
    product: Texts = ""
    merchant: Texts = ""
    place: str = ""
    amount_involved: Decimal | None = Field(default=None, ge=0)
    people_injured: int = Field(default=0, ge=0)
    media_involved: bool = False
    # What the participants' classify action sets (a finer category, a new severity).
    classify: dict[str, str] = {}
    # The department a transfer hands the complaints to (its code).
    transfer_to: str = ""
    # How many plan actions the participants take on each (the participants' ``steps``
    # when absent).
    steps: int | None = Field(default=None, ge=0, le=30)


class EventReportSpec(_Strict):
    """An event reported without a complaint (outage, fund or life safety …)."""

    title: str
    description: str = ""
    category: str
    severity: str
    amount_involved: Decimal | None = Field(default=None, ge=0)
    people_injured: int = Field(default=0, ge=0)


class MediaSpec(_Strict):
    """A journalist's call about a running incident: the ``incident``-th opened in the
    drill, or (0) the one opened last."""

    outlet: str
    person: str = ""
    summary: str
    incident: int = Field(default=0, ge=0)


class Event(_Strict):
    at: str
    complaints: ComplaintsSpec | None = None
    event_report: EventReportSpec | None = None
    media: MediaSpec | None = None


class Miss(_Strict):
    """A deadline the scripted participants miss on purpose: a complaint deadline (the
    first ``complaints`` complaints, of group ``tag`` when given, are left alone once it
    runs), an incident task, the ``situation``-th situation report, or a report upward."""

    deadline: str = ""
    complaints: int = Field(default=1, ge=1)
    tag: str = ""
    task: str = ""
    situation: int = Field(default=0, ge=0)
    upward: str = ""


class Participants(_Strict):
    """How the scripted participants respond in an unattended drill."""

    # A complaint's first plan action this long after it arrives; then one every ``step``.
    acknowledge: str = "00:10:00"
    step: str = "00:20:00"
    steps: int = Field(default=2, ge=0, le=30)
    # A reported event is activated by the command group this long after the report.
    activate: str = "00:15:00"
    # Incident tasks, reports upward and situation reports are done when this share of
    # their time has passed.
    pace: Decimal = Field(default=Decimal("0.6"), gt=0, le=1)
    # After a media contact: a statement drafted this long after, then approved and
    # published.
    statement: str = "00:30:00"
    miss: list[Miss] = []


class ScenarioFile(_Strict):
    title: str = Field(min_length=1, max_length=200)
    plan: str = Field(min_length=1, max_length=64)
    description: str = ""
    start: datetime
    duration: str
    worker_every: str = "00:05:00"
    participants: Participants = Participants()
    events: list[Event] = Field(min_length=1)


@dataclass(frozen=True)
class Scenario:
    """A scenario validated against the plan it drills; times resolved."""

    file: ScenarioFile
    source: str
    start: datetime
    end: datetime
    worker_every: timedelta
    plan_key: str

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def offset(text: str) -> timedelta | None:
    """``"+HH:MM:SS"`` as a period, or None when it is not one."""
    found = _OFFSET.match(text.strip()) if isinstance(text, str) else None
    if found is None:
        return None
    hours, minutes, seconds = (int(part) for part in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _lines(source: str) -> dict[tuple[Any, ...], int]:
    """The line (1-based) of every mapping value and list item, by its path."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


class _Problems:
    def __init__(self, source: str):
        self.lines = _lines(source)
        self.fields: dict[str, list[str]] = {}

    def add(self, path: tuple[Any, ...], message: str) -> None:
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                break
        name = ".".join(str(part) for part in path) or "file"
        if line is not None:
            message = _("line %(line)d: %(message)s") % {"line": line, "message": message}
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(_("The scenario file has errors."), field_errors=self.fields)


def shipped_scenarios() -> dict[str, str]:
    """The shipped scenario files: file name → title."""
    found = {}
    for entry in sorted(resources.files(SHIPPED).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml_safe_load(entry.read_text(encoding="utf-8")) or {}
            found[entry.name] = str(data.get("title") or entry.name)
    return found


def shipped_source(name: str) -> str:
    """The text of shipped scenario ``name`` (a file name from ``shipped_scenarios``)."""
    if name not in shipped_scenarios():
        message = _("No shipped scenario “%(name)s”.") % {"name": name}
        raise InvalidInput(message, field_errors={"scenario": [message]})
    return resources.files(SHIPPED).joinpath(name).read_text(encoding="utf-8")


def _keys(tree: list[schema.Category]) -> set[str]:
    keys: set[str] = set()
    for node in tree:
        keys.add(node.key)
        keys |= _keys(node.children)
    return keys


def _each(value: Texts) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def scenario_parse(
    source: str,
    *,
    plan_of: Any,
    departments: set[str],
    now: datetime | None = None,
    start: datetime | None = None,
) -> tuple[Scenario, schema.Plan]:
    """Validate ``source`` against the plan it names (``plan_of(key)`` returns the typed
    plan or None) and the organisation's department codes. ``start`` moves the drill to
    another start. Raises ``InvalidInput`` naming every problem with its line."""
    problems = _Problems(source)
    try:
        data = yaml_safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        message = _("Not a YAML file: %(error)s") % {"error": getattr(exc, "problem", exc)}
        if mark is not None:
            message = _("line %(line)d: %(message)s") % {"line": mark.line + 1, "message": message}
        raise InvalidInput(message, field_errors={"file": [message]}) from exc
    if not isinstance(data, dict):
        message = _("A scenario is a mapping with title, plan, start, duration and events.")
        raise InvalidInput(message, field_errors={"file": [message]})
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.add(tuple(error["loc"]), error["msg"])
        problems.raise_if_any()
        raise  # pragma: no cover - every validation error names a field
    plan = plan_of(parsed.plan)
    if plan is None:
        problems.add(("plan",), _("Unknown plan “%(key)s”.") % {"key": parsed.plan})
        problems.raise_if_any()
    _times(parsed, problems, now=now or timezone.now(), start=start)
    _against_plan(parsed, plan, departments, problems)
    problems.raise_if_any()
    begin = start or parsed.start
    duration = offset(parsed.duration)
    every = offset(parsed.worker_every)
    assert duration is not None and every is not None  # checked in _times
    return (
        Scenario(
            file=parsed,
            source=source,
            start=begin,
            end=begin + duration,
            worker_every=every,
            plan_key=parsed.plan,
        ),
        plan,
    )


def _times(parsed: ScenarioFile, problems: _Problems, *, now: datetime, start: datetime | None):
    begin = start or parsed.start
    if timezone.is_naive(begin):
        problems.add(("start",), _("Give the start with its offset, e.g. +08:00."))
        return
    duration = offset(parsed.duration)
    if duration is None or not duration:
        problems.add(("duration",), _("Give the length as “HH:MM:SS”, e.g. “04:00:00”."))
        return
    every = offset(parsed.worker_every)
    if every is None or every < timedelta(seconds=10):
        problems.add(
            ("worker_every",), _("Give the worker's interval as “HH:MM:SS”, at least 10 seconds.")
        )
    if begin + duration > now:
        problems.add(
            ("start",),
            _(
                "The drill would run into the future: it ends %(end)s, after now (%(now)s). "
                "A drill replays a period that has passed."
            )
            % {
                "end": f"{timezone.localtime(begin + duration):%Y-%m-%d %H:%M}",
                "now": f"{timezone.localtime(now):%Y-%m-%d %H:%M}",
            },
        )
    for name in ("acknowledge", "step", "activate", "statement"):
        if offset(getattr(parsed.participants, name)) is None:
            problems.add(("participants", name), _("Give a time as “HH:MM:SS”."))
    for index, event in enumerate(parsed.events):
        path = ("events", index)
        at = offset(event.at) if not event.at.strip().startswith("-") else None
        if event.at.strip().startswith("-"):
            problems.add((*path, "at"), _("Before the start of the drill."))
            continue
        if at is None:
            problems.add((*path, "at"), _("Give the time as “+HH:MM:SS” after the start."))
            continue
        kinds = [k for k in ("complaints", "event_report", "media") if getattr(event, k)]
        if len(kinds) != 1:
            problems.add(path, _("Give exactly one of complaints, event_report or media."))
            continue
        last = at
        if event.complaints is not None:
            over = offset(event.complaints.over)
            if over is None:
                problems.add((*path, "complaints", "over"), _("Give a period as “HH:MM:SS”."))
                continue
            last = at + over
        if last > duration:
            problems.add(
                (*path, "at"),
                _(
                    "In the future: received %(at)s after the start, but the drill ends "
                    "%(duration)s after it."
                )
                % {"at": str(last), "duration": str(duration)},
            )


def _against_plan(
    parsed: ScenarioFile, plan: schema.Plan, departments: set[str], problems: _Problems
) -> None:
    categories = _keys(plan.categories)
    severities = set(plan.keys_of("severities"))
    natures = set(plan.keys_of("natures"))
    emergency = plan.emergency
    for index, event in enumerate(parsed.events):
        path = ("events", index)
        spec = event.complaints
        if spec is not None:
            checks: list[tuple[str, Texts, set[str]]] = [
                ("category", spec.category, categories),
                ("severity", spec.severity, severities),
                ("channel", spec.channel, set(plan.channels)),
            ]
            if spec.nature:
                checks.append(("nature", spec.nature, natures))
            for name, value, allowed in checks:
                for item in _each(value):
                    if item and item not in allowed:
                        problems.add(
                            (*path, "complaints", name),
                            _("The plan has no %(field)s “%(value)s”.")
                            % {"field": _field_name(name), "value": item},
                        )
            sets = {"category": categories, "severity": severities, "nature": natures}
            for name, value in spec.classify.items():
                allowed_set = sets.get(name)
                if allowed_set is None:
                    problems.add(
                        (*path, "complaints", "classify", name),
                        _("Classify sets category, severity or nature."),
                    )
                elif value not in allowed_set:
                    problems.add(
                        (*path, "complaints", "classify", name),
                        _("The plan has no %(field)s “%(value)s”.")
                        % {"field": _field_name(name), "value": value},
                    )
            if spec.transfer_to and spec.transfer_to not in departments:
                problems.add(
                    (*path, "complaints", "transfer_to"),
                    _("No department “%(code)s”.") % {"code": spec.transfer_to},
                )
        if event.event_report is not None:
            report = event.event_report
            if emergency is None:
                problems.add((*path, "event_report"), _("The plan has no emergency part."))
            if report.category not in categories:
                problems.add(
                    (*path, "event_report", "category"),
                    _("The plan has no category “%(value)s”.") % {"value": report.category},
                )
            if report.severity not in severities:
                problems.add(
                    (*path, "event_report", "severity"),
                    _("The plan has no severity “%(value)s”.") % {"value": report.severity},
                )
        if event.media is not None and emergency is None:
            problems.add((*path, "media"), _("The plan has no emergency part."))
    rules = plan.deadline_rules()
    tasks = {task.key for task in emergency.tasks} if emergency else set()
    authorities = {a.key for a in emergency.report_to} if emergency else set()
    for index, miss in enumerate(parsed.participants.miss):
        where: tuple[Any, ...] = ("participants", "miss", index)
        given = [k for k in ("deadline", "task", "situation", "upward") if getattr(miss, k)]
        if len(given) != 1:
            problems.add(where, _("Give exactly one of deadline, task, situation or upward."))
        elif miss.deadline and miss.deadline not in rules:
            problems.add(
                (*where, "deadline"),
                _("The plan has no deadline “%(key)s”.") % {"key": miss.deadline},
            )
        elif miss.task and miss.task not in tasks:
            problems.add(
                (*where, "task"),
                _("The plan has no emergency task “%(key)s”.") % {"key": miss.task},
            )
        elif miss.upward and miss.upward not in authorities:
            problems.add(
                (*where, "upward"),
                _("The plan reports to no authority “%(key)s”.") % {"key": miss.upward},
            )
        elif miss.situation and (emergency is None or emergency.situation_every is None):
            problems.add(
                (*where, "situation"), _("The plan asks for no periodic situation reports.")
            )
