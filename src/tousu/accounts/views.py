from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.choices import Role
from tousu.accounts.http import staff
from tousu.accounts.models import ApiToken
from tousu.accounts.services import token_revoke, user_language_set
from tousu.core.problems import ServiceError


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language: on the user when signed in, in a cookie always."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """My account: the password change and my API tokens (administrators: everyone's)."""
    user = staff(request)
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    if not user.has_role(Role.ADMINISTRATOR):
        tokens = tokens.filter(user=user)
    return render(request, "accounts/account.html", {"tokens": tokens[:200]})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = staff(request)
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or (token.user_id != user.pk and not user.has_role(Role.ADMINISTRATOR)):
        raise Http404
    try:
        token_revoke(actor=user, token=token)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("accounts:account")
