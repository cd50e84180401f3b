"""The configuration token's triggers: installing them again (every ``migrate``)
replaces what an older release installed, on either database."""

import pytest

from tousu.accounts.models import User
from tousu.accounts.services import user_create
from tousu.core import config

pytestmark = pytest.mark.django_db


def test_installing_again_replaces_an_older_releases_triggers(monkeypatch):
    someone = user_create(username="someone", password="x" * 12, full_name="张三")
    older = tuple(
        (app, model, ("is_active",) if model == "User" else columns)
        for app, model, columns in config.WATCHED
    )
    monkeypatch.setattr(config, "WATCHED", older)
    config.config_triggers_install()
    token = config._read()
    User.objects.filter(pk=someone.pk).update(first_name="四")
    assert config._read() == token, "the older trigger does not watch names"
    monkeypatch.undo()
    config.config_triggers_install()
    User.objects.filter(pk=someone.pk).update(first_name="五")
    assert config._read() != token
    token = config._read()
    User.objects.filter(pk=someone.pk).update(last_login=None)
    assert config._read() == token, "a login is not a change of configuration"
