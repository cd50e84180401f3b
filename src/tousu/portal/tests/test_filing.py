"""Filing a complaint on the public portal: the number, the code shown once, the receipt."""

import pytest

from tousu.complaints.models import Complaint
from tousu.notifications.models import Notification
from tousu.portal.tests.helpers import file_one, form_data, jpeg, receipt

pytestmark = pytest.mark.django_db


def test_a_complaint_filed_with_a_photo_gets_a_number_and_a_code(market, client):
    response = client.post("/portal/", {**form_data(client), "attachments": [jpeg()]}, follow=True)
    assert response.status_code == 200
    number, code = receipt(response)
    complaint = Complaint.objects.get(tracking_no=number)
    assert complaint.channel == "web"
    assert complaint.received_by is None
    assert complaint.description.endswith("诉求：退货退款")
    assert complaint.attachments.count() == 1
    assert len(code) == 8
    # Shown once: the result page again does not show it.
    again = client.get("/portal/done/")
    assert code not in again.content.decode()
    # The tracking page is open in this browser.
    page = client.get(f"/portal/track/{number}/")
    assert "投诉受理" in page.content.decode()


def test_the_receipt_in_the_outbox_carries_a_link_that_opens_the_complaint(market, client):
    import re

    number, code = file_one(client, email="zhangwei@example.com")
    receipt_message = Notification.objects.get(
        complaint__tracking_no=number, key__contains=":received:", channel="email"
    )
    assert receipt_message.address == "zhangwei@example.com"
    assert code in receipt_message.body
    (link,) = re.findall(r"https?://\S+/portal/track/\S+", receipt_message.body)
    path = "/" + link.split("/", 3)[3]
    stranger = type(client)()
    opened = stranger.get(path, follow=True)
    assert opened.status_code == 200
    assert f'id="case-no">{number}<' in opened.content.decode()


def test_the_registration_records_the_privacy_notice_accepted(market, client):
    from tousu.audit.models import AuditEvent

    number, _code = file_one(client)
    event = AuditEvent.objects.get(complaint__tracking_no=number, action="complaint.registered")
    assert event.data["consent"].startswith("privacy_notice:")
