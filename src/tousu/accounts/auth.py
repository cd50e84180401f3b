from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tousu.accounts.selectors import user_permissions_prime
from tousu.accounts.services import token_authenticate
from tousu.core.config import config_token_offer


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tsu_…`` with a staff API token."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            # Read with the token: the request's caches need no query of their own for it.
            config_token_offer(user.config_token)  # type: ignore[attr-defined]
            user_permissions_prime(user)
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """A signed-in staff session (CSRF-checked for writes). A request with no session
    at all is simply not authenticated by it — a 401 problem, not a 403 about CSRF,
    which would tell an anonymous caller nothing useful."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


api_auth = [TokenAuth(), StaffSessionAuth()]
