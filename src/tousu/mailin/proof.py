"""Whether a mail that names a complaint may be taken as its complainant's.

The ``From`` of a mail is whatever its sender wrote, and tracking numbers are guessable:
a matching address alone proves nothing. A mail counts as the complainant's when it also
carries the complaint's access code (a reply quotes the receipt, which holds the code and
the tracking link with ``?code=``), or when the organisation's own mail server vouches for
the sender's domain (DMARC passed, in an ``Authentication-Results`` field it wrote)."""

from __future__ import annotations

import re

from tousu.complaints.access import ALPHABET, LENGTH, access_code_matches
from tousu.complaints.models import Complaint
from tousu.mailin.authresults import dmarc_passes
from tousu.mailin.config import MailSettings
from tousu.mailin.parse import IncomingMail

# At most this many different tokens are tried per mail: a reply quoting the receipt has
# the code near "code"/"码" (tried first), and a mail stuffed with tokens must not become
# a way to guess codes in bulk.
MAX_CANDIDATES = 20
_CHARS = "".join(sorted(set(ALPHABET + ALPHABET.lower())))
_TOKEN = re.compile(rf"(?<![0-9A-Za-z])[{_CHARS}]{{{LENGTH}}}(?![0-9A-Za-z])")
_LABELLED = re.compile(
    rf"(?:code|码)\s*[=:：]?\s*([{_CHARS}]{{{LENGTH}}})(?![0-9A-Za-z])", re.IGNORECASE
)
REDACTED = "*" * LENGTH


def code_candidates(*texts: str) -> list[str]:
    """The tokens of ``texts`` that could be an access code (upper case, each once), those
    labelled as a code first; at most ``MAX_CANDIDATES``."""
    labelled = [m.group(1) for text in texts for m in _LABELLED.finditer(text)]
    tokens = [m.group(0) for text in texts for m in _TOKEN.finditer(text)]
    found = dict.fromkeys(token.upper() for token in [*labelled, *tokens])
    return list(found)[:MAX_CANDIDATES]


def code_in_mail(complaint: Complaint, mail: IncomingMail) -> str:
    """The access code of ``complaint`` as the mail's subject or text carries it, or ""."""
    for candidate in code_candidates(mail.subject, mail.body):
        if access_code_matches(complaint, candidate):
            return candidate
    return ""


def code_redact(text: str, codes: list[str]) -> str:
    """``text`` with the access ``codes`` (any case) blotted out: they stay the
    complainant's, out of what staff read."""
    wanted = {code for code in codes if code}
    if not wanted:
        return text
    return _TOKEN.sub(lambda m: REDACTED if m.group(0).upper() in wanted else m.group(0), text)


def complainant_proof(complaint: Complaint, mail: IncomingMail, config: MailSettings) -> str | None:
    """How the mail proves to be from ``complaint``'s complainant: the access code it
    carries (to be blotted out of what is kept), "" for the mail server's word (DMARC), or
    None when it does not. The sender's address must be the complainant's in any case."""
    email = complaint.complainant.email or ""
    if not email or email.casefold() != mail.sender.casefold():
        return None
    code = code_in_mail(complaint, mail)
    if code:
        return code
    if dmarc_passes(mail.authentication_results, config.trusted_authserv, mail.sender):
        return ""
    return None
