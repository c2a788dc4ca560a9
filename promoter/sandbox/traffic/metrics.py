"""Istio's standard request metrics, integrated from request rates over time (pure: rates and times in).

Each series (its labels and a response code) keeps a running total: the requests its rate made since the
exporter started, with a seeded jitter that is a function of the series and of the second only, so the
totals depend on elapsed time, never on when they are read (a ``rate()`` over live scrapes stays steady).
Totals only grow: a series whose share drops to zero keeps its count. The duration histogram follows a
log-normal latency around each series' median, its buckets filled by the expected fraction of the requests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import struct
from collections.abc import Mapping
from functools import lru_cache

REQUESTS = "istio_requests"  # a counter: istio_requests_total
DURATION = "istio_request_duration_milliseconds"
# Istio's default buckets for istio_request_duration_milliseconds; ``le`` is written as Go writes floats
# (shortest ``%g``: 0.5, 1, 300000, 1.8e+06), as Istio's proxies write it.
BUCKETS_MS = (
    0.5,
    1.0,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
    30000.0,
    60000.0,
    300000.0,
    600000.0,
    1800000.0,
    3600000.0,
)
REPORTERS = ("source", "destination")  # both proxies report each request, as Istio's do
SPREAD = 0.2  # the log-normal's sigma: a 30 ms median gives 5 % to 95 % between about 22 and 42 ms
_SLOT = 1.0  # seconds during which one series' jitter holds
_NOISE_HORIZON = 600.0  # seconds: older spans (nobody scraped) are integrated at the mean, to stay cheap

Labels = tuple[tuple[str, str], ...]  # a series' labels but the reporter and the response code


@dataclasses.dataclass(frozen=True)
class Rate:
    """Requests per second answered with one code, and their median latency."""

    per_second: float
    median_ms: float


@dataclasses.dataclass
class _Total:
    requests: float = 0.0
    sum_ms: float = 0.0
    buckets: list[float] = dataclasses.field(default_factory=lambda: [0.0] * len(BUCKETS_MS))


class Meter:
    """The running totals of every series seen, advanced through time by rates held between two looks."""

    def __init__(self, seed: int = 0, jitter: float = 0.03) -> None:
        self._seed = seed
        self._jitter = jitter
        self._totals: dict[tuple[Labels, str], _Total] = {}

    def configure(self, seed: int, jitter: float) -> None:
        """New noise from now on (the totals so far stay)."""
        self._seed, self._jitter = seed, jitter

    def advance(self, start: float, end: float, rates: Mapping[tuple[Labels, str], Rate]) -> None:
        """Add what ``rates`` (by labels and response code) made from ``start`` to ``end`` (seconds since the
        exporter started)."""
        if end <= start:
            return
        for key, rate in rates.items():
            if rate.per_second <= 0:
                continue
            total = self._totals.setdefault(key, _Total())
            count = rate.per_second * self._integral(key, start, end)
            total.requests += count
            total.sum_ms += count * rate.median_ms * math.exp(SPREAD**2 / 2)  # the log-normal's mean
            for i, fraction in enumerate(_fractions(rate.median_ms)):
                total.buckets[i] += count * fraction

    def requests(self) -> dict[tuple[Labels, str], int]:
        """Each series' whole requests so far."""
        return {key: math.floor(total.requests) for key, total in self._totals.items()}

    def exposition(self) -> str:
        """``istio_requests_total`` and ``istio_request_duration_milliseconds`` for each reporter, in
        Prometheus' text format 0.0.4 (written here: a scrape a second must stay cheap)."""
        lines = [
            f"# HELP {REQUESTS}_total Requests, as Istio's proxies count them.",
            f"# TYPE {REQUESTS}_total counter",
        ]
        histogram = [
            f"# HELP {DURATION} Request durations, as Istio's proxies measure them.",
            f"# TYPE {DURATION} histogram",
        ]
        for (labels, code), total in sorted(self._totals.items()):
            count = math.floor(total.requests)
            # Floors of growing totals grow; capped by the count so that no bucket holds more than +Inf.
            buckets = [min(math.floor(b), count) for b in total.buckets]
            for reporter in REPORTERS:
                text = _labels((("reporter", reporter), *labels, ("response_code", code)))
                lines.append(f"{REQUESTS}_total{{{text}}} {count}")
                for bound, value in zip(BUCKETS_MS, buckets, strict=True):
                    histogram.append(f'{DURATION}_bucket{{{text},le="{bound:g}"}} {value}')
                histogram.append(f'{DURATION}_bucket{{{text},le="+Inf"}} {count}')
                histogram.append(f"{DURATION}_sum{{{text}}} {total.sum_ms!r}")
                histogram.append(f"{DURATION}_count{{{text}}} {count}")
        return "\n".join(lines + histogram) + "\n"

    def _integral(self, key: tuple[Labels, str], start: float, end: float) -> float:
        """The jitter factor integrated from ``start`` to ``end``: the time at the mean rate, noised per slot."""
        steady = max(0.0, end - _NOISE_HORIZON - start)
        start += steady
        total = steady
        slot = math.floor(start / _SLOT)
        prefix = repr((self._seed, key)).encode()
        while slot * _SLOT < end:
            low, high = max(start, slot * _SLOT), min(end, (slot + 1) * _SLOT)
            total += (high - low) * (1.0 + self._jitter * _noise(prefix, slot))
            slot += 1
        return total


def _noise(prefix: bytes, slot: int) -> float:
    """A value in [-1, 1), the same for the same series and slot (seeded, not random)."""
    digest = hashlib.blake2b(prefix + struct.pack(">q", slot), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


@lru_cache(maxsize=64)
def _fractions(median_ms: float) -> tuple[float, ...]:
    """The share of requests at or under each bucket's bound: the log-normal's distribution function."""
    mu = math.log(median_ms)
    return tuple(0.5 * (1.0 + math.erf((math.log(le) - mu) / (SPREAD * math.sqrt(2)))) for le in BUCKETS_MS)


def _labels(labels: Labels) -> str:
    return ",".join(f'{name}="{_escape(value)}"' for name, value in labels)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
