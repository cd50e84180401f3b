import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tousu.audit.models import AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.changes import (
    complainant_reveal,
    complaint_assign,
    complaint_update,
)
from tousu.complaints.choices import COMPLAINANT_VIEWED, EventAction, Status
from tousu.complaints.models import Complainant, Complaint
from tousu.complaints.selectors import complaint_timeline
from tousu.complaints.tests.factories import complainant, complaint_make
from tousu.core.problems import Conflict, InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def _nothing_written():
    return (Complaint.objects.count(), Complainant.objects.count(), AuditEvent.objects.count())


def test_register_gives_a_sortable_tracking_number_and_a_timeline(org):
    first = complaint_make(org.clerk)
    second = complaint_make(org.clerk)
    today = timezone.localdate()
    assert first.tracking_no == f"TS-{today:%Y%m%d}-000001"
    assert second.tracking_no == f"TS-{today:%Y%m%d}-000002"
    assert first.status == Status.REGISTERED
    assert first.department == org.office  # the clerk's department until assigned
    assert first.received_by == org.clerk
    events = list(complaint_timeline(first))
    assert [e.action for e in events] == [EventAction.REGISTERED]
    assert events[0].data["fields"]["category"] == "商品质量"
    assert audit_verify().ok


def test_tracking_number_uses_the_day_the_complaint_was_received(org):
    received = timezone.now() - timedelta(days=40)
    complaint = complaint_make(org.clerk, received_at=received)
    day = timezone.localdate(received)
    assert complaint.tracking_no == f"TS-{day:%Y%m%d}-000001"


def test_personal_data_is_encrypted_at_rest(org):
    complaint = complaint_make(org.clerk, complainant=complainant(id_number="11010519491231002X"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, id_number FROM complaints_complainant WHERE id = %s",
            [complaint.complainant_id],
        )
        row = cursor.fetchone()
    assert "13812345678" not in row[1] and "张伟" not in row[0]
    assert "11010519491231002X" not in row[2]
    assert Complainant.objects.get().phone == "13812345678"


def test_missing_required_fields_are_all_named_and_nothing_is_written(org):
    before = _nothing_written()
    with pytest.raises(InvalidInput) as caught:
        complaint_make(
            org.clerk, title="", description=" ", category="", complainant=complainant(name="")
        )
    assert {"title", "description", "category", "complainant.name"} <= set(
        caught.value.field_errors
    )
    assert _nothing_written() == before


def test_over_long_text_is_refused(org):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, description="长" * 100_000)
    assert "description" in caught.value.field_errors
    assert "当前 100000 个" in caught.value.field_errors["description"][0]
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "1381234567a"),
        ("id_number", "110105194912310021"),  # wrong check digit
        ("id_number", "11010519491331002X"),  # month 13
        ("email", "not-an-email"),
    ],
)
def test_malformed_contact_data_is_refused(org, field, value):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, complainant=complainant(**{field: value}))
    assert f"complainant.{field}" in caught.value.field_errors
    assert Complainant.objects.count() == 0


def test_a_contact_is_required(org):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, complainant=complainant(phone=""))
    assert "complainant.phone" in caught.value.field_errors


def test_phone_is_normalised(org):
    complaint = complaint_make(org.clerk, complainant=complainant(phone="+86 138 1234 5678"))
    assert complaint.complainant.phone == "13812345678"


def test_unknown_category_department_and_choice_are_refused(org):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(
            org.clerk, category="nope", department="nowhere", severity="apocalyptic", channel="fax"
        )
    assert {"category", "department", "severity", "channel"} <= set(caught.value.field_errors)
    assert Complaint.objects.count() == 0


def test_html_is_stored_as_given(org):
    text = '<script>alert("x")</script><b>坏</b>'
    complaint = complaint_make(org.clerk, title=text)
    assert Complaint.objects.get(pk=complaint.pk).title == text


def test_future_received_at_is_refused(org):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, received_at=timezone.now() + timedelta(days=1))
    assert "received_at" in caught.value.field_errors


def test_only_permitted_roles_register(org):
    with pytest.raises(NotAllowed):
        complaint_make(org.supervisor)
    assert Complaint.objects.count() == 0


def test_transfer_needs_a_note_and_moves_visibility(org):
    complaint = complaint_make(org.clerk)
    with pytest.raises(InvalidInput) as caught:
        complaint_assign(
            actor=org.clerk, complaint=complaint, version=complaint.version, department="quality"
        )
    assert "note" in caught.value.field_errors
    complaint = complaint_assign(
        actor=org.clerk,
        complaint=complaint,
        version=complaint.version,
        department="quality",
        assignee="handler",
        note="商品质量问题，转质量部",
    )
    assert complaint.department == org.quality and complaint.assignee == org.handler
    assert complaint.status == Status.ASSIGNED
    event = list(complaint_timeline(complaint))[-1]
    assert event.action == EventAction.TRANSFERRED
    assert event.data["changes"]["department"] == ["投诉处理办公室", "商品质量管理部"]
    assert event.data["note"] == "商品质量问题，转质量部"
    assert Complaint.objects.visible_to(org.handler).filter(pk=complaint.pk).exists()
    assert Complaint.objects.visible_to(org.food_handler).filter(pk=complaint.pk).exists() is False
    assert (
        not Complaint.objects.visible_to(org.after_sales_handler).filter(pk=complaint.pk).exists()
    )
    assert not Complaint.objects.visible_to(org.investigator).filter(pk=complaint.pk).exists()
    # The clerk keeps sight of what they received (first-contact responsibility).
    assert Complaint.objects.visible_to(org.clerk).filter(pk=complaint.pk).exists()


def test_assignee_must_work_in_the_target_department(org):
    complaint = complaint_make(org.clerk)
    with pytest.raises(InvalidInput) as caught:
        complaint_assign(
            actor=org.clerk,
            complaint=complaint,
            version=complaint.version,
            department="quality",
            assignee="as_handler",
            note="转交",
        )
    assert "assignee" in caught.value.field_errors


def test_head_of_a_department_sees_its_subdepartments(org):
    complaint = complaint_make(org.clerk)
    complaint_assign(
        actor=org.clerk, complaint=complaint, version=1, department="food", note="食品问题"
    )
    assert Complaint.objects.visible_to(org.head).filter(pk=complaint.pk).exists()
    assert Complaint.objects.visible_to(org.food_handler).filter(pk=complaint.pk).exists()


def test_confidential_complaints_are_for_leadership_only(org):
    complaint = complaint_make(org.clerk, confidential=True)
    assert Complaint.objects.visible_to(org.leader).filter(pk=complaint.pk).exists()
    for user in (org.clerk, org.supervisor, org.admin, org.investigator):
        assert not Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()


def test_all_seeing_roles_see_every_department(org):
    complaint = complaint_make(org.clerk)
    complaint_assign(
        actor=org.clerk, complaint=complaint, version=1, department="after_sales", note="售后"
    )
    for user in (org.leader, org.supervisor, org.admin):
        assert Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()


def test_stale_version_is_a_conflict_and_loses_nothing(org):
    complaint = complaint_make(org.clerk)
    first_copy = Complaint.objects.get(pk=complaint.pk)
    second_copy = Complaint.objects.get(pk=complaint.pk)
    complaint_update(
        actor=org.clerk, complaint=first_copy, version=first_copy.version, title="标题一"
    )
    with pytest.raises(Conflict):
        complaint_update(
            actor=org.investigator,
            complaint=second_copy,
            version=second_copy.version,
            severity="major",
        )
    saved = Complaint.objects.get(pk=complaint.pk)
    assert saved.title == "标题一" and saved.severity == "ordinary" and saved.version == 2


def test_update_records_before_and_after(org):
    complaint = complaint_make(org.clerk)
    complaint_update(
        actor=org.clerk, complaint=complaint, version=1, severity="major", category="price"
    )
    event = list(complaint_timeline(complaint))[-1]
    assert event.action == EventAction.UPDATED
    assert event.data["changes"] == {
        "severity": ["ordinary", "major"],
        "category": ["商品质量", "价格欺诈"],
    }


def test_update_refuses_fields_it_does_not_own(org):
    complaint = complaint_make(org.clerk)
    with pytest.raises(InvalidInput) as caught:
        complaint_update(actor=org.clerk, complaint=complaint, version=1, status="closed")
    assert "status" in caught.value.field_errors


def test_revealing_personal_data_is_logged_and_permissioned(org):
    complaint = complaint_make(org.clerk)
    person = complainant_reveal(actor=org.clerk, complaint=complaint, purpose="回电")
    assert person.phone == "13812345678"
    event = AuditEvent.objects.filter(action=COMPLAINANT_VIEWED).get()
    assert event.actor == org.clerk and event.complaint == complaint
    assert COMPLAINANT_VIEWED not in [e.action for e in complaint_timeline(complaint)]
    with pytest.raises(NotAllowed):
        complainant_reveal(actor=org.supervisor, complaint=complaint)


def test_personal_data_never_reaches_the_audit_log(org):
    complaint = complaint_make(org.clerk, complainant=complainant(id_number="11010519491231002X"))
    complaint_assign(
        actor=org.clerk, complaint=complaint, version=1, department="quality", note="转交"
    )
    complainant_reveal(actor=org.clerk, complaint=complaint)
    dump = " ".join(str(e.data) for e in AuditEvent.objects.all())
    assert "13812345678" not in dump and "张伟" not in dump and "11010519491231002X" not in dump
    assert re.search(
        r"TS-\d{8}-\d{6}", " ".join(AuditEvent.objects.values_list("object_id", flat=True))
    )
