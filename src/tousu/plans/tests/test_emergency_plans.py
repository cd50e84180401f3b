"""The emergency part of a plan: command structure, tasks, reports upward, the peak
period and targets are checked against the rest of the plan, and every shipped template
has a response that can run (a task for each working group, someone to report to)."""

from copy import deepcopy

import pytest
import yaml

from tousu.plans.services import TEMPLATE_KEYS, template_source
from tousu.plans.tests.test_validation import errors_of, example
from tousu.plans.validation import plan_parse


def responding() -> dict:
    """The example plan with a complete emergency part: a command group with a deputy, one
    working group with its task, a report upward, a peak period and targets."""
    data = example()
    data["roles"]["deputy"] = {"label": "副店长", "system_role": "leadership"}
    data["groups"]["leadership_group"]["deputies"] = ["deputy"]
    data["groups"]["site_group"] = {"label": "现场处置组", "lead": "handler", "members": ["clerk"]}
    data["emergency"].update(
        {
            "working_groups": ["site_group"],
            "reported_by": ["clerk"],
            "immediate": {"category": ["food"], "injured_at_least": 1},
            "tasks": [
                {
                    "key": "meet",
                    "label": "召开会议研究处置方案",
                    "group": "leadership_group",
                    "within": {"amount": 1, "unit": "hours"},
                },
                {
                    "key": "go_to_site",
                    "label": "赶赴现场",
                    "group": "site_group",
                    "levels": ["III"],
                    "when": {"category": ["quality"]},
                    "within": {"amount": 2, "unit": "hours"},
                },
                {
                    "key": "statement",
                    "label": "起草对外说明",
                    "group": "leadership_group",
                    "media": True,
                    "within": {"amount": 1, "unit": "working_days"},
                },
            ],
            "situation_every": {"amount": 2, "unit": "hours"},
            "report_to": [
                {
                    "key": "samr",
                    "label": "市场监督管理所",
                    "levels": ["III"],
                    "within": {"amount": 1, "unit": "hours"},
                },
                {
                    "key": "police",
                    "label": "公安机关",
                    "when": {"injured_at_least": 1},
                    "within": {"amount": 0.5, "unit": "hours"},
                },
            ],
            "peak": [
                {
                    "key": "consumer_day",
                    "label": "3·15",
                    "start": "03-01",
                    "end": "03-31",
                    "first_contact": {"amount": 1, "unit": "hours"},
                    "media_level": "III",
                }
            ],
            "targets": {
                "acknowledge": {"amount": 0.5, "unit": "hours"},
                "activate": {"amount": 1, "unit": "working_hours"},
            },
        }
    )
    return data


def emergency(data: dict) -> dict:
    return data["emergency"]


def test_a_complete_emergency_part_is_valid():
    result = plan_parse(_dump(responding()))
    assert result.ok, result.errors
    e = result.plan.emergency
    assert result.plan.groups["leadership_group"].deputies == ["deputy"]
    assert [task.key for task in e.tasks] == ["meet", "go_to_site", "statement"]
    assert e.tasks[2].media and e.report_to[1].when.injured_at_least == 1
    assert e.peak[0].media_level == "III" and e.immediate.category == ["food"]


def test_a_working_group_or_a_task_group_that_does_not_exist():
    data = responding()
    emergency(data)["working_groups"].append("press_group")
    emergency(data)["tasks"][1]["group"] = "site_grp"
    found = errors_of(data)
    assert found["emergency.working_groups.1"] == "no group “press_group”"
    assert found["emergency.tasks.1.group"] == "no group “site_grp”"


def test_a_task_for_a_group_outside_the_response():
    data = responding()
    data["groups"]["office"] = {"label": "办公室", "members": ["clerk"]}
    emergency(data)["tasks"][0]["group"] = "office"
    found = errors_of(data)
    assert (
        "neither the command group nor one of the working groups"
        in found["emergency.tasks.0.group"]
    )


def test_a_working_group_without_a_task_and_the_command_group_as_its_own_worker():
    data = responding()
    emergency(data)["tasks"] = [t for t in emergency(data)["tasks"] if t["group"] != "site_group"]
    emergency(data)["working_groups"].append("leadership_group")
    found = errors_of(data)
    assert "no task is given to “site_group”" in found["emergency.working_groups.0"]
    assert "not one of its own working groups" in found["emergency.working_groups.1"]


def test_a_task_or_an_authority_at_a_level_the_plan_does_not_have():
    data = responding()
    emergency(data)["tasks"][1]["levels"] = ["III", "II"]
    emergency(data)["report_to"][0]["levels"] = []
    found = errors_of(data)
    assert found["emergency.tasks.1.levels.1"] == "no response level “II”"
    assert "empty list never applies" in found["emergency.report_to.0.levels"]


def test_roles_that_activate_or_report_must_exist():
    data = responding()
    emergency(data)["activated_by"] = ["manager", "duty_officer"]
    emergency(data)["reported_by"] = ["assignee"]
    data["groups"]["leadership_group"]["deputies"] = ["vice"]
    found = errors_of(data)
    assert "never defined" in found["emergency.activated_by.1"]
    # Built-in people belong to a complaint, not to an event report.
    assert "never defined" in found["emergency.reported_by.0"]
    assert "never defined" in found["groups.leadership_group.deputies.0"]


def test_a_deputy_who_is_the_lead_or_listed_twice():
    data = responding()
    data["groups"]["leadership_group"]["deputies"] = ["manager", "deputy", "deputy"]
    found = errors_of(data)
    assert found["groups.leadership_group.deputies.0"] == "“manager” is the group's lead"
    assert found["groups.leadership_group.deputies.2"] == "“deputy” is listed twice"


def test_nobody_may_activate_a_command_group_without_a_lead():
    data = responding()
    del data["groups"]["leadership_group"]["lead"]
    data["groups"]["leadership_group"]["deputies"] = []
    assert "nobody may activate" in errors_of(data)["emergency.activated_by"]
    emergency(data)["activated_by"] = ["manager"]
    assert plan_parse(_dump(data)).ok


def test_conditions_on_an_incident_use_known_keys_and_what_an_incident_has():
    data = responding()
    emergency(data)["immediate"] = {"category": ["fire"]}
    emergency(data)["tasks"][1]["when"] = {"nature": ["problem"]}
    emergency(data)["report_to"][1]["when"] = {"severity": ["critical"]}
    found = errors_of(data)
    assert found["emergency.immediate.category.0"] == "unknown category “fire”"
    assert "an incident has no nature" in found["emergency.tasks.1.when.nature"]
    assert found["emergency.report_to.1.when.severity.0"] == "unknown severity “critical”"


def test_task_authority_and_trigger_keys_are_unique():
    data = responding()
    emergency(data)["tasks"][2]["key"] = "meet"
    emergency(data)["report_to"][1]["key"] = "samr"
    emergency(data)["triggers"].append(deepcopy(emergency(data)["triggers"][0]))
    found = errors_of(data)
    assert found["emergency.tasks.2.key"] == "task “meet” is listed twice"
    assert found["emergency.report_to.1.key"] == "authority “samr” is listed twice"
    assert found["emergency.triggers.1.key"] == "trigger “urgent” is listed twice"


@pytest.mark.parametrize(
    ("start", "end"), [("13-01", "03-31"), ("02-30", "03-31"), ("03-01", "04-31")]
)
def test_a_peak_period_on_a_day_that_does_not_exist(start, end):
    data = responding()
    emergency(data)["peak"][0].update(start=start, end=end)
    found = errors_of(data)
    side = "start" if start != "03-01" else "end"
    bad = start if side == "start" else end
    assert found[f"emergency.peak.0.{side}"] == f"“{bad}” is not a day of the year (MM-DD)"


def test_a_peak_period_across_new_year_and_on_29_february_is_valid():
    data = responding()
    emergency(data)["peak"][0].update(start="12-20", end="02-29")
    assert plan_parse(_dump(data)).ok


def test_a_peak_period_badly_written():
    data = responding()
    emergency(data)["peak"][0]["start"] = "3-1"
    assert "emergency.peak.0.start" in errors_of(data)


def test_a_peak_period_raising_to_an_unknown_level_or_listed_twice():
    data = responding()
    emergency(data)["peak"].append(deepcopy(emergency(data)["peak"][0]) | {"media_level": "I"})
    found = errors_of(data)
    assert found["emergency.peak.1.media_level"] == "no response level “I”"
    assert found["emergency.peak.1.key"] == "peak period “consumer_day” is listed twice"


def test_situation_reports_are_required_when_groups_work_under_command():
    data = responding()
    del emergency(data)["situation_every"]
    assert "is required" in errors_of(data)["emergency.situation_every"]


def test_durations_in_days_are_whole_and_working_hours_need_business_hours():
    data = responding()
    emergency(data)["tasks"][2]["within"] = {"amount": 1.5, "unit": "working_days"}
    emergency(data)["report_to"][0]["within"] = {"amount": 0.5, "unit": "days"}
    found = errors_of(data)
    assert found["emergency.tasks.2.within.amount"] == "must be a whole number of working_days"
    assert found["emergency.report_to.0.within.amount"] == "must be a whole number of days"
    data = responding()
    del data["business_hours"]
    found = errors_of(data)
    assert "needs business_hours" in found["emergency.targets.activate.unit"]


def test_a_situation_interval_of_zero():
    data = responding()
    emergency(data)["situation_every"] = {"amount": 0, "unit": "hours"}
    assert errors_of(data)["emergency.situation_every.amount"] == "must be a positive number"


def test_unknown_fields_in_the_new_parts_are_refused():
    data = responding()
    emergency(data)["tasks"][0]["owner"] = "manager"
    emergency(data)["targets"]["resolve"] = {"amount": 1, "unit": "days"}
    found = errors_of(data)
    assert found["emergency.tasks.0.owner"] == "unknown field (check its spelling)"
    assert found["emergency.targets.resolve"] == "unknown field (check its spelling)"


# ---------------------------------------------------------------- the shipped templates


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_each_template_has_a_response_that_can_run(key):
    result = plan_parse(template_source(key))
    assert result.ok, result.errors
    plan = result.plan
    e = plan.emergency
    assert e is not None
    command = plan.groups[e.command_group]
    assert command.lead or e.activated_by
    assert e.working_groups, f"{key}: no working group acts under the command group"
    for group in [e.command_group, *e.working_groups]:
        assert any(task.group == group for task in e.tasks), f"{key}: nothing for {group}"
    assert e.report_to, f"{key}: reports to nobody"
    assert e.situation_every is not None
    assert e.targets.acknowledge is not None and e.targets.activate is not None
    for task in e.tasks:
        assert task.label and task.within.amount > 0


@pytest.mark.parametrize(
    ("key", "deputies"),
    [
        ("enterprise", ["deputy_gm"]),
        ("petition", ["deputy_leader"]),
        ("dealer_315", ["after_sales_manager", "marketing_manager"]),
    ],
)
def test_the_deputies_the_seeds_name(key, deputies):
    plan = plan_parse(template_source(key)).plan
    assert plan.groups[plan.emergency.command_group].deputies == deputies


def test_the_government_hq_and_its_four_working_groups():
    e = plan_parse(template_source("government")).plan.emergency
    assert e.command_group == "emergency_hq"
    assert e.working_groups == ["info_group", "site_group", "press_group", "logistics_group"]
    task = {t.key: t for t in e.tasks}["collect_report"]
    assert (task.group, task.within.amount, task.within.unit) == ("info_group", 1, "hours")
    authorities = {a.key: a for a in e.report_to}
    assert authorities["cyberspace"].media
    assert authorities["police"].when.injured_at_least == 1


def test_the_petition_groups_act_only_on_their_own_form_of_visit():
    e = plan_parse(template_source("petition")).plan.emergency
    for task in e.tasks:
        if task.group == "collective_group":
            assert task.when.category == ["collective"]
        if task.group == "skip_level_group":
            assert task.when.category == ["skip_level"]
    labels = " ".join(t.label for t in e.tasks)
    assert "不超过5人" in labels and "劝返" in labels


def test_customer_emergency_each_class_has_its_own_steps_and_life_activates_at_once():
    e = plan_parse(template_source("customer_emergency")).plan.emergency
    classes = {c for t in e.tasks if t.when for c in t.when.category or []}
    assert classes == {"complaint", "interruption", "fund", "life"}
    assert e.immediate.category == ["life"]
    assert e.reported_by


def test_service_incident_casualties_activate_at_once():
    e = plan_parse(template_source("service_incident")).plan.emergency
    assert e.immediate.category == ["casualty"]
    assert {"leader", "commander"} <= set(e.activated_by)
    assert any(t.when and t.when.injured_at_least == 1 for t in e.triggers)


def test_the_school_media_path_is_lawful_and_only_when_the_media_is_involved():
    e = plan_parse(template_source("school")).plan.emergency
    media = [t for t in e.tasks if t.group == "media_team"]
    assert media and all(t.media for t in media)
    labels = " ".join(t.label for t in media)
    assert "证件" in labels and "审批" in labels and "配合" in labels
    for word in ("压制", "删帖", "回购", "劝离"):
        assert word not in labels


def test_the_dealer_peak_period_shortens_first_contact_and_raises_media():
    e = plan_parse(template_source("dealer_315")).plan.emergency
    (peak,) = e.peak
    assert (peak.start, peak.end) == ("03-01", "03-31")
    assert peak.first_contact.amount == 1 and peak.first_contact.unit == "hours"
    assert e.rank(peak.media_level) < e.rank(next(t.level for t in e.triggers if t.media))
    assert all(e.level(k).deadline_factor < 1 for k in ("I", "II", "III"))


def test_the_assurance_promises_are_targets_and_tasks():
    e = plan_parse(template_source("assurance")).plan.emergency
    assert (e.targets.acknowledge.amount, e.targets.acknowledge.unit) == (1, "hours")
    tasks = {t.key: t for t in e.tasks}
    assert (tasks["reply_customer"].within.amount, tasks["initial_plan"].within.amount) == (1, 24)


def _dump(data: dict) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True).encode()
