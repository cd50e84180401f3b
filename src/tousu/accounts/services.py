"""Writes for organisation, departments, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.choices import ROLE_PERMISSIONS, Role
from tousu.accounts.models import ApiToken, Department, Organisation, User
from tousu.audit.services import audit_record
from tousu.core.config import config_token_sql
from tousu.core.problems import Conflict, NotAllowed

TOKEN_PREFIX = "tsu_"  # noqa: S105 - a marker, not a secret


def roles_sync() -> None:
    """Create one group per role and give it exactly the role's permissions."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # absent only while the owning app is not migrated yet
                wanted.append(perm)
        group.permissions.set(wanted)


def organisation_set(*, name: str) -> Organisation:
    """Name the installation's one organisation, creating it if needed."""
    org = Organisation.objects.order_by("pk").first()
    if org is None:
        return Organisation.objects.create(name=name)
    org.name = name
    org.save(update_fields=["name"])
    return org


def department_create(*, code: str, name: str, parent: Department | None = None) -> Department:
    return Department.objects.create(code=code, name=name, parent=parent)


def user_create(
    *,
    username: str,
    password: str | None,
    full_name: str = "",
    department: Department | None = None,
    roles: Sequence[Role | str] = (),
    email: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a staff user with the given roles (group memberships)."""
    with transaction.atomic():
        # Chinese names are written family name first; keep the whole name in last_name.
        user = User(
            username=username,
            last_name=full_name,
            email=email,
            department=department,
            is_staff=is_superuser,
            is_superuser=is_superuser,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        if roles:
            user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    return user


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(*, user: User, name: str = "", days: int | None = 365) -> str:
    """Create an API token for ``user`` and return it; only its digest is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=days) if days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, digest=_digest(raw), prefix=raw[:10], expires_at=expires_at
        )
        audit_record(
            actor=None,
            action="token.created",
            object_type="api_token",
            object_id=str(token.pk),
            data={"user": user.username, "prefix": token.prefix, "expires_at": expires_at},
        )
    return raw


def _token_sql() -> str:
    """The token's owner with three more columns: the token's id, whether its last use is
    older than a minute, and the configuration token. The configuration token rides along
    because the request's permissions and its registration's caches are checked against
    it (``core.config``): read here, it costs no round trip of its own. Written once from
    the models' names: the statement runs on every API call, and compiling a query for
    it costs more than running it."""
    quote = connection.ops.quote_name
    tokens, users = ApiToken._meta.db_table, User._meta.db_table
    return (
        f"SELECT u.*, t.id AS token_id,"  # noqa: S608 - names from the models only
        " (t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale,"
        f" {config_token_sql()} AS config_token"
        f" FROM {quote(tokens)} t JOIN {quote(users)} u ON u.id = t.user_id"
        " WHERE t.digest = %s AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > %s)"
    )


def token_authenticate(raw: str) -> User | None:
    """The active user owning the unexpired, unrevoked token ``raw``, or None; the user
    carries ``config_token``, the configuration token read in the same statement."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    moment = connection.ops.adapt_datetimefield_value
    found = list(
        User.objects.raw(
            _token_sql(), [moment(now - timedelta(minutes=1)), _digest(raw), moment(now)]
        )
    )
    if not found or not found[0].is_active:
        return None
    user = found[0]
    # Written at most once a minute, so a busy client does not write on every call.
    if user.token_stale:  # type: ignore[attr-defined]
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)  # type: ignore[attr-defined]
    return user


def user_language_set(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke ``token`` at once (it authenticates nothing afterwards), on the audit log.

    Its owner or an administrator may revoke it; ``actor`` None is the command line
    (an operator on the server). Raises ``NotAllowed`` for anyone else and ``Conflict``
    when it is revoked already."""
    if actor is not None and actor.pk != token.user_id and not actor.has_role(Role.ADMINISTRATOR):
        raise NotAllowed(_("Only its owner or an administrator may revoke a token."))
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise Conflict(_("This token is revoked already."))
        audit_record(
            actor=actor,
            action="token.revoked",
            object_type="api_token",
            object_id=str(token.pk),
            data={
                "user": token.user.username,
                "prefix": token.prefix,
                "by": "cli" if actor is None else "",
            },
        )
    token.refresh_from_db()
    return token
