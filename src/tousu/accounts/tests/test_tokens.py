import io

import pytest
from django.core.management import CommandError, call_command

from tousu.accounts.models import ApiToken
from tousu.accounts.services import token_authenticate

pytestmark = pytest.mark.django_db


def test_cli_prints_a_token_that_authenticates_and_is_stored_hashed(org):
    out = io.StringIO()
    call_command("users", "token", "clerk", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("tsu_") and len(raw) > 40
    assert token_authenticate(raw) == org.clerk
    stored = ApiToken.objects.get()
    assert raw not in (stored.digest, stored.prefix) and stored.digest != raw
    assert stored.expires_at is not None


def test_cli_refuses_an_unknown_user(org):
    with pytest.raises(CommandError, match="no active user"):
        call_command("users", "token", "nobody")


def test_inactive_users_tokens_stop_working(org):
    out = io.StringIO()
    call_command("users", "token", "clerk", stdout=out)
    org.clerk.is_active = False
    org.clerk.save()
    assert token_authenticate(out.getvalue().strip()) is None


def test_a_token_authenticates_until_it_expires_or_is_revoked_and_notes_its_use(org, monkeypatch):
    from tousu.accounts.services import token_create, token_revoke
    from tousu.core.models import ConfigGeneration
    from tousu.plans.tests.scenario import fake_clock

    clock = fake_clock(monkeypatch)
    clock("2026-03-02T10:00:00+08:00")
    raw = token_create(user=org.clerk, days=1)
    stored = ApiToken.objects.get()
    user = token_authenticate(raw)
    assert user == org.clerk and user.department_id == org.clerk.department_id
    # The configuration token comes with it, read in the same statement.
    assert user.config_token == ConfigGeneration.objects.get(pk=1).token
    stored.refresh_from_db()
    first_use = stored.last_used_at
    assert first_use is not None
    # Used again within the minute: not written again; after it: written.
    clock("2026-03-02T10:00:50+08:00")
    assert token_authenticate(raw) == org.clerk
    stored.refresh_from_db()
    assert stored.last_used_at == first_use
    clock("2026-03-02T10:01:10+08:00")
    assert token_authenticate(raw) == org.clerk
    stored.refresh_from_db()
    assert stored.last_used_at > first_use
    # A day later it has expired; a wrong or foreign string authenticates nobody.
    clock("2026-03-03T10:00:01+08:00")
    assert token_authenticate(raw) is None
    clock("2026-03-02T11:00:00+08:00")
    assert token_authenticate(raw + "x") is None
    assert token_authenticate("Bearer " + raw) is None
    token_revoke(actor=org.clerk, token=stored)
    assert token_authenticate(raw) is None
