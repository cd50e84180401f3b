"""Fixtures for the delivery tests: the loopback servers, a complaint, and a fixed clock."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tousu.complaints.tests.factories import complainant, complaint_make
from tousu.notifications.tests.loopback import MailServer, WebServer


@pytest.fixture
def mail(settings):
    """A real SMTP server on loopback, and Django sending to it (pytest-django would
    otherwise keep mail in memory)."""
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        yield server


@pytest.fixture
def web(settings):
    """The robots' and webhooks' stand-in on loopback, with the tests' own allowance to
    send there (production never has it)."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with WebServer() as server:
        yield server


@pytest.fixture
def t0():
    """The time of the first delivery pass; later passes are given later times."""
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def complaint(org):
    """张伟's complaint, with a phone number and an email address."""
    return complaint_make(
        org.clerk, complainant=complainant(phone="13812345678", email="zhang.wei@example.cn")
    )
