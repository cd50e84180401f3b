"""Adding a source: by the command line or the admin, its secret shown once and never
again, checked like every input."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tousu.audit.models import AuditEvent
from tousu.inbound.models import InboundSource
from tousu.inbound.tests.partner import Partner

pytestmark = pytest.mark.django_db


def test_the_command_adds_a_source_and_prints_its_secret_once(people):
    out = io.StringIO()
    call_command(
        "inbound",
        "add-source",
        "platform-12345",
        "--name",
        "12345 平台",
        "--channel",
        "api",
        stdout=out,
    )
    secret = out.getvalue().splitlines()[-1]
    assert len(secret) >= 32
    source = InboundSource.objects.get(key="platform-12345")
    assert (source.name, source.channel, source.is_active) == ("12345 平台", "api", True)
    # Encrypted at rest: the column does not hold the secret.
    stored = InboundSource.objects.filter(pk=source.pk).values_list("secret", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM inbound_inboundsource WHERE id = %s", [source.pk])
        assert secret not in cursor.fetchone()[0]
    assert list(stored) == [secret]
    # It works: the printed secret signs a delivery.
    assert Partner("platform-12345", secret).deliver().status_code == 201
    listed = io.StringIO()
    call_command("inbound", "list-sources", stdout=listed)
    assert "platform-12345" in listed.getvalue() and secret not in listed.getvalue()
    assert AuditEvent.objects.filter(action="inbound.source_added").count() == 1


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["Bad Key", "--name", "x", "--channel", "api"], "key"),
        (["ok", "--name", "x", "--channel", "fax"], "channel"),
        (
            ["ok", "--name", "x", "--channel", "api", "--callback", "http://10.0.0.8/hook"],
            "callback_url",
        ),
        (["ok", "--name", "x", "--channel", "api", "--replay-window", "5"], "replay_window"),
    ],
)
def test_the_command_names_a_bad_argument(people, arguments, named):
    with pytest.raises(CommandError, match=rf"(?m)^{named}: "):
        call_command("inbound", "add-source", *arguments, stdout=io.StringIO())
    assert not InboundSource.objects.exists()


def test_a_renewed_secret_replaces_the_old_one(partner):
    out = io.StringIO()
    call_command("inbound", "renew-secret", partner.key, stdout=out)
    renewed = out.getvalue().splitlines()[-1]
    assert partner.deliver().status_code == 401
    assert Partner(partner.key, renewed).deliver(idempotency_key="k2").status_code == 201


def test_the_admin_shows_the_secret_once_and_never_again(people):
    browser = Client()
    browser.force_login(people["admin"])
    form = {
        "key": "wechat-oa",
        "name": "城南区政务公众号",
        "channel": "web",
        "callback_url": "",
        "is_active": "on",
        "replay_window": "300",
        "new_secret": "",
    }
    response = browser.post("/admin/inbound/inboundsource/add/", form, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    shown = re.search(r"wechat-oa[^<]*?([A-Za-z0-9_-]{43})", page)
    assert shown, page
    secret = shown.group(1)
    source = InboundSource.objects.get(key="wechat-oa")
    assert source.secret == secret
    change = browser.get(f"/admin/inbound/inboundsource/{source.pk}/change/").content.decode()
    assert secret not in change
    # A typed secret replaces it; leaving the field empty keeps it.
    new = "n" * 40
    edit = {**form, "name": "城南区政务服务公众号", "new_secret": new}
    assert (
        browser.post(f"/admin/inbound/inboundsource/{source.pk}/change/", edit).status_code == 302
    )
    source.refresh_from_db()
    assert (source.name, source.secret) == ("城南区政务服务公众号", new)
    edit = {**form, "new_secret": ""}
    assert (
        browser.post(f"/admin/inbound/inboundsource/{source.pk}/change/", edit).status_code == 302
    )
    source.refresh_from_db()
    assert source.secret == new


def test_the_admin_names_a_bad_field_beside_it(people):
    browser = Client()
    browser.force_login(people["admin"])
    form = {
        "key": "x",
        "name": "x",
        "channel": "chat",
        "replay_window": "300",
        "new_secret": "short",
    }
    response = browser.post("/admin/inbound/inboundsource/add/", form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"channel", "new_secret"}
    assert not InboundSource.objects.exists()
