"""Who may hand complaints over: only a source, signing each request with its secret, at
a time near Tousu's clock, and never the same signed request twice. Whatever is refused
leaves nothing behind."""

import json
import time

import pytest

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.inbound.models import InboundSource
from tousu.inbound.signatures import request_signature_of
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
    url = partner.url("complaints")
    signed = partner.headers("POST", url, raw(BODY))
    other = raw({**BODY, "title": "改过的标题"})
    response = partner.client.post(
        url,
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
    url = partner.url("complaints")
    signed = partner.headers("POST", url, data)
    first = partner.client.post(
        url,
        data,
        content_type="application/json",
        headers={**signed, "Idempotency-Key": "k1"},
    )
    assert first.status_code == 201
    for key in ("k1", "k2"):
        again = partner.client.post(
            url,
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


def test_a_get_signs_its_method_and_path(partner):
    no = partner.deliver().json()["tracking_no"]
    assert partner.get(no).status_code == 200
    # A signature of one path does not open another.
    other = partner.url("complaints/TS-20260101-000001")
    signed = partner.headers("GET", partner.url(f"complaints/{no}"))
    response = partner.client.get(other, headers=signed)
    assert response.status_code == 401
    assert json.loads(response.content)["errors"][0]["field"] == "X-Tousu-Signature"


def test_a_query_string_is_not_signed(partner):
    no = partner.deliver().json()["tracking_no"]
    path = partner.url(f"complaints/{no}")
    response = partner.client.get(path + "?lang=zh", headers=partner.headers("GET", path))
    assert response.status_code == 200, response.content


def test_material_signed_for_one_complaint_cannot_be_sent_to_another(partner):
    """A captured material delivery, re-aimed at another complaint's URL (a fresh
    idempotency key does not help): refused, and nothing is added to either."""
    first = partner.deliver(idempotency_key="c-1").json()["tracking_no"]
    second = partner.deliver(
        {**BODY, "external_id": "12345-20260930-0002"}, idempotency_key="c-2"
    ).json()["tracking_no"]
    data = raw({"material": "补充：摊贩今天又来了。"})
    signed = partner.headers("POST", partner.url(f"complaints/{first}/material"), data)
    response = partner.client.post(
        partner.url(f"complaints/{second}/material"),
        data,
        content_type="application/json",
        headers={**signed, "Idempotency-Key": "m-2"},
    )
    assert response.status_code == 401, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["X-Tousu-Signature"]
    actions = AuditEvent.objects.filter(action="complaint.action")
    assert not actions.filter(complaint__tracking_no__in=[first, second]).exists()
    # Signed for where it goes, the same material is taken.
    taken = partner.post(f"complaints/{second}/material", data, idempotency_key="m-3")
    assert taken.status_code == 201, taken.content
    assert actions.get().complaint.tracking_no == second


def test_a_post_signed_as_a_get_is_refused(partner):
    """The same path, another method: the method is signed too."""
    url = partner.url("complaints")
    data = raw(BODY)
    signed = partner.headers("GET", url, data)
    response = partner.client.post(
        url, data, content_type="application/json", headers={**signed, "Idempotency-Key": "k"}
    )
    refused(response, "X-Tousu-Signature")


def test_the_worked_example_of_the_documentation_holds():
    """docs/inbound-api.md: the same secret, timestamp, request and body, the same
    signatures as it prints (computed there with Python and openssl)."""
    secret = "kY3v9n2Qx8VbL4sT7pW1zR6mC0dF5hJ9aE2uG8iN3oQ"
    body = (
        '{"title":"学校门口流动摊贩长期占道经营","description":"城南第二小学门口放学时段有流动摊贩'
        '占用人行道。","category":"urban_management","complainant":{"name":"王芳","phone":'
        '"13912345678"},"external_id":"12345-20260930-0001"}'
    ).encode()
    assert len(body) == 260
    path = "/api/v1/inbound/hotline-12345/complaints"
    posted = request_signature_of(secret, 1790755200, method="POST", path=path, body=body)
    assert posted == "2aeff964ccd19343fda9859b72c3524b50a29b08f1fe1aa5cfb3b0438d56b455"
    read = request_signature_of(
        secret, 1790755200, method="GET", path=f"{path}/TS-20260930-000001", body=b""
    )
    assert read == "69c14c813284edbc050cfed8522d55bb069ffdac9e36ea0813eea54dc0bcaa23"
