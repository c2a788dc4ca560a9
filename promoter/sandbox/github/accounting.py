"""Rate limits per user and request counters, so tests can see what the bot costs.

GitHub counts every authenticated request against an hourly budget except ``GET /rate_limit`` and
conditional requests answered ``304 Not Modified``; the sandbox does the same, which is what lets a test
check that polling with ETags is nearly free.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import threading
from typing import Any

from promoter.sandbox.github import state


@dataclasses.dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    used: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Resource": "core",
        }

    def payload(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Window:
    start: datetime.datetime
    used: int = 0


class Accounting:
    """Budgets of ``limit`` requests per ``window`` per user, and counters of everything served."""

    def __init__(
        self,
        limit: int = 5000,
        window: datetime.timedelta = datetime.timedelta(hours=1),
        clock: state.Clock = state.system_clock,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._requests = 0
        self._conditional = 0
        self._counted = 0
        self._by_route: collections.Counter[str] = collections.Counter()
        self._by_user: collections.Counter[str] = collections.Counter()

    def _current(self, login: str) -> _Window:
        now = self.clock()
        window = self._windows.get(login)
        if window is None or now >= window.start + self.window:
            window = self._windows[login] = _Window(now)
        return window

    def _quota(self, window: _Window) -> Quota:
        reset = int((window.start + self.window).timestamp())
        return Quota(self.limit, max(self.limit - window.used, 0), window.used, reset)

    def quota(self, login: str) -> Quota:
        with self._lock:
            return self._quota(self._current(login))

    def consume(self, login: str) -> Quota | None:
        """Spend one request of the user's budget; None (and nothing spent) when it is exhausted."""
        with self._lock:
            window = self._current(login)
            if window.used >= self.limit:
                return None
            window.used += 1
            self._counted += 1
            return self._quota(window)

    def record(self, method: str, template: str, login: str | None, *, not_modified: bool = False) -> None:
        """Count one request served (whatever its outcome) under its route template."""
        with self._lock:
            self._requests += 1
            self._conditional += int(not_modified)
            self._by_route[f"{method} {template}"] += 1
            self._by_user[login or "(anonymous)"] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "counted": self._counted,
                "conditional_hits": self._conditional,
                "by_route": dict(sorted(self._by_route.items())),
                "by_user": dict(sorted(self._by_user.items())),
                "rate_limits": {login: self._quota(w).payload() for login, w in sorted(self._windows.items())},
            }

    def reset(self) -> None:
        """Forget every counter and restore every budget (``POST /_sandbox/reset``)."""
        with self._lock:
            self._windows.clear()
            self._requests = self._conditional = self._counted = 0
            self._by_route.clear()
            self._by_user.clear()
