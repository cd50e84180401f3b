"""Logins are throttled by account-and-address and by address (never by account alone),
refused before the password is checked once throttled, answered in Chinese, and every
success and failure is on the audit log; passwords are at least 12 characters; tokens
are revoked from the page and the command line, on the audit log."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tousu.accounts.models import ApiToken, User
from tousu.accounts.services import token_authenticate, token_create
from tousu.audit.models import AuditEvent
from tousu.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def failures(username: str) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action="login.failed", object_id=username)
        .order_by("pk")
        .values_list("data", flat=True)
    )


def test_the_31st_wrong_password_is_refused_without_checking_it(org, monkeypatch):
    checked = []
    original = User.check_password

    def counting(self, raw):
        checked.append(raw)
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", counting)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(29):
        assert attempt(client, org.clerk.username, f"wrong-{n}").status_code == 200
    # The 30th is checked, fails, and closes the door.
    assert attempt(client, org.clerk.username, "wrong-29").status_code == 429
    assert len(checked) == 30
    # The 31st — even with the right password — is refused before any password is read.
    refused = attempt(client, org.clerk.username, PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page
    assert len(checked) == 30
    assert "_auth_user_id" not in client.session
    logged = failures(org.clerk.username)
    assert len(logged) == 31
    assert {d["address"] for d in logged} == {"203.0.113.7"}
    assert [d["locked_out"] for d in logged] == [False] * 30 + [True]


def test_nobody_locks_a_person_out_from_elsewhere(org):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(31):
        attempt(attacker, org.clerk.username, f"wrong-{n}")
    office = Client(REMOTE_ADDR="198.51.100.20")
    assert attempt(office, org.clerk.username, PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(
        action="login.succeeded", object_id=org.clerk.username, data__address="198.51.100.20"
    ).exists()


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(org, settings):
    # From anyone else the header is ignored: a client cannot pick a fresh address.
    spoofing = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(31):
        spoofing.post(
            "/accounts/login/",
            {"username": "nobody", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert {d["address"] for d in failures("nobody")} == {"203.0.113.7"}
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.1.2.3")
    proxy.post(
        "/accounts/login/",
        {"username": "someone", "password": "x"},
        HTTP_X_FORWARDED_FOR="192.0.2.55, 10.9.9.9",
    )
    assert [d["address"] for d in failures("someone")] == ["192.0.2.55"]


def test_a_password_shorter_than_12_characters_is_refused_in_chinese(org):
    client = Client()
    client.force_login(org.clerk)
    page = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Tq9#short", "new_password2": "Tq9#short"},
    ).content.decode()
    assert "12 个字符" in page
    assert User.objects.get(pk=org.clerk.pk).check_password(PASSWORD)
    done = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "湖畔投诉-2026-long",
            "new_password2": "湖畔投诉-2026-long",
        },
    )
    assert done.status_code == 302
    assert User.objects.get(pk=org.clerk.pk).check_password("湖畔投诉-2026-long")


def test_a_token_is_revoked_on_the_page_and_on_the_command_line(org):
    raw = token_create(user=org.clerk, name="脚本")
    token = ApiToken.objects.get(user=org.clerk)
    other = Client()
    other.force_login(org.investigator)
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert token_authenticate(raw) == org.clerk
    mine = Client()
    mine.force_login(org.clerk)
    page = mine.get("/accounts/").content.decode()
    assert token.prefix in page and raw not in page
    mine.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert token_authenticate(raw) is None
    assert "已撤销" in mine.get("/accounts/").content.decode()
    revoked = AuditEvent.objects.get(action="token.revoked", object_id=str(token.pk))
    assert revoked.actor_id == org.clerk.pk
    # An operator on the server, by prefix.
    second = token_create(user=org.clerk)
    out = io.StringIO()
    call_command("users", "revoke", second[:10], stdout=out)
    assert "revoked" in out.getvalue() and token_authenticate(second) is None
    assert AuditEvent.objects.filter(action="token.revoked").count() == 2
