"""The seeds' emergency paths, each run through the API and the incident services: the
government HQ's four working groups, petitions' 集访 handling group and reports upward,
a customer emergency's own steps per class, the 4S shop's 3·15 season, and the school's
media path that keeps the clocks whose fines must still fall due."""

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.deadlines.models import Deadline
from tousu.incidents import response
from tousu.incidents.models import Incident
from tousu.plans.tests.scenario import clients, clock, keys, registrar, step, worker

pytestmark = pytest.mark.django_db


def groups_with_tasks(incident: Incident) -> set[str]:
    return set(incident.tasks.values_list("group", flat=True))


def test_government_urgent_matter_runs_under_the_hq_with_four_working_groups():
    people = clients("government")
    register = registrar(
        {
            "channel": "phone",
            "title": "小区燃气管道泄漏",
            "description": "东关街道小区楼道闻到浓烈燃气味，居民已自行疏散。",
            "category": "public_safety",
            "severity": "urgent",
            "complainant": {"name": "赵先生", "phone": "13600000001"},
        }
    )
    with clock("2026-06-08T09:00:00+08:00"):
        no = register(people["clerk"])
    incident = Incident.objects.get()
    plan = incident.plan
    assert incident.level == "II"
    assert groups_with_tasks(incident) >= {
        "info_group",
        "site_group",
        "press_group",
        "logistics_group",
    }
    labels = {plan.groups[g].label for g in groups_with_tasks(incident)}
    assert {"信息收集组", "现场处置组", "宣传报道组", "后勤保障组"} <= labels
    assert incident.upward.exists()
    # Information release never blocks the reply to the citizen: a draft statement
    # leaves the complaint's own actions as they were.
    before = keys(people["clerk"], no)
    commander = incident.responders.get(part="commander").user
    press = incident.responders.filter(group="press_group").first().user
    with clock("2026-06-08T09:30:00+08:00"):
        response.statement_draft(incident=incident, actor=press, text="东关小区燃气泄漏已处置。")
    assert keys(people["clerk"], no) == before
    assert commander.username == "leader"


def test_a_collective_visit_gets_its_own_handling_group_and_reports_upward():
    people = clients("petition")
    register = registrar(
        {
            "channel": "walk_in",
            "title": "三十余名村民集体上访反映征地补偿",
            "description": "清石镇三十余名村民到信访局反映征地补偿款未足额发放。",
            "category": "collective",
            "complainant": {"name": "王大伯", "phone": "13600000002"},
        }
    )
    with clock("2026-06-08T09:00:00+08:00"):
        register(people["clerk"])
    incident = Incident.objects.get()
    assert incident.level == "II" and incident.trigger == "collective_visit"
    assert "collective_group" in groups_with_tasks(incident)
    assert "skip_level_group" not in groups_with_tasks(incident)
    assert any("5人" in t.label for t in incident.tasks.all())
    authorities = set(incident.upward.values_list("authority_label", flat=True))
    assert any("联席会议" in a for a in authorities)


def test_a_customer_emergency_runs_the_steps_of_its_class_only():
    people = clients("customer_emergency")
    register = registrar(
        {
            "channel": "phone",
            "title": "客户在营业厅晕倒",
            "description": "一位老年客户在营业厅排队时晕倒，呼吸微弱。",
            "category": "safety_accident",
            "complainant": {"name": "陈女士", "phone": "13600000003"},
        }
    )
    with clock("2026-06-08T09:00:00+08:00"):
        register(people["clerk"])
    incident = Incident.objects.get()
    assert incident.trigger == "life" and incident.level == "II"
    tasks = list(incident.tasks.values_list("group", flat=True))
    assert "rescue_team" in tasks and "fund_team" not in tasks


def test_the_315_season_has_its_own_first_contact_limit_and_media_threats_go_to_level_i():
    people = clients("dealer_315")
    register = registrar(
        {
            "channel": "phone",
            "title": "新车变速箱顿挫扬言曝光",
            "description": "提车两周变速箱严重顿挫，车主称要找315晚会曝光。",
            "category": "vehicle_quality",
            "product": "某型SUV",
            "media_involved": True,
            "complainant": {"name": "刘先生", "phone": "13600000004"},
        }
    )
    with clock("2026-03-10T09:00:00+08:00"):
        march = register(people["clerk"])
    row = Deadline.objects.get(complaint__tracking_no=march, kind="peak_first_contact")
    assert (row.due_at - row.anchor_at).total_seconds() == 3600
    assert Incident.objects.get(links__complaint__tracking_no=march).level == "I"
    with clock("2026-06-10T09:00:00+08:00"):
        june = register(people["clerk"], complainant={"name": "周先生", "phone": "13600000005"})
    assert not Deadline.objects.filter(complaint__tracking_no=june, kind="peak_first_contact")
    assert Incident.objects.get(links__complaint__tracking_no=june).level == "II"


def test_the_school_media_path_keeps_the_clock_whose_fine_must_still_fall_due():
    people = clients("school")
    register = registrar(
        {
            "channel": "phone",
            "title": "数学老师本月第二次迟到二十分钟",
            "description": "初二数学提高班任课老师迟到约二十分钟，耽误的课时没有补上。",
            "category": "teacher_attendance",
            "nature": "problem",
            "complainant": {"name": "李女士", "phone": "13807150000"},
        }
    )
    with clock("2026-06-08T09:00:00+08:00"):
        no = register(people["clerk"])
        step(
            people["clerk"],
            no,
            "forward_problem",
            "interview",
            department="campus_donghu",
            slip="补课",
        )
    with clock("2026-06-08T10:00:00+08:00"):
        step(people["office_head"], no, "media_involved", "media_response", report="晚报记者来访")
    incident = Incident.objects.get()
    assert incident.trigger == "media" and incident.level == "II"
    assert "media_team" in groups_with_tasks(incident)
    agreement = Deadline.objects.get(complaint__tracking_no=no, kind="problem_agreement")
    assert agreement.closed_at is None
    # Five working days from Mon Jun 8 at level II (factor 0.5 → 3 working days) run out;
    # the fine for an unresolved problem complaint still falls due.
    worker("2026-06-20T09:00:00+08:00")
    agreement.refresh_from_db()
    assert agreement.breached_at is not None
    fine = PenaltyEntry.objects.get(complaint__tracking_no=no, deadline=agreement)
    assert fine.amount == 200 and fine.performance == "zero"
