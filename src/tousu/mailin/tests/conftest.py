"""The market's demo organisation (its plan takes complaints by email) and a clock."""

import pytest

from tousu.plans.tests.scenario import clients


@pytest.fixture
def market(db):
    """The market's people as API clients (the demo organisation, its plan adopted)."""
    return clients("market")
