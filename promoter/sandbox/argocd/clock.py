"""The simulator's one time seam: a callable returning an aware UTC datetime.

Every timed behaviour (sync duration, Progressing time, the automated-sync interval) is computed from this
clock on each request, so tests step a :class:`ManualClock` instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """Now, in UTC (the clock of ``promoter sandbox up``)."""
    return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that moves only when told to; thread-safe, since the server reads it from its own threads."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
        if self._now.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        """Move forward by ``seconds``; return the new time."""
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now
