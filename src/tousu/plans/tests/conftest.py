import pytest

from tousu.plans.tests.scenario import fake_clock


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "clock(utc=True): how the clock fixture hands out the instants it is set to"
        " (utc=False: with the offset they are written in)",
    )


@pytest.fixture
def clock(monkeypatch, request):
    """Sets the server's "now" to an ISO text: ``clock("2026-09-30T16:05:00+08:00")``.

    Stage deadlines count from the moment a stage is entered, so a scenario stands its
    people on the instants it names. See :func:`~tousu.plans.tests.scenario.fake_clock`;
    a module marked ``pytest.mark.clock(utc=False)`` keeps the offset of the text.
    """
    marker = request.node.get_closest_marker("clock")
    return fake_clock(monkeypatch, **(marker.kwargs if marker else {}))
