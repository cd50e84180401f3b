"""/api/v1/incidents: the war room as data, behind the gate, with problem bodies that
name the field; the demo organisations' people as API clients."""

import json

import pytest
from django.utils import timezone

from tousu.accounts.choices import Role
from tousu.accounts.models import User
from tousu.accounts.services import user_create
from tousu.complaints.models import Complaint
from tousu.incidents.models import Incident
from tousu.plans.tests.scenario import api, clients, clock, fields, registrar

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "电热水器漏电家人被电麻",
        "description": "洗澡时被电热水器出水电麻，已立即断电，要求派人排查安全隐患。",
        "category": "product",
        "severity": "urgent",
        "complainant": {"name": "李娜", "phone": "13912345678"},
    }
)


def post(client, path: str, body: dict | None = None):
    return client.post(f"/api/v1/{path}", json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def people():
    users = clients("enterprise")
    deputy = user_create(
        username="leader2",
        password="x-unused-x",
        full_name="贺文涛",
        roles=[Role.LEADERSHIP],
        department=User.objects.get(username="leader").department,
    )
    users["leader2"] = api(deputy)
    return users


@pytest.fixture
def number(people) -> str:
    with clock("2026-03-02T09:00:00+08:00"):
        register(people["clerk"])
    return Incident.objects.get().number


def test_the_war_room_as_data(people, number):
    body = people["leader"].get(f"/api/v1/incidents/{number}").json()
    assert body["level"] == {"key": "III", "label": "III 较大", "colour": "yellow"}
    assert body["status"]["key"] == "activated" and body["status"]["label"]
    assert body["source"]["key"] == "trigger" and body["trigger"] == "紧急投诉"
    commander = body["responders"][0]
    assert commander["person"]["username"] == "leader"
    assert commander["part"]["key"] == "commander"
    assert commander["group"] == {"key": "command_group", "label": "应急指挥小组"}
    assert {
        r["person"]["username"] for r in body["responders"] if r["part"]["key"] == "deputy"
    } == {"leader2"}
    groups = {t["group"]["label"] for t in body["tasks"]}
    assert groups == {"应急指挥小组", "投诉处理小组", "投诉处理办公室"}
    assert all(t["due_at"] and t["owner"] for t in body["tasks"])
    assert body["complaints"] == [Complaint.objects.get().tracking_no]
    assert body["complaints_hidden"] == 0
    assert body["next_situation_due"].endswith("+08:00")


def test_the_list_is_gated(people, number):
    mine = people["leader"].get("/api/v1/incidents").json()
    assert [i["number"] for i in mine["results"]] == [number]
    assert mine["results"][0]["linked_complaints"] == 1
    assert people["mediator"].get("/api/v1/incidents").json()["count"] == 0
    assert people["leader"].get("/api/v1/incidents?state=closed").json()["count"] == 0
    assert people["leader"].get("/api/v1/incidents?state=x").status_code == 422


def test_someone_outside_the_structure_gets_404(people, number):
    outsider = people["mediator"]
    assert outsider.get(f"/api/v1/incidents/{number}").status_code == 404
    assert post(outsider, f"incidents/{number}/situations", {"text": "x"}).status_code == 404
    assert post(outsider, f"incidents/{number}/contain").status_code == 404


def test_linked_complaints_are_counted_not_listed_for_those_who_may_not_see_them(people, number):
    body = people["logistics_handler"].get(f"/api/v1/incidents/{number}").json()
    assert body["complaints"] == [] and body["complaints_hidden"] == 1


def test_levels_unknown_and_lowered_without_a_reason_are_refused(people, number):
    leader = people["leader"]
    unknown = post(leader, f"incidents/{number}/level", {"level": "V"})
    assert fields(unknown) == ["level"]
    assert unknown["Content-Type"] == "application/problem+json"
    raised = post(leader, f"incidents/{number}/level", {"level": "II"})
    assert raised.status_code == 200 and raised.json()["level"]["colour"] == "orange"
    # Level II reports to the superior authority within 4 hours.
    assert [u["authority"] for u in raised.json()["upward"]] == ["上级主管部门"]
    lowered = post(leader, f"incidents/{number}/level", {"level": "IV", "reason": " "})
    assert fields(lowered) == ["reason"]
    version = raised.json()["version"]
    stale = post(leader, f"incidents/{number}/level", {"level": "I", "version": version - 1})
    assert stale.status_code == 409
    assert post(people["clerk"], f"incidents/{number}/level", {"level": "I"}).status_code == 403


def test_a_statement_needs_a_second_person(people, number):
    leader, deputy = people["leader"], people["leader2"]
    drafted = post(leader, f"incidents/{number}/statements", {"text": "我司已派员上门排查。"})
    statement = drafted.json()["statements"][0]
    assert statement["status"]["key"] == "draft"
    path = f"incidents/{number}/statements/{statement['id']}"
    assert post(leader, f"{path}/publish").status_code == 409
    own = post(leader, f"{path}/approve")
    assert own.status_code == 403
    assert own.json()["errors"] == [
        {"field": "approved_by", "message": own.json()["errors"][0]["message"]}
    ]
    approved = post(deputy, f"{path}/approve").json()["statements"][0]
    assert approved["approved_by"]["username"] == "leader2"
    published = post(leader, f"{path}/publish").json()["statements"][0]
    assert published["status"]["key"] == "published" and published["published_at"]
    assert post(leader, f"{path}/publish").status_code == 409
    assert post(leader, f"incidents/{number}/statements/999/approve").status_code == 404


def test_a_response_runs_to_its_review(people, number):
    leader, supervisor = people["leader"], people["supervisor"]
    room = people["leader"].get(f"/api/v1/incidents/{number}").json()
    office_task = next(t for t in room["tasks"] if t["group"]["label"] == "投诉处理办公室")
    done = post(
        supervisor, f"incidents/{number}/tasks/{office_task['id']}/done", {"note": "已记录"}
    )
    assert done.status_code == 200
    task = next(t for t in done.json()["tasks"] if t["id"] == office_task["id"])
    assert task["done_by"]["username"] == "supervisor" and task["note"] == "已记录"
    assert done.json()["status"]["key"] == "responding"
    assert fields(post(leader, f"incidents/{number}/situations", {"text": ""})) == ["text"]
    filed = post(leader, f"incidents/{number}/situations", {"text": "现场已断电，无人受伤"})
    assert filed.json()["situation_reports"][0]["text"] == "现场已断电，无人受伤"
    media = post(leader, f"incidents/{number}/media", {"outlet": "都市报", "summary": "询问进展"})
    assert media.json()["media"][0]["outlet"] == "都市报"
    # The press is involved: the plan's media trigger raises the level to II (重大),
    # which reports to the superior authority.
    assert media.json()["level"]["key"] == "II" and media.json()["trigger"] == "媒体曝光"
    upward = media.json()["upward"][0]
    reported = post(leader, f"incidents/{number}/upward/{upward['id']}", {"content": "已电话报告"})
    assert reported.json()["upward"][0]["reported_by"]["username"] == "leader"
    assert post(leader, f"incidents/{number}/contain").json()["status"]["key"] == "contained"
    assert fields(post(leader, f"incidents/{number}/close", {"outcome": ""})) == ["outcome"]
    closed = post(leader, f"incidents/{number}/close", {"outcome": "已更换热水器"})
    assert closed.json()["status"]["key"] == "closed"
    due = f"{timezone.localdate() + timezone.timedelta(days=30):%Y-%m-%d}"
    review = {
        "causes": "接地线安装不规范",
        "lessons": "安装后测试接地",
        "improvements": [{"title": "培训安装规范", "owner": "nobody", "due_on": due}],
    }
    assert fields(post(leader, f"incidents/{number}/review", review)) == ["improvements.0.owner"]
    review["improvements"][0]["owner"] = "after_sales_head"
    review["accountability"] = [{"person": "handler", "reason": "安装不规范", "amount": "100"}]
    reviewed = post(leader, f"incidents/{number}/review", review).json()
    assert reviewed["status"]["key"] == "reviewed"
    assert reviewed["review"]["figures"]["activate"]["target"] == 7200
    action = reviewed["review"]["improvements"][0]
    assert action["owner"]["username"] == "after_sales_head"
    done = post(
        people["after_sales_head"],
        f"incidents/{number}/improvements/{action['id']}/done",
        {"note": "已培训"},
    )
    assert done.json()["review"]["improvements"][0]["done_at"]


def test_an_event_report_opens_an_incident(people):
    clerk = people["mediator"]
    bad = post(
        clerk,
        "incidents",
        {"title": "", "category": "nope", "severity": "major", "people_injured": -1},
    )
    assert set(fields(bad)) == {"people_injured"}  # the shape first
    bad = post(clerk, "incidents", {"title": "", "category": "nope", "severity": "x"})
    assert set(fields(bad)) == {"title", "category", "severity"}
    receipt = post(
        clerk,
        "incidents",
        {"title": "门店收银系统中断", "category": "service", "severity": "major"},
    )
    assert receipt.status_code == 201
    body = receipt.json()
    assert body["status"]["key"] == "reported" and body["visible"] is False
    activated = post(people["leader"], f"incidents/{body['number']}/activate", {"level": "III"})
    assert activated.json()["status"]["key"] == "activated"


def test_an_immediate_class_activates_at_once():
    people = clients("service_incident")
    receipt = post(
        people["clerk"],
        "incidents",
        {
            "title": "营业厅顾客摔倒受伤",
            "category": "casualty",
            "severity": "urgent",
            "people_injured": 1,
        },
    ).json()
    assert receipt["status"]["key"] == "activated"
    assert receipt["level"] == {"key": "I", "label": "I 特别重大", "colour": "red"}


def test_a_complaint_activates_the_plan(people, number):
    with clock("2026-03-02T10:00:00+08:00"):
        ordinary = register(people["clerk"], severity="ordinary", title="冰箱门封条脱落")
    path = f"complaints/{ordinary}/emergency"
    assert post(people["clerk"], path, {"level": "IV", "reason": "x"}).status_code == 403
    assert fields(post(people["leader"], path, {"level": "IV", "reason": ""})) == ["reason"]
    assert fields(post(people["leader"], path, {"level": "V", "reason": "x"})) == ["level"]
    opened = post(people["leader"], path, {"level": "IV", "reason": "客户称将联系媒体"})
    assert opened.status_code == 200
    body = opened.json()
    assert body["level"]["key"] == "IV" and body["visible"] is True and body["number"] != number
    raised = post(people["leader"], path, {"level": "II", "reason": "已有媒体来电"}).json()
    assert raised["number"] == body["number"] and raised["level"]["key"] == "II"
    assert post(people["mediator"], path, {"level": "II", "reason": "x"}).status_code == 404


def test_the_war_room_reads_a_fixed_number_of_queries(
    people, number, django_assert_max_num_queries
):
    leader = people["leader"]
    for n in range(3):
        post(leader, f"incidents/{number}/situations", {"text": f"第{n + 1}次报送"})
        post(leader, f"incidents/{number}/statements", {"text": f"声明{n + 1}"})
        post(leader, f"incidents/{number}/media", {"outlet": "都市报", "summary": "询问"})
    # Pinned, whatever the number of rows: the token and the caller's roles; the
    # incident, its responders, tasks, situation reports and the next one due, reports
    # upward, statements, media log, the linked complaints (the gate and the count).
    with django_assert_max_num_queries(12):
        assert leader.get(f"/api/v1/incidents/{number}").status_code == 200
    # The token, the roles, the count and the page.
    with django_assert_max_num_queries(4):
        assert leader.get("/api/v1/incidents").status_code == 200
