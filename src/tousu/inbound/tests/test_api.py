"""What a source sends and gets back: field errors named as in the body, the state of its
own complaints (and of no others), material added for the complainant."""

import base64
import time

import pytest

from tousu.complaints.models import Complaint
from tousu.complaints.tests.factories import complaint_make
from tousu.inbound.sources import inbound_source_add
from tousu.inbound.tests.partner import BODY, Partner
from tousu.plans.tests.scenario import api, label_line, step

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def fields(response) -> list[str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def later(seconds: int = 1) -> int:
    return int(time.time()) + seconds


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"category": "no_such_category"}, ["category"]),
        ({"title": ""}, ["title"]),
        ({"complainant": {"name": "王芳"}}, ["complainant.phone"]),
        ({"complainant": {"name": "王芳", "phone": "12"}}, ["complainant.phone"]),
        ({"complainant": {"phone": "13912345678"}}, ["complainant.name"]),
        ({"received_at": "2099-01-01T08:00:00+08:00"}, ["received_at"]),
        ({"occurred_at": "not a time"}, ["occurred_at"]),
        ({"amount_involved": -5}, ["amount_involved"]),
        ({"titel": "typo"}, ["titel"]),
        (
            {"attachments": [{"name": "a.jpg", "content_base64": "%%%"}]},
            ["attachments.0.content_base64"],
        ),
        (
            {"attachments": [{"name": "a.jpg", "content_base64": "TVqQAAMAAAAEAAAA"}]},
            ["attachments.0"],
        ),
    ],
)
def test_a_bad_field_is_named(partner, change, named):
    response = partner.deliver({**BODY, **change})
    assert fields(response) == named
    assert not Complaint.objects.exists()


def test_a_body_that_is_not_a_json_object_is_named(partner):
    for body in (b"{not json", b"[1, 2]"):
        response = partner.deliver(body, timestamp=later())
        assert response.status_code == 400, response.content
        assert [e["field"] for e in response.json()["errors"]] == ["body"]


def test_the_complaint_comes_in_with_its_attachment_through_the_sources_channel(partner):
    body = {
        **BODY,
        "received_at": "2026-09-30T16:00:00+08:00",
        "attachments": [{"name": "现场.jpg", "content_base64": base64.b64encode(JPEG).decode()}],
    }
    response = partner.deliver(body)
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get()
    assert complaint.channel == "api"
    assert complaint.received_at.isoformat() == "2026-09-30T08:00:00+00:00"
    assert [a.original_name for a in complaint.attachments.all()] == ["现场.jpg"]
    assert response.json()["received_at"] == "2026-09-30T16:00:00+08:00"


def test_a_channel_the_plan_does_not_take_is_refused_when_the_source_is_added(people):
    from tousu.core.problems import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        inbound_source_add(actor=None, key="wechat", name="公众号", channel="chat")
    assert list(refused.value.field_errors) == ["channel"]


def test_a_source_reads_the_state_of_its_own_complaint(partner):
    answer = partner.deliver().json()
    response = partner.get(answer["tracking_no"])
    assert response.status_code == 200, response.content
    state = response.json()
    assert state["tracking_no"] == answer["tracking_no"]
    assert state["external_id"] == BODY["external_id"]
    assert (state["status"], state["stage"]) == ("registered", "报告与接收")
    assert state["reply"] == "" and state["replied_at"] is None
    assert [(s["action"], s["by"]) for s in state["process"]] == [("登记", "system")]


def test_a_source_finds_no_complaint_it_did_not_deliver(people, partner):
    by_phone = complaint_make(people["clerk"], category="urban_management")
    other_source, secret = inbound_source_add(
        actor=None, key="platform-12315", name="12315", channel="api"
    )
    other = Partner(other_source.key, secret)
    theirs = other.deliver().json()["tracking_no"]
    answers = []
    for n, no in enumerate((by_phone.tracking_no, theirs, "TS-20260101-999999")):
        response = partner.get(no)
        assert response.status_code == 404, response.content
        answers.append(response.json()["detail"].replace(no, "…"))
        material = partner.post(
            f"complaints/{no}/material",
            {"material": "补充"},
            idempotency_key=f"m{n}",
            timestamp=later(n),
        )
        assert material.status_code == 404
    # The same answer whoever brought the complaint in, and for none at all.
    assert len(set(answers)) == 1


def test_material_from_the_complainant_is_added_once(people, partner):
    no = partner.deliver().json()["tracking_no"]
    body = {
        "material": "补充：附上摊贩占道的照片",
        "attachments": [{"name": "照片.jpg", "content_base64": base64.b64encode(JPEG).decode()}],
    }
    first = partner.post(f"complaints/{no}/material", body, idempotency_key="m-1")
    assert first.status_code == 201, first.content
    assert first.json()["tracking_no"] == no and first.json()["access_code"] is None
    again = partner.post(
        f"complaints/{no}/material", body, idempotency_key="m-1", timestamp=later()
    )
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    complaint = Complaint.objects.get(tracking_no=no)
    assert [a.original_name for a in complaint.attachments.all()] == ["照片.jpg"]
    # On the staff's timeline: the complainant added it, once.
    assert label_line(api(people["clerk"]), no).count("补充材料") == 1
    steps = partner.get(no, timestamp=later(2)).json()["process"]
    assert steps[-1]["by"] == "complainant"


def test_a_material_key_is_not_a_complaint_key(partner):
    no = partner.deliver(idempotency_key="k").json()["tracking_no"]
    response = partner.post(f"complaints/{no}/material", {"material": "x"}, idempotency_key="k")
    assert fields(response) == ["Idempotency-Key"]


def test_material_for_a_closed_complaint_is_refused_by_the_plan(people, partner):
    no = partner.deliver().json()["tracking_no"]
    step(api(people["clerk"]), no, "redirect", "closed", reason="属于110紧急警情，请拨打110")
    response = partner.post(f"complaints/{no}/material", {"material": "补充"}, idempotency_key="m")
    assert response.status_code == 409, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["action"]
