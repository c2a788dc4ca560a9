"""A real Prometheus scraping the traffic simulator every second: the rates an analysis would query.

The stack starts it (``prometheus=True``); the canary runs at 30 % from the start (as seeded in Git), so
the rates over 5 s are there once Prometheus has scraped for 5 s. Without Prometheus these skip with one reason (an error under CI).
"""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest

from promoter.sandbox import stack
from tests.sandbox_traffic.conftest import CANARY, FAST, ROUTE, MakeStack, canary_pods, weights

pytestmark = pytest.mark.usefixtures("needs_prometheus")

CANARY_RATE = 'sum(rate(istio_requests_total{reporter="destination",destination_workload="app-canary"}[5s]))'
STABLE_RATE = 'sum(rate(istio_requests_total{reporter="destination",destination_workload="app"}[5s]))'
CANARY_ERRORS = (
    'sum(rate(istio_requests_total{reporter="destination",destination_workload="app-canary",response_code=~"5.*"}[5s]))'
    f" / {CANARY_RATE}"
)
STABLE_ERRORS = CANARY_ERRORS.replace('"app-canary"', '"app"')
LATENCY = (
    "histogram_quantile(0.5, sum by (le) (rate("
    'istio_request_duration_milliseconds_bucket{reporter="source",destination_workload="WORKLOAD"}[5s])))'
)


def query(running: stack.Stack, promql: str) -> float | None:
    """An instant query's single value (None while there is none yet)."""
    assert running.prometheus_url is not None
    answer = httpx.get(f"{running.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer["status"] == "success", answer
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def settled(running: stack.Stack, promql: str, expected: float, rel: float, timeout: float = 12) -> float:
    """The value once it is near ``expected`` (rates need a few scrapes); the last value if it never is."""
    deadline = time.monotonic() + timeout
    value = query(running, promql)
    while (value is None or value != pytest.approx(expected, rel=rel)) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = query(running, promql)
    assert value is not None, f"no value for {promql}"
    return value


def test_prometheus_sees_each_workload_s_share_of_the_rate_and_the_bad_canary_s_errors(make_stack: MakeStack) -> None:
    # The canary's version fails in the Argo CD simulator's scenario: its pods answer 503 to 60 % of requests.
    started = time.monotonic()
    files = {CANARY: canary_pods(3, "2.0.0-bad"), ROUTE: weights(70, 30)}
    running = make_stack(files, scenario=dataclasses.replace(FAST, fail_images=("*:*-bad*",)), prometheus=True)
    assert running.environment()["PROMOTER_PROMETHEUS_URL"] == running.prometheus_url

    # Prometheus' first scrape comes about 5 s after its start, and a rate over 5 s needs 5 s of scrapes.
    assert settled(running, CANARY_RATE, 15.0, rel=0.15) == pytest.approx(15.0, rel=0.15)  # 30 % of 50 rps
    assert settled(running, STABLE_RATE, 35.0, rel=0.15) == pytest.approx(35.0, rel=0.15)
    assert settled(running, CANARY_ERRORS, 0.6, rel=0.15) == pytest.approx(0.6, rel=0.15)
    assert (query(running, STABLE_ERRORS) or 0.0) < 0.02
    median = settled(running, LATENCY.replace("WORKLOAD", "app"), 30.0, rel=0.3)
    assert 20 <= median <= 45
    assert time.monotonic() - started < 20
