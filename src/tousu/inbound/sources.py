"""Writes of the inbound API's sources: adding one (its secret made and shown once),
changing it, renewing its secret. Each is checked like every input and audited; the
secret never reaches the audit log."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.audit.services import audit_record
from tousu.complaints.choices import Channel
from tousu.complaints.services import plan_revision_current
from tousu.core.actors import Actor
from tousu.core.problems import InvalidInput
from tousu.inbound.models import (
    REPLAY_WINDOW_DEFAULT,
    REPLAY_WINDOW_MAX,
    REPLAY_WINDOW_MIN,
    InboundSource,
)
from tousu.inbound.signatures import secret_new
from tousu.notifications.services import webhook_address_check

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
SECRET_MIN = 32


def _source_errors(
    *,
    key: str | None,
    name: str,
    channel: str,
    callback_url: str,
    replay_window: int,
    secret: str | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if key is not None:
        if not _KEY.fullmatch(key):
            errors["key"] = [
                _("Use 1 to 50 lower-case letters, digits, “-” and “_”, starting with one.")
            ]
        elif InboundSource.objects.filter(key=key).exists():
            errors["key"] = [_("A source with this key exists.")]
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": 100}]
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown value “%(value)s”.") % {"value": channel}]
    else:
        revision = plan_revision_current()
        accepted = list(revision.plan_model.channels) if revision else []
        if revision is not None and channel not in accepted:
            errors["channel"] = [
                _(
                    "The organisation's plan does not take complaints through “%(channel)s”; "
                    "it takes: %(accepted)s."
                )
                % {
                    "channel": Channel(channel).label,
                    "accepted": "、".join(
                        str(Channel(c).label) if c in Channel.values else c for c in accepted
                    ),
                }
            ]
    if callback_url:
        try:
            webhook_address_check(callback_url)
        except InvalidInput as exc:
            errors["callback_url"] = [str(exc.detail)]
    if not REPLAY_WINDOW_MIN <= replay_window <= REPLAY_WINDOW_MAX:
        errors["replay_window"] = [
            _("Give %(min)d to %(max)d seconds.")
            % {"min": REPLAY_WINDOW_MIN, "max": REPLAY_WINDOW_MAX}
        ]
    if secret is not None and len(secret) < SECRET_MIN:
        errors["secret"] = [
            _("A secret has at least %(count)d characters.") % {"count": SECRET_MIN}
        ]
    return errors


def inbound_source_check(
    *,
    key: str | None,
    name: str,
    channel: str,
    callback_url: str = "",
    replay_window: int = REPLAY_WINDOW_DEFAULT,
    secret: str | None = None,
) -> None:
    """Raise ``InvalidInput`` naming each bad field of a source (``key`` None: an
    existing source, whose key does not change)."""
    errors = _source_errors(
        key=key,
        name=name,
        channel=channel,
        callback_url=callback_url,
        replay_window=replay_window,
        secret=secret,
    )
    if errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors)


def inbound_source_add(
    *,
    actor: Actor | None,
    key: str,
    name: str,
    channel: str,
    callback_url: str = "",
    replay_window: int = REPLAY_WINDOW_DEFAULT,
    secret: str | None = None,
) -> tuple[InboundSource, str]:
    """Add a source; returns it and its secret (made when not given), which is shown to
    the administrator this once. Audited. The channel must be one the organisation's
    plan takes, the callback address one Tousu may post to."""
    name, callback_url = name.strip(), callback_url.strip()
    inbound_source_check(
        key=key,
        name=name,
        channel=channel,
        callback_url=callback_url,
        replay_window=replay_window,
        secret=secret,
    )
    secret = secret or secret_new()
    with transaction.atomic():
        source = InboundSource.objects.create(
            key=key,
            name=name,
            channel=channel,
            secret=secret,
            callback_url=callback_url,
            replay_window=replay_window,
        )
        audit_record(
            actor=actor,
            action="inbound.source_added",
            object_type="inbound_source",
            object_id=key,
            data={"name": name, "channel": channel, "callback": bool(callback_url)},
        )
    return source, secret


def inbound_source_change(
    *,
    actor: Actor | None,
    source: InboundSource,
    name: str,
    channel: str,
    callback_url: str,
    is_active: bool,
    replay_window: int,
    secret: str | None = None,
) -> InboundSource:
    """Change a source (its key stays); a ``secret`` given replaces the old one at once.
    Audited, the secret never."""
    name, callback_url = name.strip(), callback_url.strip()
    inbound_source_check(
        key=None,
        name=name,
        channel=channel,
        callback_url=callback_url,
        replay_window=replay_window,
        secret=secret,
    )
    before = {
        "name": source.name,
        "channel": source.channel,
        "callback": bool(source.callback_url),
        "is_active": source.is_active,
        "replay_window": source.replay_window,
    }
    source.name, source.channel, source.callback_url = name, channel, callback_url
    source.is_active, source.replay_window = is_active, replay_window
    if secret:
        source.secret = secret
    after = {
        "name": name,
        "channel": channel,
        "callback": bool(callback_url),
        "is_active": is_active,
        "replay_window": replay_window,
    }
    changes: dict[str, list[object]] = {
        k: [before[k], after[k]] for k in after if before[k] != after[k]
    }
    with transaction.atomic():
        source.save()
        audit_record(
            actor=actor,
            action="inbound.source_changed",
            object_type="inbound_source",
            object_id=source.key,
            data={"changes": changes, "secret_renewed": bool(secret)},
        )
    return source


def inbound_source_secret_renew(*, actor: Actor | None, source: InboundSource) -> str:
    """Give ``source`` a new secret (the old one stops working at once); returns it."""
    secret = secret_new()
    inbound_source_change(
        actor=actor,
        source=source,
        name=source.name,
        channel=source.channel,
        callback_url=source.callback_url,
        is_active=source.is_active,
        replay_window=source.replay_window,
        secret=secret,
    )
    return secret
