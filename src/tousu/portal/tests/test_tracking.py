"""The tracking page: opened by number and code (or a one-time code), the same answer for
a wrong code and an unknown number, slowed down after repeated tries; the complainant's
actions go through the plan's engine."""

import re

import pytest
from django.utils import translation

from tousu.complaints.models import Complaint
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import fake_clock
from tousu.portal.tests.helpers import api_json, file_one, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The clock stands still (the failures of one test fall in one throttle window)
    until a test moves it."""
    return fake_clock(monkeypatch)


def opening(client, number, code, **extra):
    return client.post("/portal/track/", {"tracking_no": number, "code": code}, **extra)


def refusal(response) -> str:
    (message,) = re.findall(r'data-field="code">([^<]*)<', response.content.decode())
    return message


def test_a_wrong_code_gets_the_answer_an_unknown_number_gets(market, client):
    number, code = file_one(client)
    stranger = type(client)()
    wrong = opening(stranger, number, "ABCD2345")
    unknown = opening(stranger, "TS-20200101-000001", "ABCD2345")
    assert wrong.status_code == unknown.status_code == 404
    assert refusal(wrong) == refusal(unknown)
    assert 'id="case-no"' not in stranger.get(f"/portal/track/{number}/").content.decode()
    # The API: the very same problem body.
    api_wrong = api_json(stranger, "/api/v1/portal/track", {"tracking_no": number, "code": "X"})
    api_unknown = api_json(
        stranger, "/api/v1/portal/track", {"tracking_no": "TS-20200101-000001", "code": "X"}
    )
    assert api_wrong.status_code == api_unknown.status_code == 404
    assert api_wrong.json() == api_unknown.json()
    # The right code opens it.
    opened = opening(stranger, number, code.lower(), follow=True)
    assert 'id="case-no"' in opened.content.decode()


def one_time_code_sent(client, number) -> str:
    client.post("/portal/track/", {"tracking_no": number, "send_code": "1"})
    message = Notification.objects.filter(key__contains="one_time_code", channel="email")
    body = message.order_by("-pk").first().body
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body.replace(number, "")).group(1)


def test_wrong_access_codes_do_not_lock_the_complainant_out(market, client):
    number, code = file_one(client)
    stranger = type(client)()
    for n in range(20):
        wrong = opening(stranger, number, f"WRONG{n:03d}", REMOTE_ADDR=f"10.1.0.{n}")
        assert wrong.status_code == 404
    # The complainant's own access code still opens it.
    assert opening(type(client)(), number, code, REMOTE_ADDR="10.1.0.99").status_code == 302
    # One address trying many numbers or codes is held back.
    for n in range(10):
        opening(stranger, f"TS-20200101-{n:06d}", "ABCD2345", REMOTE_ADDR="10.2.0.1")
    other = opening(stranger, "TS-20200102-000001", "ABCD2345", REMOTE_ADDR="10.2.0.1")
    assert other.status_code == 429 and int(other["Retry-After"]) > 0


def test_three_wrong_one_time_codes_void_the_codes_sent(market, client):
    number, code = file_one(client, email="zhangwei@example.com")
    one_time = one_time_code_sent(client, number)
    stranger = type(client)()
    wrong = [f"{(int(one_time) + n) % 1_000_000:06d}" for n in (1, 2, 3)]
    for n, guess in enumerate(wrong):
        assert opening(stranger, number, guess, REMOTE_ADDR=f"10.3.0.{n}").status_code == 404
    # The right code comes too late: it is void.
    assert opening(type(client)(), number, one_time).status_code == 404
    # A new code opens, and the access code was never held back.
    assert opening(type(client)(), number, one_time_code_sent(client, number)).status_code == 302
    assert opening(type(client)(), number, code).status_code == 302


def test_one_time_code_guesses_for_a_number_are_slowed_down(market, client):
    number, code = file_one(client)
    stranger = type(client)()
    for n in range(5):
        guess = opening(stranger, number, f"{n:06d}", REMOTE_ADDR=f"10.4.0.{n}")
        assert guess.status_code == 404
    held = opening(stranger, number, "999999", REMOTE_ADDR="10.4.0.99")
    assert held.status_code == 429 and int(held["Retry-After"]) > 0
    # The same for a number that does not exist (nothing to learn from the 429).
    for n in range(6):
        unknown = opening(stranger, "TS-20200101-000001", f"{n:06d}", REMOTE_ADDR=f"10.5.0.{n}")
    assert unknown.status_code == 429
    # The access code still opens the complaint.
    assert opening(type(client)(), number, code, REMOTE_ADDR="10.4.0.98").status_code == 302


def test_the_case_actions_refuse_a_post_without_the_csrf_token(market, client):
    from django.test import Client

    number, code = file_one(client)
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(f"/portal/track/{number}/?code={code}").status_code == 302
    assert 'id="case-no"' in browser.get(f"/portal/track/{number}/").content.decode()
    forged = browser.post(
        f"/portal/track/{number}/act/withdraw/", {"withdraw-reason": "不想投诉了"}
    )
    assert forged.status_code == 403
    assert Complaint.objects.get(tracking_no=number).stage == "intake"


def test_the_receipt_link_opens_the_complaint(market, client):
    number, code = file_one(client)
    stranger = type(client)()
    response = stranger.get(f"/portal/track/{number}/?code={code}")
    assert response.status_code == 302 and response["Location"] == f"/portal/track/{number}/"
    page = stranger.get(response["Location"]).content.decode()
    assert 'id="case-stage">投诉受理<' in page
    bad = type(client)().get(f"/portal/track/{number}/?code=ZZZZ2222")
    assert bad.status_code == 404 and 'id="case-no"' not in bad.content.decode()


def test_a_one_time_code_opens_once(market, client):
    number, _code = file_one(client, email="zhangwei@example.com")
    stranger = type(client)()
    sent = stranger.post("/portal/track/", {"tracking_no": number, "send_code": "1"})
    assert sent.status_code == 200 and 'id="code-sent"' in sent.content.decode()
    message = Notification.objects.get(key__contains="one_time_code", channel="email")
    assert message.address == "zhangwei@example.com"
    one_time = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body.replace(number, "")).group(1)
    opened = opening(stranger, number, one_time, follow=True)
    assert 'id="case-no"' in opened.content.decode()
    assert opening(type(client)(), number, one_time).status_code == 404  # spent
    # Asking for a code for an unknown number looks the same, and sends nothing.
    unknown = stranger.post(
        "/portal/track/", {"tracking_no": "TS-20200101-000009", "send_code": "1"}
    )
    assert unknown.status_code == 200 and 'id="code-sent"' in unknown.content.decode()
    assert Notification.objects.filter(key__contains="one_time_code").count() == 1


def test_a_second_code_asked_for_is_sent_too_and_opens(market, client):
    number, _code = file_one(client, email="zhangwei@example.com")
    stranger = type(client)()
    for _ in range(2):
        stranger.post("/portal/track/", {"tracking_no": number, "send_code": "1"})
    messages = Notification.objects.filter(key__contains="one_time_code").order_by("pk")
    assert messages.count() == 2
    latest = re.search(r"(?<!\d)(\d{6})(?!\d)", messages.last().body.replace(number, "")).group(1)
    assert 'id="case-no"' in opening(stranger, number, latest, follow=True).content.decode()


def test_access_in_the_browser_session_expires(market, client, still_clock):
    from datetime import timedelta

    from django.utils import timezone

    number, _code = file_one(client)
    assert 'id="case-no"' in client.get(f"/portal/track/{number}/").content.decode()
    still_clock((timezone.now() + timedelta(minutes=31)).isoformat())
    page = client.get(f"/portal/track/{number}/").content.decode()
    assert 'id="case-no"' not in page and 'id="track-form"' in page


def test_a_rating_before_any_reply_gets_the_engines_refusal_beside_the_field(market, client):
    number, _code = file_one(client)
    complaint = Complaint.objects.get(tracking_no=number)
    response = client.post(
        f"/portal/track/{number}/act/satisfaction/",
        {"satisfaction-version": complaint.version, "satisfaction-satisfaction": "satisfied"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    (message,) = re.findall(r'data-field="satisfaction">([^<]*)<', html)
    assert "记录消费者意见" in message and "投诉受理" in message
    complaint.refresh_from_db()
    assert complaint.stage == "intake" and complaint.satisfaction == ""


def test_material_with_a_photo_is_added_and_shown(market, client):
    number, _code = file_one(client)
    response = client.post(
        f"/portal/track/{number}/act/add_material/",
        {
            "add_material-material": "补充购买小票照片",
            "add_material-attachments": [jpeg("小票.jpg")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(f"/portal/track/{number}/").content.decode()
    assert "补充购买小票照片" in page and "小票.jpg" in page
    assert Complaint.objects.get(tracking_no=number).attachments.count() == 1


def test_withdrawing_with_a_reason_closes_the_complaint(market, client):
    number, _code = file_one(client)
    response = client.post(
        f"/portal/track/{number}/act/withdraw/", {"withdraw-reason": "商家已主动退款"}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get(tracking_no=number)
    assert complaint.plan.stage(complaint.stage).terminal
    page = client.get(f"/portal/track/{number}/").content.decode()
    assert "商家已主动退款" in page and 'id="actions"' not in page


def test_a_withdrawal_without_a_reason_is_refused_beside_the_field(market, client):
    number, _code = file_one(client)
    response = client.post(f"/portal/track/{number}/act/withdraw/", {"withdraw-reason": ""})
    assert response.status_code == 422
    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert re.findall(r'data-field="reason">([^<]*)<', response.content.decode()) == [required]


def test_a_one_time_code_expires(market, client, still_clock):
    from datetime import timedelta

    from django.utils import timezone

    number, _code = file_one(client, email="zhangwei@example.com")
    stranger = type(client)()
    stranger.post("/portal/track/", {"tracking_no": number, "send_code": "1"})
    message = Notification.objects.get(key__contains="one_time_code", channel="email")
    one_time = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body.replace(number, "")).group(1)
    still_clock((timezone.now() + timedelta(minutes=11)).isoformat())
    assert opening(stranger, number, one_time).status_code == 404


def test_a_50_mb_material_upload_is_refused_with_a_clear_message(market, client):
    import io

    number, _code = file_one(client)
    big = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024))
    big.name = "录像截图.jpg"
    response = client.post(
        f"/portal/track/{number}/act/add_material/",
        {"add_material-material": "补充", "add_material-attachments": [big]},
    )
    assert response.status_code == 413
    assert "30.0" in response.content.decode()
    assert Complaint.objects.get(tracking_no=number).attachments.count() == 0
