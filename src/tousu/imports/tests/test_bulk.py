"""The bulk path writes what registration writes: the same complainant (encrypted, with
its look-up keys), the same registration event, the same plan start and deadline rows
as ``complaint_register`` for a complaint received at the same time through the import."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from tousu.audit.models import AuditEvent
from tousu.complaints.bulk import BulkIntake, complaints_register_bulk, tracking_numbers_take
from tousu.complaints.lookup import phone_digits, phone_key
from tousu.complaints.models import ComplainantKey, Complaint
from tousu.complaints.services import complaint_register
from tousu.complaints.tests.factories import complainant
from tousu.core.actors import IMPORT
from tousu.deadlines.models import Deadline
from tousu.imports.tests.files import ago

FIELDS = {
    "channel": "import",
    "title": "电热水壶使用一周漏水",
    "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
    "merchant": "鑫达电器行",
    "product": "电热水壶",
}
TERMS = (
    "stage",
    "kind",
    "anchor_at",
    "amount",
    "unit",
    "business_hours",
    "warn_fraction",
    "warn_lead",
    "due_at",
    "warn_at",
    "provisional",
)


def _events(complaint: Complaint) -> list[tuple[str, dict]]:
    """The complaint's events; the registration's list of deadlines is checked against
    the complaint's rows and then named by kind, so two complaints' compare."""
    events = []
    rows = {row.pk: row.kind for row in Deadline.objects.filter(complaint=complaint)}
    for event in AuditEvent.objects.filter(complaint=complaint).order_by("chain_seq"):
        data = dict(event.data)
        if "deadlines" in data:
            assert sorted(d["deadline"] for d in data["deadlines"]) == sorted(rows)
            data["deadlines"] = [{**d, "deadline": rows[d["deadline"]]} for d in data["deadlines"]]
        events.append((event.action, data))
    return events


def test_a_bulk_registration_writes_what_complaint_register_writes(db, tmp_path):
    from tousu.demo.loader import demo_organisation_create

    demo_organisation_create("market")
    received = ago(hours=5)
    person = complainant(address="上城区解放路1号", email="zhang@example.cn")
    one = complaint_register(
        actor=IMPORT, category="quality", complainant=person, received_at=received, **FIELDS
    )
    intake = BulkIntake()
    now = timezone.now()
    checked, errors = intake.check(
        category="quality", complainant=person, received_at=received, now=now, **FIELDS
    )
    assert errors == {} and checked is not None
    numbers = tracking_numbers_take([received])
    with transaction.atomic():
        outcome = complaints_register_bulk(
            intake=intake, rows=[checked], tracking_nos=numbers, now=now
        )
    bulk = Complaint.objects.get(pk=outcome.complaints[0].pk)

    assert bulk.tracking_no == one.tracking_no[:-1] + "2"  # the same day's next number
    for name in ("title", "category_id", "department_id", "stage", "status", "severity"):
        assert getattr(bulk, name) == getattr(one, name), name
    assert bulk.workflow["anchors"]["received"] == one.workflow["anchors"]["received"]
    assert bulk.search_document.document == one.search_document.document
    assert (bulk.complainant.name, bulk.complainant.email) == ("张伟", "zhang@example.cn")
    assert bulk.complainant.phone_digest == one.complainant.phone_digest
    assert ComplainantKey.objects.filter(
        complainant=bulk.complainant, digest=phone_key(phone_digits("5678"))
    ).exists()
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute(
            "SELECT name, phone FROM complaints_complainant WHERE id = %s", [bulk.complainant_id]
        )
        stored = cursor.fetchone()
    assert "张伟" not in stored[0] and "13812345678" not in stored[1]

    def terms(complaint):
        rows = Deadline.objects.filter(complaint=complaint).order_by("kind")
        return [tuple(getattr(row, name) for name in TERMS) for row in rows]

    assert terms(bulk) == terms(one) and len(terms(bulk)) == 2
    ours, theirs = _events(bulk), _events(one)
    # Registration queues the receipt and weighs triggers; the rows it writes are these.
    assert [action for action, _data in ours] == [action for action, _data in theirs]
    assert ours == theirs
    assert outcome.breached == 0
