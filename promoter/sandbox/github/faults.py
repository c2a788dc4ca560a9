"""GitHub's bad moments on demand: the next API requests answered with an error instead of being served, so
that tests see what the bot does while GitHub is down (502, 503) or while it is held back by a secondary rate
limit (403 with ``Retry-After``). Set through ``POST /_sandbox/faults``; the sandbox's own routes never fail."""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from typing import Any

# What GitHub answers, word for word, when a client exceeds a secondary rate limit (PyGithub reads "rate limit").
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
_MESSAGES = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable", 403: SECONDARY}


@dataclasses.dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None  # seconds, sent as Retry-After
    method: str | None = None  # only requests of this method fail (None: any)

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": _MESSAGES[self.status]}
        if self.status == 403:
            body["documentation_url"] = (
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
            )
        return body

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class Faults:
    """The faults to come, each for one request, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[Fault] = []
        self.served = 0  # faults answered so far
        # (monotonic time, method, path, the fault's status or None) of the latest API requests: when clients came back
        self.requests: collections.deque[tuple[float, str, str, int | None]] = collections.deque(maxlen=10_000)

    def add(self, fault: Fault, count: int) -> None:
        if fault.status not in _MESSAGES:
            raise ValueError(f"status {fault.status}: one of {sorted(_MESSAGES)}")
        with self._lock:
            self._queued += [fault] * count

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()

    def take(self, method: str, path: str = "") -> Fault | None:
        """The fault this request gets, if one is queued for it (then it is used up)."""
        with self._lock:
            for index, fault in enumerate(self._queued):
                if fault.method is None or fault.method == method:
                    self.served += 1
                    self.requests.append((time.monotonic(), method, path, fault.status))
                    return self._queued.pop(index)
            self.requests.append((time.monotonic(), method, path, None))
        return None
