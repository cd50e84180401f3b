"""``objects_insert_linked``: rows of several models whose foreign keys point at rows
written in the same call — one statement on PostgreSQL, one a part elsewhere — with the
same rows, keys and related instances either way, and nothing written when one part
fails."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.audit.linked import AdvisoryLocks, Locked, Part, Rows, objects_insert_linked
from tousu.audit.models import AuditChain
from tousu.complaints.models import (
    Complainant,
    ComplainantKey,
    ComplaintMatter,
    ComplaintSignature,
    SimilarityBand,
)
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db


def _person(name: str = "张伟") -> Complainant:
    return Complainant(name=name, phone="13912345678")


@contextmanager
def _held_by_another(write):
    """Run ``write()`` in a transaction on another thread (its own connection) and keep
    that transaction open while the block runs; raises what the thread raised."""
    holding, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                write()
                holding.set()
                assert release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10), errors
        yield
    finally:
        release.set()
        thread.join(30)
    assert errors == []


def _joining(complaint, matter: ComplaintMatter) -> list[Locked | Part]:
    """The parts of a complaint joining an existing ``matter``, locked."""
    signature = ComplaintSignature(
        complaint=complaint,
        matter=ComplaintMatter(pk=matter.pk),
        received_at=complaint.received_at,
        signature=b"\x01" * 16,
        score=0.9,
    )
    return [Locked(ComplaintMatter, matter.pk), Part([signature], links={"matter_id": 0})]


def test_linked_rows_get_their_keys_and_links_in_one_statement_on_postgresql(org):
    person = _person()
    keys = [ComplainantKey(complainant=person, digest=f"d{n}") for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        objects_insert_linked([Part([person]), Part(keys, links={"complainant_id": 0})])
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert person.pk is not None
    stored = Complainant.objects.get(pk=person.pk)
    assert (stored.name, stored.phone) == ("张伟", "13912345678")  # encrypted, read back
    assert sorted(
        ComplainantKey.objects.filter(complainant=person).values_list("digest", flat=True)
    ) == ["d0", "d1", "d2"]
    assert all(key.pk and key.complainant_id == person.pk for key in keys)
    # The related instance stays on the new rows: reading it costs no query.
    with CaptureQueriesContext(connection) as queries:
        assert keys[0].complainant is person
    assert len(queries) == 0


def test_rows_given_as_values_take_the_key_of_the_row_they_link_to(org):
    """``Rows``: values, no instances — the link is the new row's key, the time is stored
    as its field stores it, in the same one statement on PostgreSQL."""
    person, other = _person(), Complainant.objects.create(name="李娜", phone="13800001111")
    digests = Rows(ComplainantKey, ("digest",), [("r0",), ("r1",)], links={"complainant_id": 0})
    with CaptureQueriesContext(connection) as queries:
        objects_insert_linked([Part([person]), digests])
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert sorted(
        ComplainantKey.objects.filter(complainant=person).values_list("digest", flat=True)
    ) == ["r0", "r1"]
    assert not ComplainantKey.objects.filter(complainant=other, digest__startswith="r").exists()
    # Rows alone (nothing to read back), their own keys and a time given in China.
    complaint = complaint_make(org.clerk)
    at = timezone.localtime(timezone.now())
    objects_insert_linked(
        [
            Rows(
                SimilarityBand,
                ("complaint", "band", "bucket", "received_at"),
                [(complaint.pk, 7, -5, at)],
            )
        ]
    )
    band = SimilarityBand.objects.get(complaint=complaint, band=7)
    assert (band.bucket, band.received_at) == (-5, at)


def test_a_part_may_link_to_a_locked_existing_row(org):
    complaint = complaint_make(org.clerk)
    ComplaintSignature.objects.filter(complaint=complaint).delete()  # a plan's own
    matter = ComplaintMatter.objects.create(
        key="TS-MATTER", plan_key="market", started_at=timezone.now()
    )
    objects_insert_linked(_joining(complaint, matter))
    assert ComplaintSignature.objects.get(complaint=complaint).matter_id == matter.pk


def test_a_failing_part_leaves_nothing_of_the_call(org):
    AuditChain.objects.create(key="complaint:taken", last_seq=0)
    person = _person("李娜")
    keys = [ComplainantKey(complainant=person, digest="only")]
    clash = AuditChain(key="complaint:taken", last_seq=1, last_hash="0" * 64, sealed=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        objects_insert_linked(
            [Part([person]), Part(keys, links={"complainant_id": 0}), Part([clash])]
        )
    assert not ComplainantKey.objects.filter(digest="only").exists()
    assert AuditChain.objects.filter(key="complaint:taken").count() == 1


def test_empty_parts_are_skipped_and_a_link_needs_a_part_of_one_row(org):
    objects_insert_linked([Part([])])  # nothing to write, no statement
    people = [_person("甲"), _person("乙")]
    keys = [ComplainantKey(complainant=people[0], digest="x")]
    with pytest.raises(AssertionError), transaction.atomic():
        objects_insert_linked([Part(people), Part(keys, links={"complainant_id": 0})])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_locked_row_is_held_until_the_transaction_ends(org):
    """Another connection that wants the row waits for the commit (``lock_timeout``
    turns the wait into an error while the first transaction is open)."""
    complaint = complaint_make(org.clerk)
    ComplaintSignature.objects.filter(complaint=complaint).delete()  # a plan's own
    matter = ComplaintMatter.objects.create(
        key="TS-HELD", plan_key="market", started_at=timezone.now()
    )
    joining = _joining(complaint, matter)
    with (
        _held_by_another(lambda: objects_insert_linked(joining)),
        pytest.raises(OperationalError),
        transaction.atomic(),
    ):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
        list(ComplaintMatter.objects.select_for_update().filter(pk=matter.pk))
    with transaction.atomic():
        assert list(ComplaintMatter.objects.select_for_update().filter(pk=matter.pk))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_advisory_locks_are_taken_in_the_statement_and_held_until_the_end(org):
    """A part of advisory locks costs no statement of its own, and another connection
    cannot take those locks until the transaction that took them ends."""
    keys = [-(2**62) + 7, 11, 11, 5]
    statements: list[int] = []

    def write():
        with CaptureQueriesContext(connection) as queries:
            objects_insert_linked([Part([_person()]), AdvisoryLocks(keys)])
        statements.append(len(queries))

    def free(key: int) -> bool:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            return bool(cursor.fetchone()[0])

    with _held_by_another(write):
        assert statements == [1]
        assert not any(free(key) for key in set(keys))
        assert free(12)
    assert all(free(key) for key in set(keys))
