"""Rate limits: per client address and per phone number, shared through the database;
over the limit the page and the API answer 429 with Retry-After."""

import pytest

from tousu.complaints.models import Complaint
from tousu.plans.tests.scenario import fake_clock
from tousu.portal.models import ThrottleCount
from tousu.portal.tests.helpers import api_json, form_data, solved
from tousu.portal.tests.test_api import BODY
from tousu.portal.throttle import Rate, Throttled, rate_hit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _still(monkeypatch):
    """The clock stands still: every hit falls in one window of each limit."""
    fake_clock(monkeypatch)


def test_fifty_submissions_a_minute_from_one_address_get_429(market, client):
    answers = []
    for n in range(50):
        data = form_data(client, phone=f"139{n:08d}")
        answers.append(client.post("/portal/", data, REMOTE_ADDR="203.0.113.7"))
    filed = [r for r in answers if r.status_code == 302]
    refused = [r for r in answers if r.status_code == 429]
    assert len(filed) == 5 and len(refused) == 45
    assert Complaint.objects.count() == 5
    for response in refused:
        assert 0 < int(response["Retry-After"]) <= 600
        assert 'id="throttled"' in response.content.decode()
    # Another address is not held back.
    other = client.post("/portal/", form_data(client), REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 302


def test_a_phone_number_files_at_most_three_an_hour(market, client):
    codes = [
        client.post("/portal/", form_data(client), REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(1, 5)
    ]
    assert codes == [302, 302, 302, 429]


def test_the_api_answers_429_as_a_problem_with_retry_after(market, client, settings):
    settings.PORTAL_RATES = {"file_address": (1, 600)}
    first = api_json(client, "/api/v1/portal/complaints", {**BODY, "altcha": solved(client)})
    assert first.status_code == 201
    body = {**BODY, "phone": "13812345678", "altcha": solved(client)}
    second = api_json(client, "/api/v1/portal/complaints", body)
    assert second.status_code == 429
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["status"] == 429 and int(second["Retry-After"]) > 0


def test_a_forwarded_header_is_not_trusted_from_a_client(market, client):
    for n in range(5):
        data = form_data(client, phone=f"137{n:08d}")
        client.post("/portal/", data, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    data = form_data(client, phone="13600000000")
    refused = client.post(
        "/portal/", data, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert refused.status_code == 429


def test_the_counters_hold_no_address_or_number(market, client):
    client.post("/portal/", form_data(client), REMOTE_ADDR="203.0.113.44")
    keys = " ".join(ThrottleCount.objects.values_list("key", flat=True))
    assert "203.0.113.44" not in keys and "13912345678" not in keys


def test_a_window_that_is_over_counts_again(db):
    from datetime import timedelta

    from django.utils import timezone

    limit = Rate(scope="test", limit=2, seconds=60)
    now = timezone.now()
    rate_hit(limit, "x", now=now)
    rate_hit(limit, "x", now=now)
    with pytest.raises(Throttled):
        rate_hit(limit, "x", now=now)
    rate_hit(limit, "x", now=now + timedelta(seconds=61))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_counted_once_each_on_postgresql():
    """Twenty web processes' worth of hits at once: exactly the limit gets through."""
    import threading

    from django.db import connection

    limit = Rate(scope="concurrent", limit=5, seconds=3600)
    passed, start = [], threading.Barrier(20)

    def hit() -> None:
        try:
            start.wait()
            rate_hit(limit, "203.0.113.50")
            passed.append(1)
        except Throttled:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 5
    assert ThrottleCount.objects.get(scope="concurrent").count == 20


def test_one_phone_number_written_three_ways_is_one_number(market, client):
    ways = ["139-1234-5678", "+86 139 1234 5678", "008613912345678", "13912345678"]
    codes = [
        client.post(
            "/portal/", form_data(client, phone=phone), REMOTE_ADDR=f"198.51.100.{n}"
        ).status_code
        for n, phone in enumerate(ways, start=1)
    ]
    assert codes == [302, 302, 302, 429]


def test_an_ipv6_network_counts_as_one_address(market, client):
    answers = [
        client.post(
            "/portal/", form_data(client, phone=f"135{n:08d}"), REMOTE_ADDR=f"2001:db8:1:2::{n:x}"
        ).status_code
        for n in range(1, 7)
    ]
    assert answers == [302] * 5 + [429]
    # Another /64 is another address.
    other = client.post(
        "/portal/", form_data(client, phone="13300000000"), REMOTE_ADDR="2001:db8:1:3::1"
    )
    assert other.status_code == 302
