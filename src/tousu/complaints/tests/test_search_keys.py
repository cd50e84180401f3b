"""Finding a complaint by what a caller says: the tracking number, the phone number (or
its last digits) and the name — by keyed digests, for the roles that may see them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tousu.accounts.services import token_create
from tousu.complaints.models import Complainant, ComplainantKey
from tousu.complaints.tests.factories import complainant, complaint_make
from tousu.core import crypto

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)}"})


def found(user, q: str) -> list[str]:
    response = api(user).get("/api/v1/complaints", {"q": q})
    assert response.status_code == 200, response.content
    return [row["tracking_no"] for row in response.json()["results"]]


@pytest.fixture
def cases(org):
    wanted = complaint_make(
        org.clerk,
        title="空调不制冷",
        description="安装第二天就不制冷",
        complainant=complainant(name="欧阳 明月", phone="+86 139-1234-5678"),
    )
    other = complaint_make(org.clerk, complainant=complainant(name="王芳", phone="13800005678"))
    return wanted, other


def test_a_clerk_finds_the_case_by_tracking_number_phone_suffix_and_name(org, cases):
    wanted, other = cases
    assert found(org.clerk, wanted.tracking_no) == [wanted.tracking_no]
    assert found(org.clerk, wanted.tracking_no.lower()) == [wanted.tracking_no]
    # The last 6 digits, the whole number however it is written, the name without space.
    assert found(org.clerk, "345678") == [wanted.tracking_no]
    assert found(org.clerk, "13912345678") == [wanted.tracking_no]
    assert found(org.clerk, "0086 139 1234 5678") == [wanted.tracking_no]
    assert found(org.clerk, "欧阳明月") == [wanted.tracking_no]
    # Four digits both numbers end in find both; three are too few to mean a number.
    assert set(found(org.clerk, "5678")) == {wanted.tracking_no, other.tracking_no}
    assert found(org.clerk, "678") == []
    # A part of a name is not a name (no partial matches on personal data).
    assert found(org.clerk, "欧阳") == []
    # Text search still works beside it.
    assert found(org.clerk, "制冷") == [wanted.tracking_no]


def test_without_view_complainant_only_the_tracking_number_finds_it(org, cases):
    wanted, _ = cases
    for user in (org.supervisor, org.recorder):
        assert not user.has_perm("complaints.view_complainant")
        assert found(user, wanted.tracking_no) == [wanted.tracking_no]
        for q in ("345678", "13912345678", "欧阳明月"):
            response = api(user).get("/api/v1/complaints", {"q": q})
            # No hit, and the count does not tell that one exists either.
            assert response.json()["count"] == 0, (user, q)


def test_the_digests_do_not_hold_the_number_and_do_not_use_the_encryption_key(org, cases, settings):
    wanted, _ = cases
    person = Complainant.objects.get(pk=wanted.complainant_id)
    digests = set(
        ComplainantKey.objects.filter(complainant=person).values_list("digest", flat=True)
    )
    assert len(digests) == len("13912345678") - 3  # suffixes of 4 to 11 digits
    assert not any("5678" in d for d in digests)
    # Rotating the encryption keys leaves search working: the index key is its own.
    from cryptography.fernet import Fernet

    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    crypto._fernet.cache_clear()
    assert found(org.clerk, "345678") == [wanted.tracking_no]


@pytest.mark.parametrize("q", ["！？。，、……——", "   ", "%%%", "'\"\\;--"])
def test_a_query_of_only_punctuation_finds_nothing(org, cases, q):
    assert found(org.clerk, q) == [] or not q.strip()


def test_a_query_of_10000_characters_is_refused_naming_the_field(org, cases):
    response = api(org.clerk).get("/api/v1/complaints", {"q": "漏" * 10_000})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["q"]
    page = Client()
    page.force_login(org.clerk)
    html = page.get("/complaints/", {"q": "漏" * 10_000}).content.decode()
    assert "不超过 200 字符" in html
    assert "TS-" not in html  # no list that silently ignores the bad filter


def test_a_search_reads_no_more_rows_and_decrypts_only_what_it_shows(org, cases, monkeypatch):
    for n in range(10):
        complaint_make(org.clerk, complainant=complainant(phone=f"1370000{n:04d}"))
    calls = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: calls.append(1) or real(token))
    client = api(org.clerk)
    client.get("/api/v1/complaints", {"q": "x"})  # warm the caches (roles, plan)
    calls.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/complaints", {"q": "345678"})
    assert response.json()["count"] == 1
    # token (with the configuration token; roles from the process's cache), plan,
    # departments, the hits through the indexes (read once for the page and its count;
    # on PostgreSQL after the planner's estimate of the word), the page and the count:
    # none per row (who may search by phone follows from the roles already read, not
    # from two permission queries).
    pinned = 6 + (connection.vendor == "postgresql")
    assert len(queries) == pinned, "\n".join(q["sql"][:150] for q in queries)
    # One complaint shown: its complainant's name and phone (the fields set) decrypted,
    # none of the 11 others searched through.
    assert len(calls) == 2


def test_reindex_after_a_new_index_key_makes_the_numbers_findable_again(org, cases, settings):
    from django.core.management import call_command

    wanted, _ = cases
    settings.INDEX_KEY = "a-new-index-key"
    assert found(org.clerk, "345678") == []
    call_command("complainants", "reindex")
    assert found(org.clerk, "345678") == [wanted.tracking_no]
    assert found(org.clerk, "欧阳明月") == [wanted.tracking_no]
