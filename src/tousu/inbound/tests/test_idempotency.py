"""A retried delivery never makes a second complaint: the same Idempotency-Key with the
same body gets the first answer again — also when both arrive at the same moment — and
with another body it is refused."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tousu.complaints.access import access_code_matches
from tousu.complaints.models import Complaint
from tousu.inbound.models import InboundDelivery
from tousu.inbound.tests.partner import BODY, Partner


@pytest.mark.django_db
def test_one_key_twice_one_after_the_other_makes_one_complaint(partner):
    first = partner.deliver(idempotency_key="12345-0001")
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["tracking_no"].startswith("TS-")
    assert answer["status"] == "registered" and answer["stage"] == "报告与接收"
    assert answer["external_id"] == BODY["external_id"]
    assert "Idempotent-Replayed" not in first
    # The partner's retry, signed anew a second later.
    again = partner.deliver(idempotency_key="12345-0001", timestamp=int(time.time()) + 1)
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == answer
    complaint = Complaint.objects.get()
    assert complaint.tracking_no == answer["tracking_no"]
    # The code works (for the portal's tracking page the link goes to).
    assert access_code_matches(complaint, answer["access_code"])
    assert answer["track_url"].endswith(
        f"/portal/track/{complaint.tracking_no}/?code={answer['access_code']}"
    )


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(partner):
    assert partner.deliver(idempotency_key="12345-0001").status_code == 201
    other = {**BODY, "title": "另一件事"}
    response = partner.deliver(other, idempotency_key="12345-0001")
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert Complaint.objects.count() == 1
    # Another key is another delivery (signed at its own time: the same body signed in
    # the same second is the same signed request, a replay).
    later = int(time.time()) + 1
    assert partner.deliver(other, idempotency_key="12345-0002", timestamp=later).status_code == 201
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_a_delivery_without_a_key_is_refused(partner):
    response = partner.deliver(idempotency_key=None)
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    response = partner.deliver(idempotency_key="带中文的键", timestamp=int(time.time()) + 1)
    assert response.status_code == 400
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_a_refused_body_does_not_use_up_its_key(partner):
    bad = {**BODY, "category": "no_such_category"}
    assert partner.deliver(bad, idempotency_key="k").status_code == 422
    assert not InboundDelivery.objects.exists()
    assert partner.deliver(idempotency_key="k", timestamp=int(time.time()) + 1).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_twice_at_once_on_postgresql_makes_one_complaint(partner):
    """Two deliveries with one key arrive at the same moment, each on its own connection
    (the partner's retry overtaking its first try): one complaint, one answer."""
    start = threading.Barrier(2)
    now = int(time.time())
    answers: list = [None, None]
    errors: list[BaseException] = []

    def deliver(index: int) -> None:
        # Each try is signed on its own (a second apart), as a retry is.
        sender = Partner(partner.key, partner.secret, Client())
        try:
            start.wait()
            answers[index] = sender.deliver(idempotency_key="12345-0001", timestamp=now - index)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(a.status_code for a in answers) == [200, 201], [a.content for a in answers]
    first, second = sorted(answers, key=lambda a: a.status_code, reverse=True)
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert Complaint.objects.count() == 1
    assert Complaint.objects.get().tracking_no == first.json()["tracking_no"]
    assert InboundDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_delivery_that_loses_the_race_undoes_its_work_and_gives_the_first_answer(partner):
    """What the second of two simultaneous deliveries does when its row cannot be
    written (the first committed it meanwhile): everything it did is undone."""
    from tousu.inbound.models import InboundSource
    from tousu.inbound.schemas import InboundComplaint
    from tousu.inbound.services import body_digest, complaint_deliver
    from tousu.inbound.tests.partner import raw

    source = InboundSource.objects.get(key=partner.key)
    data, digest = InboundComplaint.model_validate(BODY), body_digest(raw(BODY))
    first = complaint_deliver(source=source, idempotency_key="k", digest=digest, data=data)
    second = complaint_deliver(source=source, idempotency_key="k", digest=digest, data=data)
    assert (first.status, second.status, second.replayed) == (201, 200, True)
    assert second.body == first.body
    assert Complaint.objects.count() == 1
