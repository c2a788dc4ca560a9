"""Fixtures: one real Prometheus for the session, its history backfilled with promtool (deterministic values
at fixed past timestamps), and the adapter over it.

Without Prometheus (the Debian package ``prometheus``) every test here skips with one reason,
:data:`MISSING_PROMETHEUS`; under ``CI`` its absence is an error instead, since CI installs it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from promoter.adapters.prometheus import PrometheusMetrics
from promoter.core.templates import Prometheus
from promoter.sandbox.prometheus import PrometheusServer, backfill, installed

MISSING_PROMETHEUS = "Prometheus is not installed (the Debian package 'prometheus': ./scripts/system-packages)"
STEP = 15  # seconds between backfilled samples
POINTS = 241  # an hour of them, both ends included
# Per-step increments of the counters: rates of 10/15, 1/15 and 3/15 per second.
COUNTERS = {
    ("stable", "200"): 10,
    ("stable", "500"): 1,
    ("canary", "200"): 3,
}
SECRETS = {"token": "s3cr3t-t0ken", "tenant": "tenant-a"}


def base_time() -> dt.datetime:
    """The end of the history: a whole hour two to three hours ago (within retention, before any head data)."""
    hour = int(time.time()) // 3600 - 2
    return dt.datetime.fromtimestamp(hour * 3600, tz=dt.UTC)


def at(base: dt.datetime, step: int) -> int:
    """The timestamp (seconds) of the ``step``-th sample, 0 the first (an hour before ``base``)."""
    return int(base.timestamp()) - (POINTS - 1) * STEP + step * STEP


def history(base: dt.datetime) -> str:
    """OpenMetrics text: the counters, the gauge ``odd`` (NaN, ±Inf) and the gauge ``level`` (its step index)."""
    lines = ["# TYPE http_requests counter"]
    for (version, code), increment in COUNTERS.items():
        labels = f'version="{version}",code="{code}"'
        lines += [f"http_requests_total{{{labels}}} {increment * i} {at(base, i)}" for i in range(POINTS)]
    lines.append("# TYPE odd gauge")
    for kind, value in (("nan", "NaN"), ("inf", "+Inf"), ("neg", "-Inf")):
        lines += [f'odd{{kind="{kind}"}} {value} {at(base, i)}' for i in range(POINTS)]
    lines.append("# TYPE level gauge")
    lines += [f"level {i} {at(base, i)}" for i in range(POINTS)]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def prometheus_installed() -> None:
    if installed():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{MISSING_PROMETHEUS} (CI is set: this is an error there, not a skip)", pytrace=False)
    pytest.skip(MISSING_PROMETHEUS)


@pytest.fixture(autouse=True)
def _need_prometheus(prometheus_installed: None) -> None:
    """Every test of this directory: the skip (or the failure under CI) comes from one place."""


@pytest.fixture(scope="session")
def base() -> dt.datetime:
    return base_time()


@pytest.fixture(scope="session")
def server(
    prometheus_installed: None, base: dt.datetime, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    workdir = tmp_path_factory.mktemp("prometheus")
    backfill(workdir, history(base))
    with PrometheusServer(workdir) as running:
        yield running


@pytest.fixture
def metrics() -> Iterator[PrometheusMetrics]:
    with PrometheusMetrics(SECRETS.__getitem__) as adapter:
        yield adapter


@pytest.fixture
def provider(server: PrometheusServer) -> Prometheus:
    return Prometheus(address=server.url, query="", timeout=dt.timedelta(seconds=5))


def fresh_server(workdir: Path, base: dt.datetime) -> PrometheusServer:
    """A server of a test's own (one it stops and starts), with the same history."""
    backfill(workdir, history(base))
    return PrometheusServer(workdir)
