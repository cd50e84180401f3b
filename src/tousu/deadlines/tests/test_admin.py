import datetime as dt

import pytest
from django.test import Client

from tousu.accounts.services import user_create
from tousu.audit.models import AuditEvent
from tousu.complaints.tests.factories import complaint_make
from tousu.deadlines.calendar import SHANGHAI
from tousu.deadlines.models import CalendarOverride
from tousu.deadlines.services import deadline_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(org):
    user_create(username="root", password="pw-for-tests", is_superuser=True)
    # The admin answers in the browser's language; these tests read English.
    client = Client(headers={"Accept-Language": "en"})
    assert client.login(username="root", password="pw-for-tests")
    return client


def test_admin_edits_go_through_the_service(org, admin_client):
    row = deadline_open(
        complaint=complaint_make(org.clerk),
        stage="investigation",
        kind="stage",
        anchor_at=dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI),
        amount=5,
        unit="working_days",
    )
    response = admin_client.post(
        "/admin/deadlines/calendaroverride/add/",
        {"day": "2026-10-13", "kind": "holiday", "name": "本地假日", "note": ""},
    )
    assert response.status_code == 302, response.content
    row.refresh_from_db()
    assert row.due_at == dt.datetime(2026, 10, 14, 23, 59, 59, tzinfo=SHANGHAI)
    assert AuditEvent.objects.filter(action="calendar.override_set").count() == 1

    override = CalendarOverride.objects.get()
    response = admin_client.post(
        f"/admin/deadlines/calendaroverride/{override.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.due_at == dt.datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)
    assert not CalendarOverride.objects.exists()


def test_admin_refuses_a_day_out_of_range_in_the_form(admin_client):
    response = admin_client.post(
        "/admin/deadlines/calendaroverride/add/",
        {"day": "2199-10-13", "kind": "holiday", "name": "x", "note": ""},
    )
    assert response.status_code == 200
    assert "Choose a day from 2000 to 2099." in response.content.decode()
    assert not CalendarOverride.objects.exists()


def test_official_years_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/deadlines/calendaryear/add/").status_code == 403
    assert admin_client.get("/admin/deadlines/calendaryear/").status_code == 200


def test_admin_bulk_delete_goes_through_the_service(admin_client):
    for day in (12, 13):
        admin_client.post(
            "/admin/deadlines/calendaroverride/add/",
            {"day": f"2026-10-{day}", "kind": "holiday", "name": "x", "note": ""},
        )
    ids = [str(pk) for pk in CalendarOverride.objects.values_list("pk", flat=True)]
    response = admin_client.post(
        "/admin/deadlines/calendaroverride/",
        {"action": "delete_through_service", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert AuditEvent.objects.filter(action="calendar.override_cleared").count() == 2
