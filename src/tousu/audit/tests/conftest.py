import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Problems are told in the user's language; the tests read the English ones."""
    with translation.override("en"):
        yield
