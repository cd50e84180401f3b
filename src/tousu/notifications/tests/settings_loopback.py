"""Settings for the test and bench processes that deliver to servers on loopback: the
one place the outbound guard's loopback allowance is switched on (never from the
environment; see ``tousu.notifications.outbound``)."""

from tousu.settings import *  # noqa: F403

OUTBOUND_ALLOW_LOOPBACK = True
