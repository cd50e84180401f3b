"""One writer: under a plan, an edit or PATCH of severity, nature or category is the
plan's classify action — the same stage, deadlines and messages — or is refused naming
it; a transfer is the plan's transfer action; confidentiality is its own action; a
closed case is read-only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tousu.complaints.models import Category, Complaint
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.models import Notification
from tousu.plans.engine import actions_available
from tousu.plans.models import Plan
from tousu.plans.services import TEMPLATE_KEYS
from tousu.plans.tests.scenario import api

pytestmark = pytest.mark.django_db


def _new(users, definition, category: str) -> Complaint:
    return complaint_register(
        actor=users["clerk"],
        channel=definition["channels"][0],
        title="电热水壶漏水",
        description="使用一周后底座漏水",
        category=category,
        severity=definition["severities"][0]["key"],
        nature=definition["natures"][0]["key"],
        complainant=ComplainantData(name="张伟", phone="13912345678", email="z@example.cn"),
    )


def _outcome(complaint: Complaint) -> tuple:
    complaint.refresh_from_db()
    code = complaint.access_code  # type: ignore[attr-defined]
    return (
        complaint.stage,
        complaint.status,
        complaint.severity,
        complaint.nature,
        complaint.category.key,
        complaint.confidential,
        sorted(
            Deadline.objects.filter(complaint=complaint, closed_at=None).values_list(
                "kind", "stage"
            )
        ),
        sorted(
            (
                n.recipient_id,
                n.channel,
                # Each complaint has its own number and private access code (receipt).
                n.body.replace(complaint.tracking_no, "NO").replace(code, "CODE"),
            )
            for n in Notification.objects.filter(complaint=complaint)
        ),
    )


def _classifier(users, complaint):
    for user in users.values():
        for action in actions_available(complaint=complaint, user=user):
            if action.type == "classify" and action.to in (None, complaint.stage):
                return user, action
    return users["clerk"], None


@pytest.mark.parametrize("template", TEMPLATE_KEYS)
def test_edit_and_patch_decide_what_the_classify_action_decides(template):
    users = demo_organisation_create(template)
    definition = Plan.objects.get(key=template).active_revision.definition
    categories = [c["key"] for c in definition["categories"]]
    first = categories[0]
    changes = [("severity", s["key"]) for s in definition["severities"][1:]]
    changes += [("nature", n["key"]) for n in definition["natures"][1:]]
    changes += [("category", key) for key in categories[1:]]
    checked = 0
    for name, value in changes:
        by_action, by_patch, by_edit = (_new(users, definition, first) for _ in range(3))
        actor, action = _classifier(users, by_action)
        client = api(actor)
        patched = client.patch(
            f"/api/v1/complaints/{by_patch.tracking_no}",
            json.dumps({"version": by_patch.version, name: value}),
            content_type="application/json",
        )
        page = Client()
        page.force_login(actor)
        form = {
            "version": by_edit.version,
            "title": by_edit.title,
            "description": by_edit.description,
            "category": by_edit.category.key,
            "severity": by_edit.severity,
            "nature": by_edit.nature,
            name: value,
        }
        edited = page.post(f"/complaints/{by_edit.tracking_no}/edit/", form)
        if action is None:
            stage = definition["stages"][by_patch.stage]
            assert patched.status_code == 409, (template, name, patched.content)
            assert stage["label"] in patched.json()["detail"]
            assert edited.status_code == 422
            assert _outcome(by_patch)[2:5] == _outcome(by_edit)[2:5]
            continue
        acted = client.post(
            f"/api/v1/complaints/{by_action.tracking_no}/actions/{action.key}",
            json.dumps({"version": by_action.version, name: value}),
            content_type="application/json",
        )
        if acted.status_code != 200:
            # The action itself refuses this (e.g. it requires a note): so do the others.
            assert patched.status_code == acted.status_code, (template, name, patched.content)
            continue
        assert patched.status_code == 200, (template, name, patched.content)
        assert edited.status_code == 302, (template, name, edited.content.decode()[-2000:])
        assert _outcome(by_patch) == _outcome(by_action) == _outcome(by_edit), (template, name)
        checked += 1
    assert checked or template in {"government", "service_incident"}


def test_a_severity_the_plan_does_not_have_is_refused_naming_the_field(db):
    users = demo_organisation_create("school")
    definition = Plan.objects.get(key="school").active_revision.definition
    complaint = _new(users, definition, "lesson_quality")
    response = api(users["clerk"]).patch(
        f"/api/v1/complaints/{complaint.tracking_no}",
        json.dumps({"version": complaint.version, "severity": "catastrophic"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["severity"]
    complaint.refresh_from_db()
    assert complaint.severity == "ordinary" and complaint.version == 1


def test_confidentiality_is_an_action_with_a_reason_not_a_field(db):
    users = demo_organisation_create("market")
    definition = Plan.objects.get(key="market").active_revision.definition
    complaint = _new(users, definition, "quality")
    url = f"/api/v1/complaints/{complaint.tracking_no}"
    # A department handler (or anyone) cannot hide it through PATCH.
    hidden = api(users["clerk"]).patch(
        url, json.dumps({"version": 1, "confidential": True}), content_type="application/json"
    )
    assert hidden.status_code == 422 and hidden.json()["errors"][0]["field"] == "confidential"
    refused = api(users["clerk"]).post(
        f"{url}/confidentiality",
        json.dumps({"version": 1, "confidential": True, "reason": "涉及商户账本"}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    leader = api(users["leader"])
    no_reason = leader.post(
        f"{url}/confidentiality",
        json.dumps({"version": 1, "confidential": True, "reason": "  "}),
        content_type="application/json",
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    done = leader.post(
        f"{url}/confidentiality",
        json.dumps({"version": 1, "confidential": True, "reason": "涉及商户账本"}),
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["confidential"] is True
    timeline = leader.get(f"{url}/timeline").json()
    assert timeline[-1]["action"] == "complaint.confidentiality"
    assert timeline[-1]["data"]["reason"] == "涉及商户账本"
    # The plan names who handles confidential cases: the office still sees it, the
    # quality department (which has no part yet) does not.
    assert api(users["clerk"]).get(url).status_code == 200
    assert api(users["handler"]).get(url).status_code == 404


def test_a_transfer_under_a_plan_without_one_here_is_refused_naming_the_stage(db):
    users = demo_organisation_create("market")
    definition = Plan.objects.get(key="market").active_revision.definition
    complaint = _new(users, definition, "quality")
    response = api(users["clerk"]).post(
        f"/api/v1/complaints/{complaint.tracking_no}/assignment",
        json.dumps({"version": 1, "department": "quality", "assignee": "handler", "note": "转"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "投诉受理" in response.json()["detail"]
    complaint.refresh_from_db()
    assert complaint.department.code == "office" and complaint.version == 1


def test_a_transfer_nobody_could_take_on_is_refused(db):
    users = demo_organisation_create("school")
    definition = Plan.objects.get(key="school").active_revision.definition
    complaint = _new(users, definition, "lesson_quality")
    reception, investigator = api(users["reception"]), api(users["investigator"])
    no = complaint.tracking_no
    version = reception.get(f"/api/v1/complaints/{no}").json()["version"]
    investigator.post(
        f"/api/v1/complaints/{no}/actions/slip_findings",
        json.dumps({"version": version, "findings": "考勤记录"}),
        content_type="application/json",
    )
    version = reception.get(f"/api/v1/complaints/{no}").json()["version"]
    # 财务部 has no one who coordinates campus complaints: nobody could take it on.
    response = reception.post(
        f"/api/v1/complaints/{no}/actions/transfer",
        json.dumps({"version": version, "department": "finance", "slip": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    assert {e["field"] for e in response.json()["errors"]} == {"department", "assignee"}


def test_a_closed_case_is_read_only_but_its_last_actor_still_sees_it(db):
    users = demo_organisation_create("school")
    definition = Plan.objects.get(key="school").active_revision.definition
    complaint = _new(users, definition, "lesson_quality")
    reception = api(users["reception"])
    no = complaint.tracking_no
    reply = reception.post(
        f"/api/v1/complaints/{no}/actions/answer_directly",
        json.dumps({"version": 1, "reply": "已当面解答"}),
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.content
    version = reply.json()["version"]
    rated = reception.post(
        f"/api/v1/complaints/{no}/actions/satisfaction",
        json.dumps({"version": version, "satisfaction": "satisfied"}),
        content_type="application/json",
    )
    assert rated.json()["status"] == "closed", rated.content
    version = rated.json()["version"]
    edit = reception.patch(
        f"/api/v1/complaints/{no}",
        json.dumps({"version": version, "title": "改标题"}),
        content_type="application/json",
    )
    assert edit.status_code == 409
    moved = reception.post(
        f"/api/v1/complaints/{no}/assignment",
        json.dumps({"version": version, "department": "teaching", "note": "转"}),
        content_type="application/json",
    )
    assert moved.status_code == 409
    assert reception.get(f"/api/v1/complaints/{no}").status_code == 200
    assert Category.objects.filter(key="lesson_quality").exists()


def test_the_enterprise_secret_nature_makes_a_complaint_confidential(db):
    users = demo_organisation_create("enterprise")
    definition = Plan.objects.get(key="enterprise").active_revision.definition
    secret = complaint_register(
        actor=users["clerk"],
        channel=definition["channels"][0],
        title="供应商报价单外泄",
        description="客服人员将我司报价单发给了竞争对手",
        category=definition["categories"][0]["key"],
        nature="confidential",
        complainant=ComplainantData(name="张伟", phone="13912345678"),
    )
    assert secret.confidential
    plain = _new(users, definition, definition["categories"][0]["key"])
    actor, action = _classifier(users, plain)
    response = api(actor).post(
        f"/api/v1/complaints/{plain.tracking_no}/actions/{action.key}",
        json.dumps({"version": plain.version, "nature": "confidential"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["confidential"] is True
    # The department that has no part in it no longer finds it.
    assert api(users["handler"]).get(f"/api/v1/complaints/{plain.tracking_no}").status_code == 404


def test_the_detail_page_follows_the_plan(db):
    """No transfer offered where the plan has none; no edit or assignment once closed."""
    users = demo_organisation_create("market")
    definition = Plan.objects.get(key="market").active_revision.definition
    complaint = _new(users, definition, "quality")
    page = Client()
    page.force_login(users["clerk"])
    html = page.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    form = html.split('name="department"')[1].split("</select>")[0]
    assert form.count("<option") == 1  # only its own department: no transfer at intake
    assert "可在本部门内分派" in html
