"""``mail_receive``: a mail becomes a complaint or material on one, once; automatic
mail is left unanswered; mail too large or unusable is refused."""

import pytest

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import ComplainantActor
from tousu.mailin.choices import Door, MailOutcome
from tousu.mailin.config import mail_settings
from tousu.mailin.models import ReceivedMail
from tousu.mailin.services import mail_receive
from tousu.mailin.tests.mails import (
    EXE,
    JPEG,
    SENDER,
    encoded_word,
    gbk_mail,
    raw_mail,
    rfc2231,
)
from tousu.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _receipts(address=SENDER):
    return [n for n in Notification.objects.filter(channel="email") if n.address == address]


def test_a_gbk_mail_becomes_a_complaint_with_its_photo_and_the_sender_gets_a_receipt(market):
    raw = gbk_mail(
        attachments=[
            (rfc2231("小票.jpg", "gbk"), JPEG, "image/jpeg"),
            ('filename="照片.jpg"', EXE, "image/jpeg"),  # an executable renamed .jpg
        ]
    )
    outcome = mail_receive(raw)
    assert outcome.outcome == MailOutcome.CREATED
    complaint = Complaint.objects.get(tracking_no=outcome.tracking_no)
    assert complaint.channel == "email" and complaint.received_by is None
    assert complaint.title == "投诉：超市卖过期牛奶"
    assert complaint.description.startswith("我在超市买的牛奶已经过期三天了，要求退款。")
    assert "照片.jpg" in complaint.description  # noted as not attached, with why
    assert [a.original_name for a in complaint.attachments.all()] == ["小票.jpg"]
    assert complaint.complainant.name == "张伟" and complaint.complainant.email == SENDER
    (receipt,) = _receipts()
    assert complaint.tracking_no in receipt.subject and complaint.tracking_no in receipt.body
    row = ReceivedMail.objects.get()
    assert (row.outcome, row.complaint, row.door) == ("created", complaint, Door.SMTP)


def test_the_same_mail_twice_makes_one_complaint(market):
    raw = gbk_mail()
    first, again = mail_receive(raw), mail_receive(raw)
    assert again.duplicate and again.tracking_no == first.tracking_no
    assert Complaint.objects.count() == 1 and len(_receipts()) == 1


def test_a_reply_from_the_complainant_adds_material_to_the_case(market):
    no = mail_receive(gbk_mail()).tracking_no
    reply = raw_mail(
        subject=encoded_word(f"回复：[{no}] 您的投诉已受理", "gbk"),
        sender=f"Zhang Wei <{SENDER.upper()}>",  # the address in another case
        body="补充：购物小票见附件。".encode("gbk"),
        charset="gbk",
        attachments=[('filename="receipt.jpg"', JPEG, "image/jpeg")],
    )
    outcome = mail_receive(reply)
    assert (outcome.outcome, outcome.tracking_no) == (MailOutcome.ADDED, no)
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get(tracking_no=no)
    event = AuditEvent.objects.filter(complaint=complaint, action="complaint.action").last()
    assert event.data["material"] == "补充：购物小票见附件。"
    assert event.data["by"] == "complainant"
    assert [a.original_name for a in complaint.attachments.all()] == ["receipt.jpg"]
    notices = [n for n in _receipts() if n.key.startswith("mailin:")]
    assert len(notices) == 1 and no in notices[0].subject


def test_a_tracking_number_from_a_stranger_makes_a_new_complaint(market):
    no = mail_receive(gbk_mail()).tracking_no
    stranger = raw_mail(
        subject=f"Re: [{no}] hello",
        sender="someone@elsewhere.example.com",
        body="我也有同样的问题。".encode(),
    )
    outcome = mail_receive(stranger)
    assert outcome.outcome == MailOutcome.CREATED and outcome.tracking_no != no
    original = Complaint.objects.get(tracking_no=no)
    assert not AuditEvent.objects.filter(complaint=original, action="complaint.action").exists()
    assert Complaint.objects.get(tracking_no=outcome.tracking_no).complainant.name == "someone"


def test_material_for_a_closed_case_becomes_a_new_complaint_that_says_so(market):
    no = mail_receive(gbk_mail()).tracking_no
    complaint = Complaint.objects.get(tracking_no=no)
    complaint_act(
        complaint=complaint,
        actor=ComplainantActor(complainant_id=complaint.complainant_id),
        action="withdraw",
        version=complaint.version,
        data={"reason": "已自行解决"},
    )
    outcome = mail_receive(raw_mail(subject=f"Re: [{no}]", body="又坏了".encode()))
    assert outcome.outcome == MailOutcome.CREATED
    assert no in Complaint.objects.get(tracking_no=outcome.tracking_no).description


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Return-Path": "<>"},
        {"X-Tousu-Key": "complaint:1:v1:received:complainant:email"},
        {"Precedence": "bulk"},
    ],
)
def test_automatic_mail_is_recorded_and_not_answered(market, headers):
    outcome = mail_receive(gbk_mail(headers=headers))
    assert outcome.outcome == MailOutcome.IGNORED
    assert not Complaint.objects.exists() and not Notification.objects.exists()
    assert ReceivedMail.objects.get().outcome == "ignored"


def test_our_own_receipt_coming_back_is_a_loop(market, mailoutbox, settings):
    """The receipt as Tousu sends it, delivered back to the complaint mailbox."""
    from tousu.notifications.services import outbox_deliver

    mail_receive(gbk_mail())
    outbox_deliver()
    (sent,) = mailoutbox
    outcome = mail_receive(sent.message().as_bytes())
    assert (outcome.outcome, outcome.reason) == (MailOutcome.IGNORED, "loop")
    assert Complaint.objects.count() == 1


def test_an_oversized_mail_from_the_mailbox_is_refused_and_the_sender_told_once(market):
    config = mail_settings()
    raw = gbk_mail(attachments=[('filename="big.jpg"', JPEG, "image/jpeg")])
    header = raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    for _ in range(2):  # fetched twice: told once
        outcome = mail_receive(header, door=Door.IMAP, size=config.max_bytes + 1)
        assert outcome.outcome == MailOutcome.REFUSED_SIZE
    assert not Complaint.objects.exists()
    (notice,) = _receipts()
    assert "25.0" in notice.body and "MB" in notice.body


def test_an_oversized_mail_over_smtp_is_answered_by_the_reply_code_only(market):
    config = mail_settings()
    outcome = mail_receive(gbk_mail(), size=config.max_bytes + 1)
    assert outcome.outcome == MailOutcome.REFUSED_SIZE
    assert not Notification.objects.exists()


def test_an_oversized_auto_reply_is_not_answered_at_all(market):
    raw = gbk_mail(headers={"Auto-Submitted": "auto-replied"})
    outcome = mail_receive(raw, door=Door.IMAP, size=10**9)
    assert outcome.outcome == MailOutcome.IGNORED and not Notification.objects.exists()


def test_an_unknown_charset_is_read_and_noted_for_the_staff(market):
    outcome = mail_receive(gbk_mail(charset="x-unknown"))
    complaint = Complaint.objects.get(tracking_no=outcome.tracking_no)
    assert complaint.description.startswith("我在超市买的牛奶已经过期三天了")
    assert "x-unknown" in complaint.description
    assert ReceivedMail.objects.get().problems == ["unknown-charset:x-unknown"]


def test_a_malformed_mail_is_recovered(market):
    raw = (
        f"From: {SENDER}\r\nSubject: broken\r\nMessage-ID: <b@x>\r\n"
        'Content-Type: multipart/mixed; boundary="never-used"\r\n\r\n'
    ).encode() + "商场电梯夹伤孩子。".encode()
    outcome = mail_receive(raw)
    assert outcome.outcome == MailOutcome.CREATED
    assert "商场电梯夹伤孩子。" in Complaint.objects.get().description


def test_an_empty_mail_from_the_mailbox_is_refused_with_a_notice(market):
    raw = raw_mail(subject="", body=b"   ")
    outcome = mail_receive(raw, door=Door.IMAP)
    assert (outcome.outcome, outcome.reason) == (MailOutcome.REFUSED, "empty")
    assert len(_receipts()) == 1 and not Complaint.objects.exists()


def test_a_long_mail_is_cut_and_its_whole_text_attached(market):
    body = ("很长的投诉内容。" * 2000).encode()
    outcome = mail_receive(raw_mail(body=body))
    complaint = Complaint.objects.get(tracking_no=outcome.tracking_no)
    assert len(complaint.description) <= 10_000
    attached = complaint.attachments.get(original_name="mail.txt")
    assert attached.file.read().decode() == body.decode()


def test_a_plan_that_takes_no_email_refuses_by_name(db):
    from tousu.plans.tests.scenario import clients

    clients("school")  # the school's plan lists no email channel
    outcome = mail_receive(gbk_mail())
    assert (outcome.outcome, outcome.reason) == (MailOutcome.REFUSED, "invalid:channel")
    assert not Complaint.objects.exists()


def test_a_subject_that_is_empty_takes_the_first_line_of_the_text(market):
    outcome = mail_receive(raw_mail(subject="", body="\n\n电梯故障\n困了半小时".encode()))
    assert Complaint.objects.get(tracking_no=outcome.tracking_no).title == "电梯故障"
