"""What the mail doors say to people: the reason a mail was refused, the notes a
complaint made from a mail carries (files left out, text read best-effort), and the
notices sent back by email. All in the site's language through Django i18n."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def reason_text(reason: str, *, max_bytes: int = 0) -> str:
    """Why a mail was not taken, for its sender (``reason`` is a code)."""
    if reason == "size":
        return _(
            "The mail is too large: at most %(limit)s is accepted. Please send the files "
            "in several mails or make them smaller."
        ) % {"limit": filesizeformat(max_bytes)}
    texts = {
        "no-sender": _("The mail has no sender address we can answer."),
        "empty": _("The mail has neither a subject nor any text."),
        "invalid:channel": _("Complaints are not taken by email here."),
        "invalid:complainant.email": _("The sender's address is not valid."),
        "invalid:complainant.name": _("The sender's name cannot be read."),
        "invalid:category": _("Complaints by email cannot be filed yet (no category)."),
        "invalid:department": _("Complaints by email cannot be filed yet (no department)."),
    }
    if reason in texts:
        return texts[reason]
    if reason.startswith("invalid:"):
        return _("The mail could not be registered as a complaint.")
    return _("The mail was not taken.")


def problem_text(code: str) -> str:
    """A note for the staff reading a complaint made from a mail read best-effort."""
    kind, _sep, detail = code.partition(":")
    texts = {
        "unknown-charset": _(
            "Part of the mail was in an unknown character set (%(charset)s); it was read "
            "as well as possible and some characters may be wrong."
        ),
        "charset-mismatch": _(
            "Part of the mail did not match its declared character set (%(charset)s); it "
            "was read as well as possible."
        ),
        "undecodable": _("Some characters of the mail could not be read and show as �."),
        "malformed-mime": _(
            "The mail's structure was damaged; its text and files were recovered as well "
            "as possible."
        ),
        "too-many-parts": _("The mail had too many parts; only the first ones were read."),
        "undecodable-part": _("A part of the mail could not be decoded and was left out."),
        "sender-unreadable": _("The sender's address could not be read."),
    }
    return texts.get(kind, _("Part of the mail could not be read.")) % {"charset": detail}


def notes_block(notes: list[str]) -> str:
    """The notes under a complaint's text, one per line."""
    if not notes:
        return ""
    heading = _("Notes from the mail intake:")
    return "\n\n" + heading + "\n" + "\n".join(f"- {note}" for note in notes)


def dropped_text(name: str, messages: list[str]) -> str:
    return _("Not attached: %(name)s (%(why)s)") % {"name": name, "why": " ".join(messages)}


def truncated_text(name: str) -> str:
    return _("The text was too long and is cut here; the whole text is attached as %(name)s.") % {
        "name": name
    }


def stale_reference_text(tracking_no: str) -> str:
    return _(
        "The mail names complaint %(tracking_no)s, which takes no more material; it was "
        "registered as a new complaint."
    ) % {"tracking_no": tracking_no}


def unverified_reference_text(tracking_no: str) -> str:
    return _(
        "The mail names complaint %(tracking_no)s but could not be verified as coming from "
        "its complainant; it was registered as a new complaint."
    ) % {"tracking_no": tracking_no}


def refused_notice(reason_message: str) -> tuple[str, str]:
    """(subject, body) of the one notice telling a sender their mail was not taken."""
    subject = _("Your mail was not registered")
    body = _(
        "Your mail could not be registered as a complaint: %(reason)s\n"
        "This notice is sent once and needs no answer."
    ) % {"reason": reason_message}
    return subject, body


def added_notice(tracking_no: str) -> tuple[str, str]:
    """(subject, body) telling the complainant their mail was added to their complaint."""
    subject = f"[{tracking_no}] " + _("Your material has been received")
    body = _("Your mail has been added to complaint %(tracking_no)s as further material.") % {
        "tracking_no": tracking_no
    }
    return subject, body


def untitled() -> str:
    return _("Complaint by email")


def no_text() -> str:
    return _("(The mail has no text; see its attachments.)")
