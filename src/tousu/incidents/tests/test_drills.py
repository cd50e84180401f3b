"""Drills: scenario files refused with every problem named (times, plan, complaints in the
future), one running drill per plan, who may drill, the drill process's refusal to run
outside its own database and its settings that send nothing out, the shipped scenarios,
and a small drill run from the page to its report and proposed revision."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from tousu.accounts.services import user_create
from tousu.conftest import PASSWORD
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.demo.loader import demo_data, demo_organisation_create
from tousu.incidents.choices import DrillStatus
from tousu.incidents.drills import services
from tousu.incidents.drills.configuration import configuration_export
from tousu.incidents.drills.process import drill_process
from tousu.incidents.drills.scenario import scenario_parse, shipped_scenarios, shipped_source
from tousu.incidents.models import Drill
from tousu.notifications.tests.loopback import MailServer
from tousu.plans.models import Plan, PlanRevision
from tousu.plans.services import TEMPLATE_KEYS, template_source
from tousu.plans.validation import plan_parse

# A small drill of the assurance template: five complaints, one urgent, two left alone.
SMALL = """\
title: 小型演练
plan: assurance
start: "2026-04-10T09:00:00+08:00"
duration: "02:00:00"
worker_every: "00:10:00"
participants:
  acknowledge: "00:10:00"
  step: "00:20:00"
  steps: 1
  miss:
    - {deadline: response_1h, complaints: 1, tag: daily}
events:
  - at: "+00:00:00"
    complaints:
      tag: daily
      count: 4
      over: "00:30:00"
      channel: phone
      category: service_attitude
      title: 客服回复敷衍（第{n}位客户）
      text: 客户反映咨询问题时客服回复敷衍。编号{n}。
  - at: "+00:15:00"
    complaints:
      channel: phone
      category: product_function
      severity: urgent
      title: 设备运行中冒烟
      text: 客户来电称设备运行中冒烟，要求立即派人处理。
"""


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in their English source text."""
    with translation.override("en"):
        yield


def _with(source: str, old: str, new: str) -> str:
    assert old in source
    return source.replace(old, new)


@pytest.fixture
def assurance(db):
    """The assurance template's demo organisation (its plan loaded and adopted); the
    directories of the drills a test starts but does not run are removed after it."""
    yield demo_organisation_create("assurance")
    for drill in Drill.objects.all():
        shutil.rmtree(services.drill_directory(drill), ignore_errors=True)


def _problems(source: str, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        services.scenario_check(source, **kwargs)
    return caught.value.field_errors


def test_a_valid_scenario_is_resolved(assurance):
    scenario, plan = services.scenario_check(SMALL, plan_key="assurance")
    assert plan.key == "assurance"
    assert scenario.start == datetime(2026, 4, 10, 1, 0, tzinfo=UTC)
    assert (scenario.end - scenario.start).total_seconds() == 7200


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('  - at: "+00:15:00"', '  - at: "15 minutes"', "events.1.at"),
        ('  - at: "+00:15:00"', '  - at: "-00:15:00"', "events.1.at"),
        ('duration: "02:00:00"', 'duration: "two hours"', "duration"),
        ('start: "2026-04-10T09:00:00+08:00"', 'start: "2026-04-10T09:00:00"', "start"),
        ('      over: "00:30:00"', '      over: "half an hour"', "events.0.complaints.over"),
        ('worker_every: "00:10:00"', 'worker_every: "00:00:01"', "worker_every"),
        ('  acknowledge: "00:10:00"', '  acknowledge: "soon"', "participants.acknowledge"),
    ],
)
def test_bad_times_are_refused_by_field_and_line(assurance, old, new, field):
    problems = _problems(_with(SMALL, old, new))
    assert field in problems, problems
    assert "line " in problems[field][0]


def test_a_complaint_after_the_drill_ends_is_in_the_future(assurance):
    source = _with(SMALL, '  - at: "+00:15:00"', '  - at: "+02:30:00"')
    problems = _problems(source)
    assert "events.1.at" in problems
    assert "future" in problems["events.1.at"][0]
    assert "line 22" in problems["events.1.at"][0]


def test_a_surge_running_past_the_end_is_in_the_future(assurance):
    problems = _problems(_with(SMALL, '      over: "00:30:00"', '      over: "03:00:00"'))
    assert "future" in problems["events.0.at"][0]


def test_a_drill_that_would_end_after_now_is_refused(assurance):
    source = _with(
        SMALL, 'start: "2026-04-10T09:00:00+08:00"', 'start: "2099-04-10T09:00:00+08:00"'
    )
    problems = _problems(source)
    assert "future" in problems["start"][0]


def test_an_unknown_plan_is_refused(assurance):
    problems = _problems(_with(SMALL, "plan: assurance", "plan: no_such_plan"))
    assert "Unknown plan" in problems["plan"][0]
    assert "line 2" in problems["plan"][0]
    with pytest.raises(InvalidInput) as caught:
        services.drill_start(
            plan_key="no_such_plan", source=SMALL, scenario_name="small.yaml", actor=None
        )
    assert "plan" in caught.value.field_errors
    assert not Drill.objects.exists()


def test_a_scenario_of_another_plan_is_refused(assurance):
    problems = _problems(SMALL, plan_key="market")
    assert "plan" in problems


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            "      category: service_attitude",
            "      category: nonsense",
            "events.0.complaints.category",
        ),
        (
            "      channel: phone\n      category: product",
            "      channel: fax\n      category: product",
            "events.1.complaints.channel",
        ),
        ("{deadline: response_1h,", "{deadline: no_such_deadline,", "participants.miss.0.deadline"),
        (
            "{deadline: response_1h, complaints: 1, tag: daily}",
            "{task: no_such_task}",
            "participants.miss.0.task",
        ),
        (
            "    - {deadline: response_1h, complaints: 1, tag: daily}",
            "    - {complaints: 1}",
            "participants.miss.0",
        ),
        ("  steps: 1", "  steps: many", "participants.steps"),
        ("title: 小型演练\n", "", "title"),
    ],
)
def test_what_the_plan_does_not_have_is_refused(assurance, old, new, field):
    problems = _problems(_with(SMALL, old, new))
    assert field in problems, problems


def test_not_yaml_is_refused():
    with pytest.raises(InvalidInput) as caught:
        scenario_parse("title: [unclosed", plan_of=lambda key: None, departments=set())
    assert "line" in caught.value.field_errors["file"][0]


def test_every_template_ships_a_valid_scenario_with_a_deliberate_miss():
    names = shipped_scenarios()
    assert set(names) == {f"{key}.yaml" for key in TEMPLATE_KEYS}
    for key in TEMPLATE_KEYS:
        plan = plan_parse(template_source(key)).plan
        departments = {row["code"] for row in demo_data(key)["departments"]}
        scenario, _plan = scenario_parse(
            shipped_source(f"{key}.yaml"),
            plan_of=lambda name, plan=plan: plan if name == plan.key else None,
            departments=departments,
        )
        assert scenario.plan_key == key
        assert scenario.file.participants.miss, f"{key}: no deliberate miss"
    # The 3·15 surge: 200 complaints within two hours, 12 about one car model.
    surge = yaml.safe_load(shipped_source("dealer_315.yaml"))
    groups = [e["complaints"] for e in surge["events"] if "complaints" in e]
    assert sum(g.get("count", 1) for g in groups) == 200
    assert any(g.get("count") == 12 and g.get("product") == "瑞途S5 SUV" for g in groups)


def test_a_second_drill_of_a_running_plan_is_a_conflict(assurance):
    first = services.drill_start(
        plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=None
    )
    assert first.status == DrillStatus.RUNNING
    with pytest.raises(Conflict) as caught:
        services.drill_start(
            plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=None
        )
    assert "running" in caught.value.detail
    assert "plan" in caught.value.field_errors
    assert Drill.objects.count() == 1
    # The command says so too, and names the field.
    path = Path(services.drill_directory(first)) / "scenario.yaml"
    with pytest.raises(CommandError, match="running"):
        call_command("drill", "run", "assurance", "--scenario", str(path))
    # Once it is over, the plan can be drilled again.
    Drill.objects.filter(pk=first.pk).update(status=DrillStatus.FAILED)
    services.drill_start(plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=None)


def test_a_drill_whose_process_died_no_longer_blocks_its_plan(assurance):
    stale = services.drill_start(
        plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=None
    )
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = {
        **stale.figures,
        "conductor": {**stale.figures["conductor"], "pid": int(dead.stdout)},
    }
    Drill.objects.filter(pk=stale.pk).update(figures=figures)
    services.drill_start(plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=None)
    stale.refresh_from_db()
    assert stale.status == DrillStatus.FAILED
    assert "Abandoned" in stale.error


def test_only_leadership_and_administrators_drill(assurance):
    operator = user_create(username="root", password=PASSWORD, is_superuser=True)
    for user in (assurance["clerk"], assurance["supervisor"], operator):
        assert not services.may_drill(user)
        with pytest.raises(NotAllowed):
            services.drill_start(
                plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=user
            )
    assert services.may_drill(assurance["leader"]) and services.may_drill(assurance["admin"])
    client = Client()
    client.force_login(assurance["clerk"])
    assert client.get("/drills/").status_code == 403
    client.force_login(assurance["leader"])
    assert client.get("/drills/").status_code == 200


def test_the_drill_process_runs_only_in_a_drill_database(tmp_path):
    # This process is not a drill's (TOUSU_DRILL unset, the real database).
    with pytest.raises(RuntimeError, match="not a drill's process"):
        drill_process(tmp_path)


def _send_mail_in(env: dict[str, str]) -> None:
    code = (
        "import django; django.setup();"
        "from django.core.mail import send_mail;"
        "send_mail('s', 'b', 'a@example.cn', ['b@example.cn'])"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_a_drill_process_sends_no_mail_even_when_a_server_is_configured(tmp_path):
    with MailServer() as server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tousu.settings",
            "TOUSU_VAR_DIR": str(tmp_path),
            "TOUSU_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "TOUSU_EMAIL_HOST": "127.0.0.1",
            "TOUSU_EMAIL_PORT": str(server.port),
        }
        _send_mail_in(env)  # the control: outside a drill the server gets it
        assert len(server.delivered) == 1
        _send_mail_in({**env, "TOUSU_DRILL": "1"})
        assert len(server.delivered) == 1


def test_the_drill_environment_withholds_the_real_database_keys_and_channels(tmp_path):
    os.environ["TOUSU_EMAIL_HOST"] = "mail.example.cn"
    try:
        env = services.drill_environment(tmp_path)
    finally:
        del os.environ["TOUSU_EMAIL_HOST"]
    assert env["TOUSU_DRILL"] == "1"
    assert env["TOUSU_DATABASE_URL"] == f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    assert env["TOUSU_VAR_DIR"] == str(tmp_path)
    assert "TOUSU_EMAIL_HOST" not in env
    assert settings.TOUSU_DRILL is False


@pytest.mark.slow
def test_a_drill_started_on_the_page_runs_to_its_report_and_proposes_a_revision(
    assurance, monkeypatch, django_assert_max_num_queries
):
    """The page starts the drill in the background; here the background process is the
    test's own, so that it reads the test database."""
    monkeypatch.setattr(
        services, "drill_spawn", lambda drill: services.drill_conduct(drill=drill) and 0
    )
    monkeypatch.setattr("tousu.incidents.drills.views.shipped_source", lambda name: SMALL)
    client = Client()
    client.force_login(assurance["leader"])
    page = client.get("/drills/")
    assert "assurance.yaml" in page.content.decode()
    response = client.post(
        "/drills/start/", {"plan": "assurance", "scenario": "assurance.yaml", "speed": "0"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    drill = Drill.objects.get()
    assert drill.status == DrillStatus.FINISHED, drill.error
    assert drill.started_by == assurance["leader"]
    figures = drill.figures
    assert figures["complaints"]["count"] == 5
    assert figures["deliberate"] and all(d["found"] for d in figures["deliberate"])
    with django_assert_max_num_queries(12):
        listing = client.get("/drills/").content.decode()
    assert f"/drills/{drill.pk}/report/" in listing
    report = client.get(f"/drills/{drill.pk}/report/")
    html = report.content.decode()
    assert "演练评估报告" in html and "回复客户时限（1小时）" in html
    assert "sha256-" in report["Content-Security-Policy"]
    pdf = client.get(f"/drills/{drill.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The proposed revision becomes a draft of the plan, not the active revision.
    proposal = figures["evaluation"]["proposal"]
    assert proposal and proposal["changes"][0]["key"] == "response_1h"
    active = Plan.objects.get(key="assurance").active_revision
    response = client.post(f"/drills/{drill.pk}/revision/")
    assert response.status_code == 302
    draft = PlanRevision.objects.filter(plan__key="assurance").latest("number")
    assert draft.pk != active.pk and str(drill.pk) in draft.note
    assert Plan.objects.get(key="assurance").active_revision == active
    assert "warn" in draft.source
    # Once only.
    client.post(f"/drills/{drill.pk}/revision/")
    assert PlanRevision.objects.filter(plan__key="assurance").count() == 2


@pytest.mark.slow
def test_an_attended_drill_serves_its_pages_with_the_banner(assurance):
    """Staff respond in the drill's own pages: served by the drill's process (so on its
    database and its clock), each with the drill banner; no scripted participant acts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = _with(SMALL, 'duration: "02:00:00"', 'duration: "01:00:00"')
    drill = services.drill_start(
        plan_key="assurance",
        source=source,
        scenario_name="small.yaml",
        actor=None,
        speed=360,
        attended_port=port,
    )
    directory = services.drill_directory(drill)
    (directory / "configuration.json").write_text(
        configuration_export(revision=drill.plan_revision), encoding="utf-8"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tousu", "drill", "engine", str(directory)],
        env=services.drill_environment(directory),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "drill-banner" not in page:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    page = r.read().decode()
            except OSError:
                time.sleep(0.2)
        assert 'id="drill-banner"' in page
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
    figures = json.loads((directory / "figures.json").read_text(encoding="utf-8"))
    assert figures["engine"]["attended"] is True
    assert figures["complaints"]["count"] == 5
    assert figures["engine"]["actions"] == 0  # nobody scripted: the staff respond
    assert figures["times"]["acknowledge"]["measured"] == 0
    shutil.rmtree(directory)
