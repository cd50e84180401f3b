"""Who may open a complaint's tracking page: whoever gives its tracking number with its
access code (from the receipt) or with a one-time code sent to the phone or email on
record. A wrong code gets exactly the answer an unknown number gets.

Each attempt is counted before it is checked (an atomic increment, then the comparison
with the count it got — concurrent guesses cannot all slip under a limit), and taken
back when it opened the complaint. Every attempt counts per client address. A one-time
code (six digits: a million of them) also counts per tracking number, and after
``CODE_TRIES`` wrong guesses every live code of the complaint is void. The access code
(eight characters of 32: 10^12) needs only the per-address limit, so a stranger typing
wrong codes cannot lock the complainant out of their own access code.

Once opened, the page stays open in the browser's session for that tracking number
(``ACCESS_MINUTES``); the JSON API gets a signed token of the same lifetime instead.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from tousu.complaints.access import access_code_matches, access_code_normalise
from tousu.complaints.lookup import TRACKING_NO
from tousu.complaints.models import Complaint
from tousu.core.problems import NotAllowed, NotFound
from tousu.notifications.services import notify_complainant
from tousu.portal.models import OneTimeCode
from tousu.portal.throttle import Rate, Throttled, rate, rate_hit, rate_uncount

SESSION_KEY = "portal_cases"
TOKEN_SALT = "tousu.portal.token"  # noqa: S105 (a namespace, not a secret)
CODE_DIGITS = 6
CODE_TRIES = 3  # wrong one-time codes for a complaint before all its live codes are void


def access_minutes() -> int:
    return int(getattr(settings, "PORTAL_ACCESS_MINUTES", 30))


def code_minutes() -> int:
    return int(getattr(settings, "PORTAL_CODE_MINUTES", 10))


def tracking_no_normalise(value: str) -> str:
    return "".join((value or "").split()).upper()


def not_found() -> NotFound:
    """The one answer to an unknown number and to a wrong code alike."""
    message = _("No complaint matches this tracking number and code. Check both and try again.")
    return NotFound(message, field_errors={"code": [message]})


def _complaint(tracking_no: str) -> Complaint | None:
    if not TRACKING_NO.fullmatch(tracking_no):
        return None
    return (
        Complaint.objects.select_related("plan_revision__plan", "category", "complainant")
        .filter(tracking_no=tracking_no)
        .first()
    )


def _otc_digest(tracking_no: str, code: str) -> str:
    value = f"{tracking_no}:{code}"
    return salted_hmac("tousu.portal.otc", value, algorithm="sha256").hexdigest()


def _is_one_time_code(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def _otc_spend(complaint: Complaint, code: str) -> bool:
    """Spend a one-time code of ``complaint`` matching ``code`` (once, atomically).

    The guess is counted on every live code first; a code that has seen more than
    ``CODE_TRIES`` guesses opens nothing, and once the guesses reach it without a
    match every live code of the complaint is void."""
    now = timezone.now()
    live = OneTimeCode.objects.filter(complaint=complaint, used_at=None, expires_at__gt=now)
    live.update(attempts=F("attempts") + 1)
    digest = _otc_digest(complaint.tracking_no, code)
    for row in live.filter(attempts__lte=CODE_TRIES).only("pk", "digest"):
        if constant_time_compare(row.digest, digest):
            spent = OneTimeCode.objects.filter(pk=row.pk, used_at=None, attempts__lte=CODE_TRIES)
            if spent.update(used_at=now) == 1:
                return True
    if live.filter(attempts__gte=CODE_TRIES).exists():
        live.update(used_at=now)
    return False


def complaint_open(*, tracking_no: str, code: str, address: str) -> Complaint:
    """The complaint ``tracking_no`` when ``code`` opens it: its access code, or an
    unspent one-time code. Raises ``Throttled`` (429) after too many failures from this
    address (or, for one-time codes, for this number), and ``not_found()`` — the same
    for an unknown number and a wrong code — otherwise."""
    number = tracking_no_normalise(tracking_no)[:40]
    code = (code or "").strip()[:40]
    one_time = _is_one_time_code(code)
    counted: list[tuple[Rate, str]] = [(rate("track_fail_address"), address)]
    if one_time:
        counted.append((rate("track_fail_number"), number))
    for limit, value in counted:
        try:
            rate_hit(limit, value)
        except Throttled:
            for earlier, earlier_value in counted:  # an attempt refused is no guess
                if earlier is limit:
                    break
                rate_uncount(earlier, earlier_value)
            raise
    complaint = _complaint(number)
    if complaint is None:
        # As much work as a real check, so the answer's timing tells nothing either.
        constant_time_compare(_otc_digest(number, code), access_code_normalise(code))
        opened = False
    elif one_time:
        opened = _otc_spend(complaint, code)
    else:
        opened = access_code_matches(complaint, code)
    if not opened or complaint is None:
        raise not_found()
    for limit, value in counted:
        rate_uncount(limit, value)
    return complaint


def code_send(*, tracking_no: str, address: str) -> None:
    """Send a one-time code to the phone or email on record of ``tracking_no``.

    The answer is the same whether the number exists or not (nothing to learn from
    it); sending is limited per address and per number (``Throttled``). The code is
    kept as a keyed digest only, expires after ``code_minutes()`` and opens once. Codes
    sent before stay valid until they expire: whichever message arrives first works."""
    number = tracking_no_normalise(tracking_no)[:40]
    rate_hit(rate("code_send_address"), address)
    rate_hit(rate("code_send_number"), number)
    complaint = _complaint(number)
    if complaint is None:
        return
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(complaint=complaint, expires_at__lt=now).delete()
        issued = OneTimeCode.objects.create(
            complaint=complaint,
            digest=_otc_digest(complaint.tracking_no, code),
            created_at=now,
            expires_at=now + timedelta(minutes=code_minutes()),
        )
        notify_complainant(
            complaint=complaint,
            event="one_time_code",
            now=now,
            once=f"otc{issued.pk}",  # each code its own message
            code=code,
            minutes=code_minutes(),
        )


# The browser's session: {tracking number: until (epoch seconds)}.


def session_grant(session: SessionBase, tracking_no: str) -> None:
    """Keep ``tracking_no`` open in this session for ``access_minutes()``; a new session
    key is issued (so a key planted before cannot ride on the access)."""
    cases = dict(session.get(SESSION_KEY) or {})
    now = timezone.now().timestamp()
    cases = {no: until for no, until in cases.items() if until > now}
    cases[tracking_no] = now + access_minutes() * 60
    session.cycle_key()
    session[SESSION_KEY] = cases


def session_allows(session: SessionBase, tracking_no: str) -> bool:
    until = (session.get(SESSION_KEY) or {}).get(tracking_no)
    return bool(until and until > timezone.now().timestamp())


def session_complaint(session: SessionBase, tracking_no: str) -> Complaint:
    """The complaint this session opened, or ``not_found()``."""
    number = tracking_no_normalise(tracking_no)
    complaint = _complaint(number) if session_allows(session, number) else None
    if complaint is None:
        raise not_found()
    return complaint


# The JSON API's bearer token.


def token_issue(complaint: Complaint) -> str:
    return signing.dumps({"no": complaint.tracking_no}, salt=TOKEN_SALT)


def token_complaint(token: str) -> Complaint:
    """The complaint a token (from ``token_issue``) opens; ``NotAllowed`` when it is
    missing, forged or older than ``access_minutes()``."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=access_minutes() * 60)
    except signing.SignatureExpired:
        raise NotAllowed(_("The access has expired: open the complaint again.")) from None
    except signing.BadSignature:
        raise NotAllowed(_("Open the complaint with its tracking number and code.")) from None
    complaint = _complaint(str(data.get("no", "")))
    if complaint is None:
        raise not_found()
    return complaint
