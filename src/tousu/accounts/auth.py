from ninja.security import HttpBearer, SessionAuth

from tousu.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tsu_…`` with a staff API token."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api_auth = [TokenAuth(), SessionAuth()]
