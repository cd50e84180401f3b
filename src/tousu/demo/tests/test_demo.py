import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tousu.accounts.models import User
from tousu.audit.services import audit_verify
from tousu.complaints.models import Complainant, Complaint
from tousu.demo.loader import USERNAMES

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_loads_every_role_and_complaints_across_statuses_and_channels():
    out = io.StringIO()
    call_command("demo", "--complaints", "60", stdout=out)
    assert "plan market" in out.getvalue() and "60 complaints" in out.getvalue()
    assert set(USERNAMES) <= set(User.objects.values_list("username", flat=True))
    assert Complaint.objects.filter(plan_revision__plan__key="market").count() == 60
    assert Complaint.objects.values("status").distinct().count() >= 4
    assert Complaint.objects.values("channel").distinct().count() >= 4
    assert Complaint.objects.values("category").distinct().count() >= 5
    assert audit_verify().ok
    call_command("demo", "--if-empty", stdout=out)
    assert "not empty" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo")


def test_demo_phone_numbers_are_not_in_the_database_in_plain_text():
    call_command("demo", "--complaints", "30", stdout=io.StringIO())
    phones = [p.phone for p in Complainant.objects.all()]
    id_numbers = [p.id_number for p in Complainant.objects.exclude(id_number="")]
    assert len(phones) == 30 and all(len(p) == 11 for p in phones) and id_numbers
    if connection.vendor == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        raw = b"".join(f.read_bytes() for f in (path, Path(f"{path}-wal")) if f.exists())
        assert len(raw) > 100_000
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, phone, id_number, address FROM complaints_complainant")
            raw = repr(cursor.fetchall()).encode()
    for phone in phones:
        assert phone.encode() not in raw
    for id_number in id_numbers:
        assert id_number.encode() not in raw


@pytest.mark.parametrize("plan", ["school", "dealer_315", "petition"])
def test_demo_runs_under_other_plans(plan):
    call_command("demo", "--plan", plan, "--complaints", "12", stdout=io.StringIO())
    assert Complaint.objects.filter(plan_revision__plan__key=plan).count() == 12
    assert Complaint.objects.exclude(
        stage=Complaint.objects.first().plan_revision.definition["initial_stage"]
    ).exists()
