"""A mail received, by either door (IMAP fetch or the SMTP listener), becomes a complaint
or material on one, or is refused or left unanswered — once per mail."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from tousu.complaints.attachments import AttachmentUpload, attachment_validate
from tousu.complaints.checks import LIMITS, ComplainantData
from tousu.complaints.evidence import material_add
from tousu.complaints.lookup import TRACKING_NO
from tousu.complaints.models import Complaint
from tousu.complaints.services import complaint_register
from tousu.core.actors import MAIL, ComplainantActor
from tousu.core.crypto import blind_index
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.mailin import replies
from tousu.mailin.categories import mail_category
from tousu.mailin.choices import Door, MailOutcome
from tousu.mailin.config import MailSettings, mail_settings
from tousu.mailin.models import ReceivedMail
from tousu.mailin.parse import IncomingMail, mail_parse
from tousu.mailin.proof import code_redact, complainant_proof
from tousu.notifications.choices import Channel
from tousu.notifications.services import notify_address

FULL_TEXT_NAME = "mail.txt"


@dataclass(frozen=True)
class Outcome:
    """What became of a mail. ``reason`` is a code (``replies.reason_text`` words it);
    ``duplicate`` says this mail was processed before, and this is what happened then."""

    outcome: str
    reason: str = ""
    tracking_no: str = ""
    duplicate: bool = False


def _key(mail: IncomingMail) -> str:
    return blind_index(f"{mail.message_id}\n{mail.sender.casefold()}", purpose="mail")


def mail_receive(
    raw: bytes,
    *,
    door: str = Door.SMTP,
    now: datetime | None = None,
    size: int | None = None,
    envelope_from: str | None = None,
    config: MailSettings | None = None,
) -> Outcome:
    """Take one mail: ``raw`` is the whole mail, or only its header when ``size`` (the
    whole mail's size, as IMAP tells it) is over the limit.

    A new mail becomes a complaint (its receipt goes to the sender through the outbox);
    one whose subject names a complaint becomes material on it when it proves to be from
    that complaint's complainant (``proof.complainant_proof``: their address, and the
    access code quoted or the mail server's DMARC pass), else a new complaint noting the
    number it named. An
    auto-reply, bounce, list mail or our own mail coming back is recorded and left
    unanswered. An oversized or unusable mail is refused; when it came from the mailbox
    (``door`` imap) the sender is told once through the outbox, over SMTP the reply code
    tells them. The same mail (Message-ID and sender) is processed once, also when two
    deliveries arrive at once: the second gets the first one's outcome.
    """
    config = config or mail_settings()
    now = now or timezone.now()
    size = len(raw) if size is None else size
    mail = mail_parse(raw, envelope_from=envelope_from)
    key = _key(mail)
    earlier = _earlier(key)
    if earlier is not None:
        return earlier
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        try:
            with transaction.atomic():
                record = ReceivedMail.objects.create(
                    key=key,
                    door=door,
                    received_at=now,
                    size=size,
                    outcome=MailOutcome.REFUSED,
                    problems=mail.problems,
                )
        except IntegrityError:
            # A delivery of the same mail committed first: its outcome is this one's.
            earlier = _earlier(key)
            if earlier is None:
                raise  # not found after all: fail, so that the mail is tried again
            return earlier
        outcome, complaint = _handle(mail, size=size, door=door, key=key, now=now, config=config)
        record.outcome, record.reason, record.complaint = outcome.outcome, outcome.reason, complaint
        record.save(update_fields=["outcome", "reason", "complaint"])
    return outcome


def _earlier(key: str) -> Outcome | None:
    row = ReceivedMail.objects.filter(key=key).select_related("complaint").first()
    if row is None:
        return None
    tracking_no = row.complaint.tracking_no if row.complaint is not None else ""
    return Outcome(row.outcome, row.reason, tracking_no, duplicate=True)


def _handle(
    mail: IncomingMail, *, size: int, door: str, key: str, now: datetime, config: MailSettings
) -> tuple[Outcome, Complaint | None]:
    if mail.no_answer:
        return Outcome(MailOutcome.IGNORED, mail.no_answer), None
    if not mail.sender:
        return Outcome(MailOutcome.REFUSED, "no-sender"), None
    if size > config.max_bytes:
        if door == Door.IMAP:
            message = replies.reason_text("size", max_bytes=config.max_bytes)
            _notice(key, mail.sender, *replies.refused_notice(message), now=now)
        return Outcome(MailOutcome.REFUSED_SIZE, "size"), None
    uploads, notes = _uploads(mail)
    notes += [replies.problem_text(code) for code in mail.problems]
    codes: list[str] = []  # access codes the mail proved with: kept out of what is stored
    for tracking_no in dict.fromkeys(TRACKING_NO.findall(mail.subject)):
        complaint, code = _own_complaint(tracking_no, mail, config)
        if complaint is None:
            # Unknown, a stranger's, or not shown to be the complainant's: never added to
            # it, and the note reads the same whichever it was.
            notes.append(replies.unverified_reference_text(tracking_no))
            continue
        codes.append(code)
        if _material_add(mail, complaint, uploads, notes, key=key, now=now, codes=codes):
            return Outcome(MailOutcome.ADDED, "", tracking_no), complaint
        notes.append(replies.stale_reference_text(tracking_no))
    return _register(mail, uploads, notes, door=door, key=key, now=now, config=config, codes=codes)


def _own_complaint(
    tracking_no: str, mail: IncomingMail, config: MailSettings
) -> tuple[Complaint | None, str]:
    """The complaint ``tracking_no`` when the mail proves to be its complainant's, and
    the access code the mail carries ("" when the mail server vouched instead)."""
    complaint = (
        Complaint.objects.filter(tracking_no=tracking_no).select_related("complainant").first()
    )
    if complaint is None:
        return None, ""
    code = complainant_proof(complaint, mail, config)
    return (None, "") if code is None else (complaint, code)


def _uploads(mail: IncomingMail) -> tuple[list[AttachmentUpload], list[str]]:
    """The files that pass the evidence checks, and a note for each one left out."""
    uploads, notes = [], []
    for attachment in mail.attachments:
        upload = AttachmentUpload.from_file(attachment.name, io.BytesIO(attachment.data))
        problems = attachment_validate(upload)
        if problems:
            notes.append(replies.dropped_text(attachment.name, problems))
        else:
            uploads.append(upload)
    return uploads, notes


def _text_with_notes(
    text: str, notes: list[str], uploads: list[AttachmentUpload], limit: int
) -> str:
    """``text`` and the notes under it, within ``limit``: a text too long is cut, and its
    whole is added to ``uploads`` as a file."""
    block = replies.notes_block(notes)
    if len(text) + len(block) <= limit:
        return text + block
    uploads.append(AttachmentUpload.from_file(FULL_TEXT_NAME, io.BytesIO(text.encode("utf-8"))))
    block = replies.notes_block([*notes, replies.truncated_text(FULL_TEXT_NAME)])
    return text[: max(limit - len(block), 0)].rstrip() + block


def _material_add(
    mail: IncomingMail,
    complaint: Complaint,
    uploads: list[AttachmentUpload],
    notes: list[str],
    *,
    key: str,
    now: datetime,
    codes: list[str],
) -> bool:
    """Add the mail to the sender's complaint; False when the plan takes no material now."""
    files = list(uploads)
    text = code_redact(mail.body.strip() or mail.subject or replies.no_text(), codes)
    material = _text_with_notes(text, notes, files, LIMITS["description"])
    try:
        with transaction.atomic():
            material_add(
                complaint=complaint,
                actor=ComplainantActor(complainant_id=complaint.complainant_id),
                material=material,
                uploads=files,
            )
            _notice(
                key,
                complaint.complainant.email,
                *replies.added_notice(complaint.tracking_no),
                now=now,
                complaint=complaint,
            )
    except (NotAllowed, Conflict, InvalidInput):
        for upload in files:
            upload.file.seek(0)
        return False
    return True


def _register(
    mail: IncomingMail,
    uploads: list[AttachmentUpload],
    notes: list[str],
    *,
    door: str,
    key: str,
    now: datetime,
    config: MailSettings,
    codes: list[str],
) -> tuple[Outcome, Complaint | None]:
    body = code_redact(mail.body.strip(), codes)
    if not (body or mail.subject or uploads):
        return _refuse(mail, "empty", door=door, key=key, now=now), None
    subject = code_redact(mail.subject, codes)
    title = subject or _first_line(body) or replies.untitled()
    files = list(uploads)
    description = _text_with_notes(
        body or subject or replies.no_text(), notes, files, LIMITS["description"]
    )
    name = mail.sender_name or mail.sender.split("@")[0]
    try:
        with transaction.atomic():
            complaint = complaint_register(
                actor=MAIL,
                channel="email",
                title=title[: LIMITS["title"]],
                description=description,
                category=config.category or mail_category(),
                complainant=ComplainantData(
                    name=name[: LIMITS["complainant.name"]], email=mail.sender
                ),
                received_at=now,
                attachments=files,
            )
    except InvalidInput as exc:
        field = next(iter(exc.field_errors), "")
        return _refuse(mail, f"invalid:{field}"[:64], door=door, key=key, now=now), None
    return Outcome(MailOutcome.CREATED, "", complaint.tracking_no), complaint


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _refuse(mail: IncomingMail, reason: str, *, door: str, key: str, now: datetime) -> Outcome:
    # Never to an address the checks found unusable: that notice could only bounce.
    if door == Door.IMAP and reason != "invalid:complainant.email":
        _notice(key, mail.sender, *replies.refused_notice(replies.reason_text(reason)), now=now)
    return Outcome(MailOutcome.REFUSED, reason)


def _notice(
    key: str,
    address: str,
    subject: str,
    body: str,
    *,
    now: datetime,
    complaint: Complaint | None = None,
) -> None:
    """Queue one email to the sender of the mail ``key``; queued once per mail."""
    notify_address(
        key=f"mailin:{key}",
        channel=Channel.EMAIL,
        address=address,
        subject=subject,
        body=body,
        complaint=complaint,
        now=now,
    )
