from django.utils import translation

from tousu.accounts.selectors import user_permissions_prime


class UserLanguageMiddleware:
    """Apply a signed-in user's chosen language over the browser's Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class UserPermissionsMiddleware:
    """A signed-in session's permissions come from the set kept in this process
    (``user_permissions_prime``), as an API token's do: a page that asks ``perms`` reads
    no permission table."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_permissions_prime(user)
        return self.get_response(request)
