"""When staff reply to or close a complaint a source delivered, the source's callback
address gets one JSON document per event — the handling time, the process, the method
and the result — delivered by the worker to a real HTTP server on loopback."""

import json
import time

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.inbound.signatures import signature_of
from tousu.inbound.sources import inbound_source_add
from tousu.inbound.tests.partner import CallbackServer, Partner
from tousu.notifications.models import Notification
from tousu.plans.choices import Measure
from tousu.plans.tests.scenario import api, step, worker

pytestmark = pytest.mark.django_db
REPLY = "已清理占道摊贩，并在校门两侧设置护栏。"
SLIP = {"department": "urban", "assignee": "handler", "slip": "派单：请区城管局现场处置并反馈"}


@pytest.fixture
def callbacks(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with CallbackServer() as server:
        yield server


@pytest.fixture
def hotline(people, callbacks) -> Partner:
    source, secret = inbound_source_add(
        actor=None,
        key="hotline-12345",
        name="12345 政务服务便民热线",
        channel="api",
        callback_url=callbacks.url("/tousu-callback"),
    )
    return Partner(source.key, secret)


def reply_through_the_plan(people, no: str) -> None:
    """The district's staff work the complaint to the reply, through the engine."""
    clerk, investigator, handler = (api(people[n]) for n in ("clerk", "investigator", "handler"))
    step(clerk, no, "accept", "response")
    step(clerk, no, "dispatch", "on_site", **SLIP)
    step(investigator, no, "survey", "on_site", findings="现场有12个摊位占道")
    step(investigator, no, "propose", "implementation", opinion="劝离并设置护栏")
    step(handler, no, "execute", "feedback", measure="rectify", result="已劝离并设置护栏")
    step(handler, no, "reply", "aftercare", reply=REPLY)


def document(received) -> dict:
    """The callback document as the source reads it from the request."""
    return json.loads(received.body)


def deliver_now() -> None:
    worker(timezone.now().isoformat())


def test_the_reply_reaches_the_source_with_the_documented_json(people, hotline, callbacks):
    answer = hotline.deliver().json()
    no = answer["tracking_no"]
    reply_through_the_plan(people, no)
    deliver_now()
    [received] = callbacks.received
    assert received.path == "/tousu-callback"
    sent = document(received)
    assert (sent["event"], sent["source"]) == ("replied", "hotline-12345")
    assert sent["tracking_no"] == no and sent["external_id"] == "12345-20260930-0001"
    assert (sent["status"], sent["stage"]) == ("replied", "后续处置")
    handling = sent["handling_time"]
    assert handling["received_at"] == answer["received_at"]
    assert handling["replied_at"] >= handling["received_at"] and handling["closed_at"] is None
    assert handling["hours"] >= 0 and handling["working_days"] >= 0
    # The steps the complainant sees on the portal: the internal ones (the survey, the
    # proposal, carrying it out) only as the stage they entered, or not at all.
    plan = Complaint.objects.get(tracking_no=no).plan
    with override("zh-hans"):
        entered = [
            gettext("Stage changed: %(stage)s") % {"stage": plan.stage(key).label}
            for key in ("implementation", "feedback")
        ]
    steps = [s["action"] for s in sent["process"]]
    assert steps == ["登记", "受理并启动应急响应", "派单至现场处置组", *entered, "答复投诉人"]
    for internal_step in ("现场勘查取证", "提出解决方案", "落实解决方案"):
        assert internal_step not in received.body.decode()
    assert {s["by"] for s in sent["process"]} == {"system", "staff"}
    with override("zh-hans"):
        assert sent["method"] == [str(Measure.RECTIFY.label)]
    assert sent["result"] == REPLY and sent["satisfaction"] is None
    # No staff name and no internal note leaves Tousu.
    text = received.body.decode()
    for user in User.objects.all():
        assert user.display_name not in text and user.username not in text
    for internal in ("现场有12个摊位占道", "劝离并设置护栏", "派单：请区城管局"):
        assert internal not in text


def test_the_callback_is_signed_with_the_sources_secret(people, hotline, callbacks):
    no = hotline.deliver().json()["tracking_no"]
    reply_through_the_plan(people, no)
    deliver_now()
    [received] = callbacks.received
    stamp = received.headers["X-Tousu-Timestamp"]
    assert abs(int(stamp) - time.time()) < 300
    expected = signature_of(hotline.secret, stamp, received.body)
    assert received.headers["X-Tousu-Signature"] == f"sha256={expected}"
    assert json.loads(received.body)["event"] == "replied"


def test_each_event_is_told_once(people, hotline, callbacks):
    no = hotline.deliver().json()["tracking_no"]
    reply_through_the_plan(people, no)
    leader, supervisor, clerk = (api(people[n]) for n in ("leader", "supervisor", "clerk"))
    # Another action in the replied stage is no new event.
    step(leader, no, "evaluation", "aftercare", report="联合执法常态化")
    step(supervisor, no, "close", "closed")
    deliver_now()
    assert [document(r)["event"] for r in callbacks.received] == ["replied", "closed"]
    closed = document(callbacks.received[1])
    assert closed["handling_time"]["closed_at"] >= closed["handling_time"]["replied_at"]
    assert closed["result"] == REPLY
    # The follow-up visit's rating, after closing, is told with the closing again.
    step(clerk, no, "follow_up", "closed", reached=True, satisfaction="satisfied")
    deliver_now()
    rated = document(callbacks.received[-1])
    assert (rated["event"], rated["satisfaction"]["key"]) == ("closed", "satisfied")
    assert len(callbacks.received) == 3
    assert Notification.objects.filter(key__startswith="inbound:").count() == 3


def test_no_callback_without_an_address_or_for_other_doors(people, partner, callbacks):
    no = partner.deliver().json()["tracking_no"]  # a source without a callback address
    reply_through_the_plan(people, no)
    deliver_now()
    assert callbacks.received == []
    assert not Notification.objects.filter(key__startswith="inbound:").exists()


def test_a_refusal_is_told_as_closed_with_its_reason(people, hotline, callbacks):
    no = hotline.deliver().json()["tracking_no"]
    reason = "属于110紧急警情，请拨打110"
    step(api(people["clerk"]), no, "redirect", "closed", reason=reason)
    deliver_now()
    [received] = callbacks.received
    sent = document(received)
    assert (sent["event"], sent["status"], sent["result"]) == ("closed", "closed", reason)
    assert sent["handling_time"]["replied_at"] is None
    assert sent["handling_time"]["closed_at"] is not None and sent["method"] == []
