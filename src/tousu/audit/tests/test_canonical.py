"""``canonical`` through orjson gives what the standard library's round trip with
Django's encoder gave: the stored value, and so the hash, of every event is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy

from tousu.audit.hashing import canonical
from tousu.complaints.choices import EventAction


def _standard(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def test_canonical_is_the_standard_round_trip():
    china = dt.timezone(dt.timedelta(hours=8))
    value = {
        "at": dt.datetime(2026, 3, 15, 9, 30, 12, 345678, tzinfo=china),
        "utc": dt.datetime(2026, 3, 15, 1, 30, tzinfo=dt.UTC),
        "naive": dt.datetime(2026, 3, 15, 9, 30),  # noqa: DTZ001 - as a caller might pass
        "day": dt.date(2026, 3, 15),
        "time": dt.time(9, 30, 0, 1500),
        "amount": Decimal("129.50"),
        "zero": Decimal("0E-2"),
        "lasted": dt.timedelta(days=2, hours=3),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "label": gettext_lazy("Reason"),
        "action": EventAction.REGISTERED,
        "nested": [{"n": 1, "f": 0.1, "big": 2**63 - 1}, ("a", None, True)],
        "text": "价签\n与结算价格不符 \u2028 \x01",
        7: "an int key",
    }
    assert canonical(value) == _standard(value)
    beyond = {"n": 2**70}  # orjson refuses it: the standard library answers
    assert canonical(beyond) == _standard(beyond) == {"n": 2**70}
