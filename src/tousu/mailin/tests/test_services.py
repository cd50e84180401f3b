"""``mail_receive``: a mail becomes a complaint or material on one, once; automatic
mail is left unanswered; mail too large or unusable is refused."""

import re

import pytest
from django.conf import settings
from django.utils import translation

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import ComplainantActor
from tousu.mailin import replies
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


def _quoted(text: str) -> str:
    """``text`` as a mail program quotes it in a reply."""
    return "\n".join(f"> {line}" for line in text.splitlines())


def _receipt(address: str = SENDER) -> Notification:
    """The receipt sent to ``address``: the mail that carries the access code."""
    (receipt,) = [n for n in _receipts(address) if ":received:" in n.key]
    return receipt


def _receipt_code(receipt: Notification) -> str:
    (code,) = {m.group(1) for m in re.finditer(r"code=([0-9A-Z]{8})", receipt.body)}
    return code


def _reply(no: str, body: str, *, sender: str = f"Zhang Wei <{SENDER}>", **more) -> bytes:
    return raw_mail(subject=f"Re: [{no}] 您的投诉已受理", sender=sender, body=body.encode(), **more)


def _note(text, no: str) -> str:
    """The note ``text`` makes for ``no``, in the site's language as the door writes it."""
    with translation.override(settings.LANGUAGE_CODE):
        return text(no)


def _mail_actions(no: str):
    return AuditEvent.objects.filter(complaint__tracking_no=no, action="complaint.action")


def test_a_reply_quoting_the_receipt_adds_material_to_the_case(market):
    no = mail_receive(gbk_mail()).tracking_no
    (receipt,) = _receipts()
    code = _receipt_code(receipt)
    reply = raw_mail(
        subject=encoded_word(f"回复：[{no}] 您的投诉已受理", "gbk"),
        sender=f"Zhang Wei <{SENDER.upper()}>",  # the address in another case
        body=f"补充：购物小票见附件。\n\n{_quoted(receipt.body)}".encode("gbk"),
        charset="gbk",
        attachments=[('filename="receipt.jpg"', JPEG, "image/jpeg")],
    )
    outcome = mail_receive(reply)
    assert (outcome.outcome, outcome.tracking_no) == (MailOutcome.ADDED, no)
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get(tracking_no=no)
    event = _mail_actions(no).last()
    assert event.data["material"].startswith("补充：购物小票见附件。")
    assert event.data["by"] == "complainant"
    # The quoted code is blotted out of what the staff read; the rest of the quote stays.
    assert code not in event.data["material"].upper() and "********" in event.data["material"]
    assert [a.original_name for a in complaint.attachments.all()] == ["receipt.jpg"]
    notices = [n for n in _receipts() if n.key.startswith("mailin:")]
    assert len(notices) == 1 and no in notices[0].subject


def test_the_code_typed_in_lower_case_in_the_subject_is_proof_too(market):
    no = mail_receive(gbk_mail()).tracking_no
    code = _receipt_code(_receipt())
    reply = raw_mail(subject=f"[{no}] 查询码 {code.lower()} 补充材料", body="又去了一次。".encode())
    assert mail_receive(reply).outcome == MailOutcome.ADDED


def _unverified(no: str, outcome) -> Complaint:
    """A new complaint, noting the number the mail named and nothing else of it; the
    complaint named got nothing."""
    assert outcome.outcome == MailOutcome.CREATED and outcome.tracking_no != no
    assert not _mail_actions(no).exists()
    new = Complaint.objects.get(tracking_no=outcome.tracking_no)
    assert _note(replies.unverified_reference_text, no) in new.description
    assert "超市卖过期牛奶" not in new.description  # nothing of the named complaint
    return new


@pytest.mark.parametrize(
    ("sender", "quote"),
    [
        (f"Zhang Wei <{SENDER}>", "我又去了，还是过期的。"),  # the address, no code
        (f"Zhang Wei <{SENDER}>", "查询码：23456789"),  # the address, a wrong code
        ("someone@elsewhere.example.com", "我也有同样的问题。"),  # a stranger
    ],
    ids=["no-code", "wrong-code", "stranger"],
)
def test_a_mail_not_shown_to_be_the_complainants_makes_a_new_complaint(market, sender, quote):
    no = mail_receive(gbk_mail()).tracking_no
    code = _receipt_code(_receipt())
    quote = quote.replace("23456789", "23456789" if code != "23456789" else "98765432")
    _unverified(no, mail_receive(_reply(no, quote, sender=sender)))


def test_a_forged_sender_with_the_right_code_for_another_case_makes_a_new_complaint(market):
    first = mail_receive(gbk_mail()).tracking_no
    other = mail_receive(gbk_mail(sender="李娜 <li.na@example.cn>")).tracking_no
    theirs = _receipt_code(_receipt("li.na@example.cn"))
    # From forged to be the first complainant, quoting a code they do not hold.
    outcome = mail_receive(_reply(first, f"查询码：{theirs}"))
    new = _unverified(first, outcome)
    assert not _mail_actions(other).exists() and new.tracking_no not in (first, other)


def test_the_note_reads_the_same_whoever_the_number_belongs_to(market):
    """Nothing tells a sender whether the number exists or whose it is."""
    no = mail_receive(gbk_mail()).tracking_no
    notes = []
    for named, sender in (
        (no, SENDER),
        (no, "x@elsewhere.example.com"),
        ("TS-20200101-999999", SENDER),
    ):
        outcome = mail_receive(_reply(named, "补充", sender=sender))
        description = Complaint.objects.get(tracking_no=outcome.tracking_no).description
        notes.append(description.replace(named, "…"))
    assert len(set(notes)) == 1


DMARC = (
    "mx.market.example.cn; spf=pass smtp.mailfrom=example.cn;\r\n\tdkim=pass header.d=example.cn;"
    "\r\n\tdmarc=pass (p=reject dis=none) header.from=example.cn"
)


@pytest.mark.parametrize(
    ("trusted", "header", "added"),
    [
        ("mx.market.example.cn", DMARC, True),
        ("MX.market.example.cn, mx2.market.example.cn", DMARC, True),
        ("", DMARC, False),  # nothing trusted by default
        ("mx.other.example.net", DMARC, False),  # another server's word
        ("mx.market.example.cn", DMARC.replace("dmarc=pass", "dmarc=fail"), False),
        (
            "mx.market.example.cn",
            DMARC.replace("header.from=example.cn", "header.from=evil.example"),
            False,
        ),
    ],
    ids=["trusted", "one-of-several", "none-trusted", "untrusted", "dmarc-fail", "other-domain"],
)
def test_the_mail_servers_dmarc_pass_is_proof_when_trusted(
    market, monkeypatch, trusted, header, added
):
    no = mail_receive(gbk_mail()).tracking_no
    monkeypatch.setenv("TOUSU_MAIL_TRUSTED_AUTHSERV", trusted)
    reply = _reply(no, "又去了一次，还是过期的。", headers={"Authentication-Results": header})
    outcome = mail_receive(reply)
    if added:
        assert (outcome.outcome, outcome.tracking_no) == (MailOutcome.ADDED, no)
        assert _mail_actions(no).get().data["material"] == "又去了一次，还是过期的。"
    else:
        _unverified(no, outcome)


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
    code = _receipt_code(_receipt())
    outcome = mail_receive(_reply(no, f"又坏了\n> 查询码：{code}"))
    assert outcome.outcome == MailOutcome.CREATED
    description = Complaint.objects.get(tracking_no=outcome.tracking_no).description
    assert _note(replies.stale_reference_text, no) in description
    assert code not in description  # the code of the closed case is not shown either


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
