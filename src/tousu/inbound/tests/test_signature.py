"""Who may hand complaints over: only a source, signing each request with its secret, at
a time near Tousu's clock, and never the same signed request twice. Whatever is refused
leaves nothing behind."""

import json
import time

import pytest

from tousu.complaints.models import Complaint
from tousu.inbound.models import InboundSource
from tousu.inbound.tests.partner import BODY, Partner, raw

pytestmark = pytest.mark.django_db


def refused(response, header: str) -> dict:
    """A 401 problem naming ``header``; nothing was registered."""
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [header]
    assert not Complaint.objects.exists()
    return problem


def test_a_signed_delivery_is_registered(partner):
    response = partner.deliver()
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(tracking_no=response.json()["tracking_no"])
    assert complaint.channel == "api" and complaint.received_by is None


def test_a_forged_signature_is_refused(partner):
    forger = Partner(partner.key, "not-the-secret-" + "x" * 32)
    problem = refused(forger.deliver(), "X-Tousu-Signature")
    assert "HMAC-SHA256" in problem["detail"]


def test_a_body_changed_after_signing_is_refused(partner):
    signed = partner.headers(raw(BODY))
    other = raw({**BODY, "title": "改过的标题"})
    response = partner.client.post(
        f"/api/v1/inbound/{partner.key}/complaints",
        other,
        content_type="application/json",
        headers={**signed, "Idempotency-Key": "k1"},
    )
    refused(response, "X-Tousu-Signature")


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Tousu-Signature", ""),
        ("X-Tousu-Signature", "md5=abc"),
        ("X-Tousu-Timestamp", ""),
        ("X-Tousu-Timestamp", "yesterday"),
    ],
)
def test_a_missing_or_malformed_header_is_named(partner, header, value):
    refused(partner.deliver(headers={header: value}), header)


def test_an_expired_timestamp_is_refused(partner):
    # Signed correctly, six minutes ago: outside the five-minute replay window.
    problem = refused(partner.deliver(timestamp=int(time.time()) - 360), "X-Tousu-Timestamp")
    assert "300" in problem["detail"]


def test_a_timestamp_from_the_future_is_refused(partner):
    refused(partner.deliver(timestamp=int(time.time()) + 360), "X-Tousu-Timestamp")


def test_the_window_is_the_sources_own(partner):
    InboundSource.objects.filter(key=partner.key).update(replay_window=600)
    response = partner.deliver(timestamp=int(time.time()) - 360)
    assert response.status_code == 201, response.content


def test_a_replayed_delivery_is_refused(partner):
    """The very same signed request, sent again (by a retry that did not sign anew, or by
    someone who copied it): refused, even under another idempotency key."""
    data = raw(BODY)
    signed = partner.headers(data)
    first = partner.client.post(
        f"/api/v1/inbound/{partner.key}/complaints",
        data,
        content_type="application/json",
        headers={**signed, "Idempotency-Key": "k1"},
    )
    assert first.status_code == 201
    for key in ("k1", "k2"):
        again = partner.client.post(
            f"/api/v1/inbound/{partner.key}/complaints",
            data,
            content_type="application/json",
            headers={**signed, "Idempotency-Key": key},
        )
        assert again.status_code == 401, again.content
        assert [e["field"] for e in again.json()["errors"]] == ["X-Tousu-Signature"]
    assert Complaint.objects.count() == 1


def test_an_unknown_or_inactive_source_gets_the_forgers_answer(partner):
    """Nobody learns which sources exist: the answer is the one a wrong secret gets."""
    forged = Partner(partner.key, "y" * 43).deliver().json()
    unknown = Partner("no-such-source", partner.secret).deliver().json()
    InboundSource.objects.filter(key=partner.key).update(is_active=False)
    inactive = partner.deliver(idempotency_key="k2").json()
    assert forged == unknown == inactive
    assert not Complaint.objects.exists()


def test_a_get_signs_its_path(partner):
    no = partner.deliver().json()["tracking_no"]
    assert partner.get(no).status_code == 200
    # A signature of one path does not open another.
    other = f"/api/v1/inbound/{partner.key}/complaints/TS-20260101-000001"
    signed = partner.headers(f"/api/v1/inbound/{partner.key}/complaints/{no}".encode())
    response = partner.client.get(other, headers=signed)
    assert response.status_code == 401
    assert json.loads(response.content)["errors"][0]["field"] == "X-Tousu-Signature"
