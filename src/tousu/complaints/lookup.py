"""Finding a complaint by what a caller says — the complainant's phone number (whole or
its last four or more digits) or name — without decrypting a single row: each is kept
as a keyed digest (``core.crypto.blind_index``) beside the encrypted value."""

from __future__ import annotations

import re

from tousu.complaints.models import Complainant, ComplainantKey
from tousu.core.crypto import blind_index

# A tracking number as complaint_register makes it: TS-YYYYMMDD-NNNNNN.
TRACKING_NO = re.compile(r"TS-\d{8}-\d{6}")
PHONE_SUFFIX_MIN = 4
NAME_LIMIT = 50
_SPACES = re.compile(r"[\s\u3000\u200b-\u200d\ufeff·•]+")


def phone_digits(raw: str) -> str:
    """Digits only, the country code (+86, 0086) stripped: 「+86 138-0013-8000」 and
    「13800138000」 are one number."""
    value = (raw or "").strip()
    if value.startswith("+"):
        value = value[1:]
        if value.startswith("86"):
            value = value[2:]
    elif value.startswith("0086"):
        value = value[4:]
    return re.sub(r"\D", "", value)


def name_normalise(raw: str) -> str:
    """A name as people type it: spaces and middle dots dropped, Latin letters folded."""
    return _SPACES.sub("", raw or "").casefold()


def phone_key(digits: str) -> str:
    return blind_index(digits, purpose="phone_suffix")


def name_key(name: str) -> str:
    return blind_index(name, purpose="name")


def phone_key_digests(phone: str) -> list[str]:
    """The look-up digests of a phone number and each of its suffixes of 4+ digits."""
    digits = phone_digits(phone)
    return [phone_key(digits[-n:]) for n in range(PHONE_SUFFIX_MIN, len(digits) + 1)]


def complainant_keys(person: Complainant) -> list[ComplainantKey]:
    """The digest rows of the phone number and each of its suffixes of 4+ digits."""
    return [
        ComplainantKey(complainant=person, digest=digest)
        for digest in phone_key_digests(person.phone)
    ]


def complainant_digests(*, name: str, phone: str) -> dict[str, str]:
    """The digest columns of a complainant row (whole phone number for repeat
    detection, normalised name for search)."""
    return {
        "phone_digest": blind_index(phone) if phone else "",
        "name_digest": name_key(name_normalise(name)) if name else "",
    }


def complainant_index(person: Complainant) -> None:
    """Rewrite the complainant's look-up digests (inside the caller's transaction)."""
    ComplainantKey.objects.filter(complainant=person).delete()
    ComplainantKey.objects.bulk_create(complainant_keys(person))
    digests = complainant_digests(name=person.name, phone=person.phone)
    Complainant.objects.filter(pk=person.pk).update(**digests)
    for field, value in digests.items():
        setattr(person, field, value)


def complainants_reindex(batch: int = 500) -> int:
    """Recompute every complainant's digests (after a new ``INDEX_KEY``); returns how
    many. This decrypts each row once, which is what the digests exist to avoid later."""
    done = 0
    last = 0
    while True:
        people = list(Complainant.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not people:
            return done
        for person in people:
            complainant_index(person)
        done += len(people)
        last = people[-1].pk
