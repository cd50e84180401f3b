from django.http import HttpRequest

from tousu.accounts.selectors import organisation_current


def organisation(request: HttpRequest) -> dict:
    return {"organisation": organisation_current()}
