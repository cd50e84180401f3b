"""Complaints that come in through a door (portal, email, api) and the complainant acting
on their own case through the engine: access code, receipt link, material, satisfaction,
appeal window, withdrawal."""

import io

import pytest

from tousu.audit.models import AuditEvent
from tousu.complaints.access import access_code_matches
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.evidence import material_add
from tousu.complaints.models import Complaint
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import INBOUND, PORTAL, ComplainantActor
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.deadlines.models import Deadline
from tousu.notifications.models import Notification
from tousu.plans.engine import actions_available
from tousu.plans.tests.scenario import clients, clock, registrar, step

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def _file(name: str, data: bytes) -> AttachmentUpload:
    return AttachmentUpload.from_file(name, io.BytesIO(data))


def _portal(**more) -> Complaint:
    fields = {
        "actor": PORTAL,
        "channel": "web",
        "title": "电热水壶漏水",
        "description": "购买一周后底座漏水，商家拒绝调换。",
        "category": "quality",
        "complainant": ComplainantData(name="张伟", phone="13912345678", email="zw@example.cn"),
        **more,
    }
    return complaint_register(**fields)


@pytest.fixture
def people():
    return clients("market")


def _me(complaint: Complaint) -> ComplainantActor:
    return ComplainantActor(complainant_id=complaint.complainant_id)


def _to_reply(people, no: str) -> None:
    step(people["clerk"], no, "accept", "investigation")
    step(people["investigator"], no, "propose", "approval", opinion="商家退货退款")
    step(people["leader"], no, "approve", "execution")
    step(
        people["clerk"],
        no,
        "transfer",
        "execution",
        department="quality",
        slip="投诉接收单",
        assignee="handler",
    )
    step(
        people["handler"],
        no,
        "execute",
        "feedback",
        measure="refund",
        amount="299",
        result="已退款",
    )
    step(people["clerk"], no, "reply", "confirmation", reply="商家已为您退款299元。")


def test_a_portal_complaint_has_no_staff_first_contact_and_starts_at_the_intake_office(people):
    complaint = _portal()
    assert complaint.received_by is None
    # The market's first stage is the clerk's, in the complaint office.
    assert complaint.department.code == "office"
    assert complaint.stage == "intake"
    # The clerk has it to act on: it is theirs, not nobody's.
    from tousu.plans.tests.scenario import keys

    assert "accept" in keys(people["clerk"], complaint.tracking_no)
    registered = AuditEvent.objects.get(complaint=complaint, action="complaint.registered")
    assert registered.data.get("by") == "complainant"


def test_the_access_code_opens_only_its_own_complaint_and_is_not_stored(people):
    one, two = _portal(), _portal(title="另一件")
    code = one.access_code
    assert len(code) == 8
    stored = Complaint.objects.get(pk=one.pk)
    assert access_code_matches(stored, code)
    assert access_code_matches(stored, code.lower())  # typed in lower case
    assert not access_code_matches(Complaint.objects.get(pk=two.pk), code)
    assert not access_code_matches(stored, "")
    assert code not in stored.access_digest


def test_the_receipt_links_to_the_tracking_page_not_the_staff_login(people):
    complaint = _portal()
    receipt = Notification.objects.get(complaint=complaint, key__contains=":received:")
    assert f"/portal/track/{complaint.tracking_no}/?code={complaint.access_code}" in receipt.body
    assert f"/complaints/{complaint.tracking_no}/" not in receipt.body
    assert complaint.access_code in receipt.body


def test_no_code_is_kept_in_clear_or_shown_in_a_subject(people):
    from django.db import connection

    complaint = _portal()
    receipt = Notification.objects.get(complaint=complaint, key__contains=":received:")
    assert complaint.access_code not in receipt.subject
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM notifications_notification WHERE id = %s", [receipt.pk])
        stored = cursor.fetchone()[0]
    assert complaint.access_code not in stored and "查询" not in stored


def test_a_channel_the_plan_does_not_accept_is_refused_by_name(people):
    with pytest.raises(InvalidInput) as refused:
        _portal(channel="chat")  # the market takes no online chat
    assert "channel" in refused.value.field_errors


def test_the_complainant_adds_material_with_a_photo_through_the_engine(people):
    complaint = _portal()
    me = _me(complaint)
    offered = [a.key for a in actions_available(complaint=complaint, user=me)]
    assert offered == ["add_material", "withdraw"]
    material_add(
        complaint=complaint,
        actor=me,
        material="补充购买发票照片",
        uploads=[_file("发票.jpg", JPEG)],
    )
    complaint.refresh_from_db()
    assert complaint.attachments.get().original_name == "发票.jpg"
    event = AuditEvent.objects.filter(complaint=complaint, action="complaint.action").last()
    assert event.data["label"] == "补充材料" and event.data["material"] == "补充购买发票照片"


def test_material_with_a_renamed_executable_writes_nothing(people):
    complaint = _portal()
    before = complaint.version
    with pytest.raises(InvalidInput) as refused:
        material_add(
            complaint=complaint,
            actor=_me(complaint),
            material="照片",
            uploads=[_file("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100)],
        )
    assert "attachments.0" in refused.value.field_errors
    complaint.refresh_from_db()
    assert complaint.version == before and not complaint.attachments.exists()


def test_another_complainant_may_not_act_on_the_case(people):
    complaint = _portal()
    stranger = ComplainantActor(complainant_id=complaint.complainant_id + 999)
    with pytest.raises(NotAllowed):
        material_add(complaint=complaint, actor=stranger, material="x")


def test_rating_before_any_reply_is_refused_then_dissatisfied_goes_to_the_clerk(people):
    complaint = _portal()
    no = complaint.tracking_no
    with pytest.raises(Conflict):
        complaint_act(
            complaint=complaint,
            actor=_me(complaint),
            action="satisfaction",
            version=complaint.version,
            data={"satisfaction": "dissatisfied"},
        )
    _to_reply(people, no)
    complaint.refresh_from_db()
    complaint_act(
        complaint=complaint,
        actor=_me(complaint),
        action="satisfaction",
        version=complaint.version,
        data={"satisfaction": "dissatisfied", "note": "退款金额不对"},
    )
    complaint.refresh_from_db()
    assert complaint.stage == "dissatisfied"
    # The clerk now has it to act on (appeal or close), and it is on their 我的待办.
    from tousu.plans.tests.scenario import keys

    assert set(keys(people["clerk"], no)) >= {"appeal", "close_without_appeal"}
    timeline = AuditEvent.objects.filter(complaint=complaint, action="complaint.action").last()
    assert timeline.data["satisfaction"] == "dissatisfied"


_petition = registrar(
    {
        "channel": "walk_in",
        "title": "信访事项",
        "description": "来访反映的问题，接待员如实记录。",
        "severity": "ordinary",
        "department": "office",
        "complainant": {"name": "张卫东", "phone": "13912345678"},
    }
)


def _petition_replied(moment: str) -> Complaint:
    """A petition registered and answered in writing at ``moment`` (信访处理意见书)."""
    p = clients("petition")
    with clock(moment):
        no = _petition(p["clerk"], category="claim")
        step(p["clerk"], no, "accept", "routing")
        step(p["recorder"], no, "forward", "unit_acceptance", department="hrss", slip="移交hrss")
        step(p["head"], no, "sign_for", "handling", assignee="handler")
        step(p["handler"], no, "propose_opinion", "approval", opinion="支持：责令限期支付工资")
        step(p["head"], no, "approve", "answer")
        step(p["handler"], no, "issue_opinion", "evaluation", reply="已责令公司十日内支付。")
    return Complaint.objects.get(tracking_no=no)


def test_the_complainant_asks_for_review_within_30_days_of_the_reply_not_after():
    complaint = _petition_replied("2026-03-02T10:00:00+08:00")
    me = _me(complaint)
    assert {a.key for a in actions_available(complaint=complaint, user=me)} >= {
        "rate",
        "request_review",
    }
    with clock("2026-04-10T10:00:00+08:00"), pytest.raises(Conflict) as late:
        complaint_act(
            complaint=complaint,
            actor=me,
            action="request_review",
            version=complaint.version,
            data={"reason": "补发金额计算有误"},
        )
    assert "reason" in late.value.field_errors
    complaint.refresh_from_db()
    assert complaint.stage == "evaluation"
    with clock("2026-03-20T10:00:00+08:00"):
        complaint_act(
            complaint=complaint,
            actor=me,
            action="request_review",
            version=complaint.version,
            data={"reason": "补发金额计算有误"},
        )
    complaint.refresh_from_db()
    assert complaint.stage == "review"


def test_withdrawal_closes_the_case_stops_its_clocks_and_tells_the_complainant(people):
    complaint = _portal()
    assert Deadline.objects.filter(complaint=complaint, closed_at=None).exists()
    complaint_act(
        complaint=complaint,
        actor=_me(complaint),
        action="withdraw",
        version=complaint.version,
        data={"reason": "已与商家协商解决"},
    )
    complaint.refresh_from_db()
    assert complaint.stage == "closed"
    assert not Deadline.objects.filter(complaint=complaint, closed_at=None).exists()
    assert Notification.objects.filter(complaint=complaint, key__contains=":closed:").exists()
    assert actions_available(complaint=complaint, user=_me(complaint)) == []


def test_an_api_door_registration_is_by_the_api_not_a_person(people):
    complaint = _portal(actor=INBOUND, channel="web")
    registered = AuditEvent.objects.get(complaint=complaint, action="complaint.registered")
    assert registered.actor_id is None
    assert complaint.received_by is None


def test_staff_read_the_material_the_complainant_added(people):
    from django.test import Client

    from tousu.accounts.models import User

    complaint = _portal()
    material_add(
        complaint=complaint,
        actor=_me(complaint),
        material="补充材料XYZ123：商家承诺三天内退款",
        uploads=[_file("收据.jpg", JPEG)],
    )
    page = Client()
    page.force_login(User.objects.get(username="clerk"))
    html = page.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert "补充材料XYZ123：商家承诺三天内退款" in html and "收据.jpg" in html
