"""The drill's own clock: ``django.utils.timezone.now`` answers drill time in the drill's
process, so everything the services stamp and count (received, due, breached) happens on
the compressed clock, and nothing else in the process needs to know.

At speed 0 the clock stands still between the moments the engine sets; at speed N it runs
N drill-seconds per real second from where it was last set, so pages served by the drill
(an attended drill) stamp what people do in drill time too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.utils import timezone


class DrillClock:
    def __init__(self, start: datetime, *, speed: int = 0):
        self.speed = speed
        self._lock = threading.Lock()
        self._at = start.astimezone(UTC)
        self._real = time.monotonic()
        self._original: Callable[[], datetime] | None = None

    def _running(self) -> datetime:
        if not self.speed:
            return self._at
        return self._at + timedelta(seconds=(time.monotonic() - self._real) * self.speed)

    def now(self) -> datetime:
        with self._lock:
            return self._running()

    def set(self, moment: datetime) -> None:
        """Move to ``moment``, never back. At speed N, first wait until the running clock
        reaches it (when the work took longer, the clock stays where it ran to)."""
        moment = moment.astimezone(UTC)
        if self.speed:
            ahead = (moment - self.now()).total_seconds() / self.speed
            if ahead > 0:
                time.sleep(ahead)
        with self._lock:
            self._at = max(moment, self._running())
            self._real = time.monotonic()

    def install(self) -> DrillClock:
        """Make ``timezone.now`` this clock (for the rest of the process)."""
        if self._original is None:
            self._original = timezone.now
            timezone.now = self.now
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            timezone.now = self._original
            self._original = None
