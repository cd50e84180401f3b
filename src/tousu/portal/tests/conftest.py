"""Fixtures of the portal tests: the market demo organisation (its plan takes the web
channel) and a cheap proof of work (the tests solve it in Python, the browser test in
the ALTCHA widget)."""

import pytest

from tousu.demo.loader import demo_organisation_create


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings):
    settings.ALTCHA_COST = 1
    settings.ALTCHA_MAX_NUMBER = 8


@pytest.fixture
def market(db):
    """The market's users by username (王晓梅 the clerk, 李建国 the investigator …)."""
    return demo_organisation_create("market")
