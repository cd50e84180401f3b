"""Bad input on the complaint form: each refused with a message beside its field and
nothing stored."""

import io

import pytest
from django.utils import translation

from tousu.complaints.models import Attachment, Complaint
from tousu.portal.tests.helpers import form_data, jpeg

pytestmark = pytest.mark.django_db

REQUIRED = "此项为必填项。"  # the catalogue's Chinese for "This field is required."


def messages_of(response, field: str) -> list[str]:
    """The messages shown beside ``field``."""
    import re

    html = response.content.decode()
    found = re.findall(rf'data-field="{field}">([^<]*)<', html)
    return [m.strip() for m in found]


def test_a_form_without_content_or_contact_shows_why_beside_each_field(market, client):
    data = form_data(client, title="", description="  ", category="", phone="", email="")
    response = client.post("/portal/", data)
    assert response.status_code == 422
    for field in ("category", "title", "description"):
        assert messages_of(response, field) == [REQUIRED], field
    with translation.override("zh-hans"):
        contact = translation.gettext(
            "Give a mobile number or an email address so we can reach you."
        )
    assert messages_of(response, "phone") == [contact]
    # What was typed is kept for the next try.
    assert "鑫达电器行" in response.content.decode()
    assert not Complaint.objects.exists()


def file_with(client, *files):
    return client.post("/portal/", {**form_data(client), "attachments": list(files)})


def test_an_executable_renamed_jpg_is_refused(market, client):
    program = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500)
    program.name = "发票.jpg"
    response = file_with(client, program)
    assert response.status_code == 422
    (message,) = messages_of(response, "attachments")
    assert "发票.jpg" in message
    assert not Complaint.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("name", ["现场.svg", "现场.png"])
def test_an_svg_with_script_is_refused_whatever_its_name(market, client, name):
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    svg.name = name
    response = file_with(client, svg)
    assert response.status_code == 422
    assert messages_of(response, "attachments")
    assert not Complaint.objects.exists()


def test_a_50_mb_upload_is_refused_with_a_clear_message(market, client):
    big = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024))
    big.name = "视频截图.jpg"
    response = file_with(client, big)
    assert response.status_code == 413
    html = response.content.decode()
    assert 'id="too-large"' in html and "30.0" in html
    assert not Complaint.objects.exists()


def test_a_file_over_the_limit_per_file_is_named(market, client, settings):
    settings.PORTAL_FILE_MAX_MB = 1
    big = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * (2 * 1024 * 1024))
    big.name = "大图.jpg"
    response = file_with(client, big, jpeg())
    assert response.status_code == 422
    (message,) = messages_of(response, "attachments")
    assert "大图.jpg" in message
    assert not Complaint.objects.exists()


def test_a_filled_honeypot_is_refused_and_nothing_is_stored(market, client):
    response = client.post("/portal/", form_data(client, website="http://spam.example"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="form-errors"' in html
    assert 'name="website" id="id_website" value=""' in html  # cleared for a person
    assert not Complaint.objects.exists()


def test_without_the_proof_of_work_or_the_picture_it_is_refused(market, client):
    response = client.post("/portal/", form_data(client, altcha=""))
    assert response.status_code == 422
    assert messages_of(response, "captcha")
    assert not Complaint.objects.exists()


def test_a_forged_proof_of_work_is_refused(market, client):
    import base64
    import json

    payload = json.loads(base64.b64decode(form_data(client)["altcha"]))
    payload["challenge"]["parameters"]["cost"] = 0  # cheaper than was signed
    forged = base64.b64encode(json.dumps(payload).encode()).decode()
    response = client.post("/portal/", form_data(client, altcha=forged))
    assert response.status_code == 422
    assert not Complaint.objects.exists()
    garbage = client.post("/portal/", form_data(client, altcha="not base64 at all!"))
    assert garbage.status_code == 422


def test_a_used_proof_of_work_cannot_be_sent_again(market, client):
    data = form_data(client)
    assert client.post("/portal/", data).status_code == 302
    again = client.post("/portal/", {**data, "phone": "13812345678"})
    assert again.status_code == 422
    assert Complaint.objects.count() == 1


def test_a_wrong_picture_answer_is_refused(market, client):
    from captcha.models import CaptchaStore

    page = client.get("/portal/").content.decode()
    key = page.split('name="captcha_0" value="')[1].split('"')[0]
    right = CaptchaStore.objects.get(hashkey=key).response
    wrong = str(int(right) + 1)
    data = form_data(client, altcha="", captcha_0=key, captcha_1=wrong)
    response = client.post("/portal/", data)
    assert response.status_code == 422
    assert messages_of(response, "captcha")
    assert not Complaint.objects.exists()


def test_the_form_says_so_when_the_plan_takes_no_web_complaints(market, client):
    import re

    from tousu.plans.services import plan_load, template_source

    source = template_source("market").decode()
    source = re.sub(r"(?m)^channels: \[.*\]$", "channels: [walk_in, phone, letter]", source)
    plan_load(source=source, note="no web channel", activate=True)
    response = client.get("/portal/")
    html = response.content.decode()
    assert 'id="closed"' in html and "complaint-form" not in html
    posted = client.post("/portal/", form_data(client))
    assert 'id="closed"' in posted.content.decode()
    assert not Complaint.objects.exists()


def test_a_form_sent_from_elsewhere_is_refused(market, client):
    """The size check comes before the CSRF check; the CSRF check still holds."""
    from django.test import Client

    forged = Client(enforce_csrf_checks=True)
    response = forged.post("/portal/", form_data(client))
    assert response.status_code == 403
    assert not Complaint.objects.exists()


class CountedBody:
    """A request body that is never-ending zeros and counts what is read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 1 << 16 if size is None or size < 0 else size
        self.read_bytes += size
        return b"\0" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize("path", ["/portal/", "/portal/track/{number}/act/add_material/"])
def test_a_huge_body_is_read_only_a_little_and_the_connection_closes(market, client, path):
    from django.test import RequestFactory
    from django.test.client import ClientHandler

    from tousu.portal.tests.helpers import file_one

    number, _code = file_one(client)
    environ = (
        RequestFactory()
        .post(path.format(number=number), data=b"", content_type="multipart/form-data; boundary=x")
        .environ
    )
    body = CountedBody()
    environ.update({"CONTENT_LENGTH": str(200 * 1024 * 1024), "wsgi.input": body})
    environ["HTTP_COOKIE"] = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    response = ClientHandler()(environ)
    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert body.read_bytes <= 3 * 1024 * 1024
