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
