"""A real SMTP session on loopback: mail sent with smtplib to ``tousu mail serve``'s
listener becomes a complaint, and the receipt reaches the sender through a real SMTP
server."""

import io
import os
import signal
import smtplib
import threading
from dataclasses import replace

import pytest
from django.core.management import call_command

from tousu.complaints.models import Complaint
from tousu.mailin.config import mail_settings
from tousu.mailin.smtp import smtp_listener
from tousu.mailin.tests.mails import JPEG, SENDER, encoded_word, gbk_mail, raw_mail, rfc2231
from tousu.notifications.services import outbox_deliver
from tousu.notifications.tests.loopback import MailServer

pytestmark = pytest.mark.django_db(transaction=True)
LIMIT = 200_000


@pytest.fixture
def listener():
    config = replace(mail_settings(), max_bytes=LIMIT)
    server = smtp_listener(config, host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sink(settings):
    """Where Tousu's own mail (the receipt) goes: a real SMTP server on loopback."""
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield server


def _send(port: int, raw: bytes, *, sender: str = SENDER, options=()) -> tuple[int, str]:
    """One SMTP transaction; the server's last answer (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        code, text = client.mail(sender, list(options))
        if code != 250:
            return code, text.decode()
        client.rcpt("tousu@market.example.cn")
        code, text = client.data(raw)
        return code, text.decode()


def test_a_gbk_mail_over_smtp_becomes_a_complaint_and_the_receipt_reaches_the_sender(
    market, listener, sink
):
    raw = gbk_mail(attachments=[(rfc2231("小票.jpg", "gbk"), JPEG, "image/jpeg")])
    code, text = _send(listener.port, raw)
    complaint = Complaint.objects.get()
    assert code == 250 and complaint.tracking_no in text
    assert complaint.title == "投诉：超市卖过期牛奶" and complaint.channel == "email"
    attachment = complaint.attachments.get()
    assert attachment.original_name == "小票.jpg" and attachment.file.read() == JPEG

    assert outbox_deliver()["delivered"] == 1
    (receipt,) = sink.delivered
    assert receipt["To"] == SENDER
    assert complaint.tracking_no in receipt["Subject"]
    assert complaint.tracking_no in receipt.get_content()

    # The receipt, sent back to the complaint mailbox (a forwarding loop), is not answered.
    code, text = _send(listener.port, receipt.as_bytes())
    assert code == 250 and Complaint.objects.count() == 1
    assert outbox_deliver()["delivered"] == 0


def test_utf8_and_big5_mails_over_smtp(market, listener):
    utf8 = raw_mail(body="快递丢件，三天无人处理。".encode(), encoding="8bit")
    big5 = raw_mail(
        subject=encoded_word("商品價格不實", "big5"),
        sender=f"{encoded_word('陳美玲', 'big5')} <chen@example.tw>",
        body="標價與結帳不符。".encode("big5"),
        charset="big5",
    )
    assert _send(listener.port, utf8)[0] == 250
    assert _send(listener.port, big5, sender="chen@example.tw")[0] == 250
    titles = sorted(Complaint.objects.values_list("title", flat=True))
    assert titles == ["商品價格不實", "超市卖过期牛奶"]
    assert Complaint.objects.get(title="商品價格不實").complainant.name == "陳美玲"


def test_an_smtp_retry_of_the_same_mail_gets_the_same_answer(market, listener):
    raw = gbk_mail()
    first, again = _send(listener.port, raw), _send(listener.port, raw)
    assert first == again and Complaint.objects.count() == 1


def test_a_declared_size_over_the_limit_is_refused_before_the_data(market, listener):
    code, text = _send(listener.port, gbk_mail(), options=[f"SIZE={LIMIT + 1}"])
    assert code == 552 and "too large" in text and "195.3" in text  # KB
    assert not Complaint.objects.exists()


def test_data_over_the_limit_is_refused(market, listener):
    big = gbk_mail(attachments=[('filename="big.jpg"', JPEG + bytes(LIMIT), "image/jpeg")])
    code, text = _send(listener.port, big)
    assert code == 552 and "too large" in text
    assert not Complaint.objects.exists()


def test_a_bounce_is_taken_silently(market, listener):
    code, _text = _send(listener.port, gbk_mail(), sender="<>")
    assert code == 250 and not Complaint.objects.exists()


def test_a_plan_that_takes_no_email_answers_554(db, listener):
    from tousu.plans.tests.scenario import clients

    clients("school")
    code, text = _send(listener.port, gbk_mail())
    assert code == 554 and "not taken by email" in text


def test_the_reply_is_in_english_and_chinese_when_translated(market, listener):
    code, text = _send(listener.port, gbk_mail())
    assert code == 250 and text.startswith("2.0.0 Registered as complaint TS-")


class _Output(io.StringIO):
    """The command's output, with a signal when the listener says where it listens."""

    def __init__(self):
        super().__init__()
        self.listening = threading.Event()

    def write(self, text):
        written = super().write(text)
        if "listening for mail on" in self.getvalue():
            self.listening.set()
        return written


def test_tousu_mail_serve_takes_mail_until_it_is_stopped(market):
    output = _Output()

    def send_then_stop():
        # Not listening (the command failed and returned): nothing to stop.
        if output.listening.wait(30):
            port = int(output.getvalue().split("127.0.0.1:")[1].split()[0])
            try:
                _send(port, gbk_mail())
            finally:
                os.kill(os.getpid(), signal.SIGTERM)  # what stops `tousu mail serve`

    sender = threading.Thread(target=send_then_stop)
    sender.start()
    call_command("mail", "serve", "--host", "127.0.0.1", "--port", "0", stdout=output)
    sender.join()
    assert "stopped; mails: created 1" in output.getvalue()
    assert Complaint.objects.get().channel == "email"
