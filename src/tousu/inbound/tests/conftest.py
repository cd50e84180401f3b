import pytest

from tousu.demo.loader import demo_organisation_create
from tousu.inbound.sources import inbound_source_add
from tousu.inbound.tests.partner import Partner


@pytest.fixture
def people(db):
    """The government template's demo district (its plan takes complaints by ``api``)."""
    return demo_organisation_create("government")


@pytest.fixture
def partner(people) -> Partner:
    """The 12345 platform, added as a source without a callback."""
    source, secret = inbound_source_add(
        actor=people["admin"],
        key="hotline-12345",
        name="12345 政务服务便民热线",
        channel="api",
    )
    return Partner(source.key, secret)
