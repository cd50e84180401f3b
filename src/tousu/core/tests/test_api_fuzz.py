"""A bounded, seeded schemathesis run over the whole OpenAPI document with a staff
token: no answer may be a server error or break the document's own response schema.

Bounded: a fixed number of examples per operation; seeded (derandomised), so a failure
comes back on the next run. The demo organisation gives the fuzzer complaints to reach.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tousu.accounts.services import token_create
from tousu.demo.loader import demo_organisation_create
from tousu.wsgi import application

EXAMPLES_PER_OPERATION = 40
# One leg is enough: the answers do not depend on the database vendor.
pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the API fuzz run is in the SQLite leg",
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def staff_token(db):
    """A clerk's token in the demo organisation. The WSGI calls run in the test's own
    transaction: as Django's test client does, the connection is not closed at the end
    of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        users = demo_organisation_create("market")
        yield token_create(user=users["clerk"])
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(case, staff_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {staff_token}"},
        checks=[
            checks.not_a_server_error,
            checks.response_schema_conformance,
            checks.content_type_conformance,
            checks.status_code_conformance,
        ],
    )
