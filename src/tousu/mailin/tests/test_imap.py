"""``tousu mail fetch`` against a real IMAP server on loopback (pymap): unseen mails
become complaints and are marked seen; a second fetch makes nothing new."""

import io

import pytest
from django.core.management import CommandError, call_command

from tousu.complaints.models import Complaint
from tousu.mailin.tests.imapserver import PASSWORD, USER, ImapServer
from tousu.mailin.tests.mails import JPEG, SENDER, gbk_mail, raw_mail, rfc2231
from tousu.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    with ImapServer(tmp_path_factory.mktemp("imap")) as server:
        yield server


@pytest.fixture
def mailbox(imap_server, monkeypatch):
    imap_server.empty()
    monkeypatch.setenv("TOUSU_MAIL_IMAP_PASSWORD", PASSWORD)
    return imap_server


def fetch(server: ImapServer, *options: str, tls: str = "starttls") -> str:
    port = server.front.port if tls == "ssl" else server.port
    out = io.StringIO()
    call_command(
        "mail",
        "fetch",
        *("--host", "127.0.0.1", "--port", str(port), "--user", USER, "--tls", tls),
        *("--ca-file", str(server.cert)),
        *options,
        stdout=out,
    )
    return out.getvalue()


def test_fetch_makes_complaints_marks_them_seen_and_a_second_fetch_makes_nothing(market, mailbox):
    mailbox.append(gbk_mail(attachments=[(rfc2231("小票.jpg", "gbk"), JPEG, "image/jpeg")]))
    mailbox.append(raw_mail(sender="li.na@example.cn", body="快递丢件。".encode()))
    mailbox.append(gbk_mail(headers={"Auto-Submitted": "auto-replied"}))
    mailbox.append(gbk_mail(attachments=[('filename="big.jpg"', JPEG * 400, "image/jpeg")]))

    output = fetch(mailbox, "--max-bytes", "100000")

    complaints = Complaint.objects.order_by("tracking_no")
    assert complaints.count() == 2
    assert complaints[0].attachments.get().original_name == "小票.jpg"
    assert "4 mail(s): created 2, ignored 1, refused_size 1" in output
    assert all(c.tracking_no in output for c in complaints)
    assert SENDER not in output and "li.na" not in output  # no personal data printed
    assert mailbox.flags() == [
        {r"\Seen"},
        {r"\Seen"},
        {r"\Seen"},
        {r"\Seen", r"\Flagged"},  # refused: the sender is told, once
    ]
    too_large = [n for n in Notification.objects.filter(key__startswith="mailin:")]
    assert len(too_large) == 1 and too_large[0].address == SENDER

    assert "0 mail(s)" in fetch(mailbox)
    assert Complaint.objects.count() == 2


def test_a_mail_fetched_again_is_not_processed_twice(market, mailbox):
    mailbox.append(gbk_mail())
    fetch(mailbox)
    client = mailbox.client()  # as after a crash between the complaint and the \Seen
    client.select("INBOX")
    client.store("1", "-FLAGS", r"(\Seen)")
    assert "1 mail(s): duplicate 1" in fetch(mailbox)
    assert Complaint.objects.count() == 1 and mailbox.flags() == [{r"\Seen"}]


def test_processed_and_refused_mails_move_to_their_folders(market, mailbox):
    mailbox.append(gbk_mail())
    mailbox.append(raw_mail(subject="", body=b""))  # nothing to register
    fetch(mailbox, "--done-folder", "已处理", "--refused-folder", "Refused")
    assert mailbox.flags("INBOX") == []
    assert mailbox.flags('"&XfJZBHQG-"') == [{r"\Seen"}]  # 已处理 in IMAP's UTF-7
    assert mailbox.flags("Refused") == [{r"\Seen", r"\Flagged"}]


def test_imap_over_tls_from_the_first_byte(market, mailbox):
    mailbox.append(gbk_mail())
    assert "created 1" in fetch(mailbox, tls="ssl")


def test_plain_imap_is_allowed_to_loopback_only(market, mailbox):
    mailbox.append(gbk_mail())
    assert "created 1" in fetch(mailbox, tls="none")
    with pytest.raises(CommandError, match="only to this machine"):
        call_command("mail", "fetch", "--host", "192.0.2.1", "--tls", "none", "--user", USER)


def test_an_untrusted_certificate_is_refused(market, mailbox):
    with pytest.raises(CommandError, match="cannot connect"):
        call_command(
            "mail", "fetch", "--host", "127.0.0.1", "--port", str(mailbox.port),
            "--tls", "starttls", "--user", USER,
        )  # fmt: skip


def test_a_wrong_password_is_a_clear_error(market, mailbox, monkeypatch):
    monkeypatch.setenv("TOUSU_MAIL_IMAP_PASSWORD", "wrong")
    with pytest.raises(CommandError, match="refused the login") as refused:
        fetch(mailbox)
    assert "wrong" not in str(refused.value)
