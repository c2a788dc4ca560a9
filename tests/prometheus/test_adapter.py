"""The Prometheus adapter against a real Prometheus (backfilled history, queried at fixed past timestamps),
against a loopback socket that never answers, and against a small HTTP server that records what it receives."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import math
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from promoter.adapters.prometheus import PrometheusMetrics
from promoter.core.templates import Header, Prometheus
from promoter.errors import CredentialError, PermanentError, TemporaryError
from promoter.sandbox.prometheus import PrometheusServer
from tests.prometheus.conftest import POINTS, SECRETS, STEP, fresh_server

pytestmark = pytest.mark.xdist_group("prometheus")

SECRET = SECRETS["token"]


def instant(server: PrometheusServer, query: str, base: dt.datetime) -> list[dict[str, Any]]:
    """Prometheus' own answer, read without the adapter."""
    params = {"query": query, "time": str(base.timestamp())}
    body = httpx.get(f"{server.url}/api/v1/query", params=params, timeout=5).json()
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


# values ---------------------------------------------------------------------------------------------


def test_a_vector_is_its_values_in_prometheus_order(
    metrics: PrometheusMetrics, provider: Prometheus, server: PrometheusServer, base: dt.datetime
) -> None:
    result = metrics.query(provider, "http_requests_total", base)

    last = POINTS - 1
    assert isinstance(result, tuple)
    assert sorted(result) == sorted((10.0 * last, 1.0 * last, 3.0 * last))
    assert result == tuple(float(series["value"][1]) for series in instant(server, "http_requests_total", base))


def test_an_ordered_vector_keeps_the_order(metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime) -> None:
    assert metrics.query(provider, "sort_desc(http_requests_total)", base) == (2400.0, 720.0, 240.0)
    assert metrics.query(provider, "sort(http_requests_total)", base) == (240.0, 720.0, 2400.0)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1+1", 2.0),
        ('scalar(sum(http_requests_total{code="200"}))', 3120.0),
        ("scalar(level)", float(POINTS - 1)),
    ],
)
def test_a_scalar_is_a_float(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime, query: str, expected: float
) -> None:
    result = metrics.query(provider, query, base)
    assert isinstance(result, float)
    assert result == expected


def test_a_selector_matching_nothing_is_an_empty_vector(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    assert metrics.query(provider, 'http_requests_total{version="none"}', base) == ()


def test_nan_and_infinities_are_kept(metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime) -> None:
    nan = metrics.query(provider, 'odd{kind="nan"}', base)
    assert isinstance(nan, tuple) and len(nan) == 1 and math.isnan(nan[0])
    assert metrics.query(provider, 'odd{kind="inf"}', base) == (math.inf,)
    assert metrics.query(provider, 'odd{kind="neg"}', base) == (-math.inf,)
    assert metrics.query(provider, "1/0", base) == math.inf
    undefined = metrics.query(provider, "0/0", base)
    assert isinstance(undefined, float) and math.isnan(undefined)


def test_a_rate_over_the_backfilled_counters(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    # 21 samples over the 5 minutes, 10 apart: an increase of 200. Prometheus multiplies it by (extrapolated
    # interval / sampled interval / range), so the rate is 200 * (1/300): 0.6666666666666667, not 2/3.
    expected = 200 * (1 / 300)
    assert metrics.query(provider, 'rate(http_requests_total{version="stable",code="200"}[5m])', base) == (expected,)
    assert metrics.query(provider, 'increase(http_requests_total{version="stable",code="200"}[5m])', base) == (200.0,)
    errors = 'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))'
    assert metrics.query(provider, errors, base) == pytest.approx((1 / 14,), rel=1e-12)


def test_an_earlier_time_reads_earlier_samples(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    assert metrics.query(provider, "level", base - dt.timedelta(minutes=30)) == (float(POINTS - 1 - 120),)


def test_samples_are_series_after_series_in_time_order(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    start = base - dt.timedelta(minutes=1)
    samples = metrics.samples(provider, 'http_requests_total{code="200"}', start, base, dt.timedelta(seconds=STEP))

    steps = range(POINTS - 5, POINTS)
    canary, stable = tuple(3.0 * i for i in steps), tuple(10.0 * i for i in steps)
    assert samples in (canary + stable, stable + canary)  # series in Prometheus' order, each in time order
    assert metrics.samples(provider, "level", start, base, dt.timedelta(seconds=STEP)) == tuple(float(i) for i in steps)


def test_samples_of_nothing_are_empty(metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime) -> None:
    start = base - dt.timedelta(minutes=1)
    assert metrics.samples(provider, "absent_metric", start, base, dt.timedelta(seconds=STEP)) == ()


# refusals -------------------------------------------------------------------------------------------


def test_a_bad_query_is_permanent_with_prometheus_message(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    with pytest.raises(PermanentError, match="parse error: unexpected end of input") as caught:
        metrics.query(provider, "1 +", base)
    assert not isinstance(caught.value, TemporaryError)
    assert provider.address in str(caught.value)


def test_a_range_vector_from_an_instant_query_is_refused(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    with pytest.raises(PermanentError, match=r"a range vector: wrap it in a function like rate\(\)"):
        metrics.query(provider, "http_requests_total[1m]", base)


def test_a_string_is_refused(metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime) -> None:
    with pytest.raises(PermanentError, match="a string"):
        metrics.query(provider, '"hello"', base)


def test_too_many_points_in_a_range_query_is_permanent(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    start = base - dt.timedelta(hours=1)
    with pytest.raises(PermanentError, match="maximum resolution"):
        metrics.samples(provider, "level", start, base, dt.timedelta(milliseconds=100))


def test_prometheus_own_timeout_is_temporary(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    # A microsecond has passed before the query leaves Prometheus' queue: its "timeout" answer, a 503.
    tiny = Prometheus(address=provider.address, query="", timeout=dt.timedelta(microseconds=1))
    with pytest.raises(TemporaryError, match="503: query timed out"):
        metrics.query(tiny, "level", base)


# Prometheus away ------------------------------------------------------------------------------------


def test_prometheus_stopped_then_started_again(tmp_path: Path, base: dt.datetime, metrics: PrometheusMetrics) -> None:
    own = fresh_server(tmp_path, base)
    provider = Prometheus(address=own.url, query="", timeout=dt.timedelta(seconds=5))
    with own:
        assert metrics.query(provider, "level", base) == (float(POINTS - 1),)
        own.stop()

        began = time.monotonic()
        with pytest.raises(TemporaryError, match=r"cannot connect \(Connection refused\)") as caught:
            metrics.query(provider, "level", base)
        assert time.monotonic() - began < 1.0  # no retries with back-off inside the client
        assert own.url in str(caught.value)

        own.start()
        assert metrics.query(provider, "level", base) == (float(POINTS - 1),)  # same port, same data


@pytest.fixture
def silent() -> Iterator[str]:
    """A loopback socket that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_no_answer_is_temporary_within_the_timeout(silent: str, metrics: PrometheusMetrics, base: dt.datetime) -> None:
    provider = Prometheus(address=silent, query="", timeout=dt.timedelta(milliseconds=200))
    began = time.monotonic()
    with pytest.raises(TemporaryError, match=r"no answer within 0\.2 s"):
        metrics.query(provider, "level", base)
    assert time.monotonic() - began < 2.0  # the timeout and a half-second grace, not retries


def test_nothing_listening_is_temporary(metrics: PrometheusMetrics, base: dt.datetime) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, not listening: refused
        provider = Prometheus(address=address, query="", timeout=dt.timedelta(seconds=1))
        with pytest.raises(TemporaryError, match="Connection refused") as caught:
            metrics.query(provider, 'up{token="{{args.token}}"}', base)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # requests' text has the URL


def test_a_malformed_address_is_permanent(metrics: PrometheusMetrics, base: dt.datetime) -> None:
    provider = Prometheus(address="127.0.0.1:9090", query="", timeout=dt.timedelta(seconds=1))
    with pytest.raises(PermanentError, match="not a valid address"):
        metrics.query(provider, "up", base)


def test_a_timeout_that_is_not_positive_is_permanent(
    metrics: PrometheusMetrics, provider: Prometheus, base: dt.datetime
) -> None:
    zero = Prometheus(address=provider.address, query="", timeout=dt.timedelta(0))
    with pytest.raises(PermanentError, match="timeout must be positive"):
        metrics.query(zero, "up", base)


# headers and secrets (a recording HTTP server) ------------------------------------------------------


class Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request's path and headers; answers what the test set in ``answer``."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    answer: ClassVar[tuple[int, str]] = (200, "")

    def do_GET(self) -> None:
        type(self).seen.append((self.path, dict(self.headers.items())))
        status, body = type(self).answer
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


def vector(*values: str) -> str:
    result = [{"metric": {"n": str(i)}, "value": [1, v]} for i, v in enumerate(values)]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})


@pytest.fixture
def recorder() -> Iterator[tuple[type[Recorder], str]]:
    handler = type("Recording", (Recorder,), {"seen": [], "answer": (200, vector("1"))})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def with_headers(address: str, timeout: float = 2.0) -> Prometheus:
    return Prometheus(
        address=address,
        query="",
        timeout=dt.timedelta(seconds=timeout),
        headers=(Header("Authorization", "Bearer {{args.token}}"), Header("X-Scope-OrgID", "{{ args.tenant }}")),
    )


def test_headers_and_secrets_arrive(
    recorder: tuple[type[Recorder], str], metrics: PrometheusMetrics, base: dt.datetime
) -> None:
    handler, address = recorder
    assert metrics.query(with_headers(address), 'up{token="{{args.token}}"}', base) == (1.0,)

    ((path, headers),) = handler.seen
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["X-Scope-OrgID"] == "tenant-a"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["query"] == [f'up{{token="{SECRET}"}}']
    assert query["time"] == [f"{base.timestamp():.3f}"]
    assert query["timeout"] == ["2"]


def test_a_rotated_secret_is_sent(recorder: tuple[type[Recorder], str], base: dt.datetime) -> None:
    handler, address = recorder
    secrets = dict(SECRETS)
    with PrometheusMetrics(secrets.__getitem__) as metrics:
        metrics.query(with_headers(address), "up", base)
        secrets["token"] = "rotated"
        metrics.query(with_headers(address), "up", base)
    assert [headers["Authorization"] for _, headers in handler.seen] == [f"Bearer {SECRET}", "Bearer rotated"]


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            400,
            {"status": "error", "errorType": "bad_data", "error": f"parse error near {SECRET}"},
            PermanentError,
            "bad query: parse error near \\*\\*\\*",
        ),
        (
            422,
            {"status": "error", "errorType": "execution", "error": f"many-to-many matching {SECRET}"},
            PermanentError,
            "many-to-many",
        ),
        (401, {"error": f"bad token {SECRET}"}, CredentialError, r"refused \(401\): check the credentials"),
        (403, {}, CredentialError, r"refused \(403\): check the credentials"),
        (
            503,
            {"status": "error", "errorType": "unavailable", "error": f"busy {SECRET}"},
            TemporaryError,
            "answered 503: busy",
        ),
        (502, "<html>bad gateway</html>", TemporaryError, "answered 502: <html>bad gateway"),
        (404, "404 page not found", PermanentError, "answered 404"),
        (200, "<html>not prometheus</html>", PermanentError, "something other than Prometheus' JSON"),
        (
            200,
            {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}},
            PermanentError,
            "malformed",
        ),
    ],
)
def test_failed_answers_never_show_the_secret(
    recorder: tuple[type[Recorder], str],
    metrics: PrometheusMetrics,
    base: dt.datetime,
    status: int,
    body: object,
    error: type[Exception],
    message: str,
) -> None:
    handler, address = recorder
    handler.answer = (status, body if isinstance(body, str) else json.dumps(body))
    with pytest.raises(error, match=message) as caught:
        metrics.query(with_headers(address), 'up{token="{{args.token}}"}', base)
    assert SECRET not in str(caught.value)
    assert urllib.parse.quote(SECRET) not in str(caught.value)
    assert len(handler.seen) == 1  # no retries


def test_a_secret_that_is_not_there_is_permanent(
    recorder: tuple[type[Recorder], str], metrics: PrometheusMetrics, base: dt.datetime
) -> None:
    _, address = recorder
    with pytest.raises(PermanentError, match="the secret argument 'missing' has no value"):
        metrics.query(Prometheus(address=address, query=""), "up{x='{{args.missing}}'}", base)


@pytest.mark.parametrize(
    ("secret", "message"),
    [(SECRET + "\n", "a header value is not valid"), (SECRET + "\u20ac", "a header value is not Latin-1 text")],
)
def test_a_header_secret_http_cannot_carry_is_permanent_and_not_shown(
    recorder: tuple[type[Recorder], str], base: dt.datetime, secret: str, message: str
) -> None:
    handler, address = recorder
    secrets = {**SECRETS, "token": secret}
    with (
        PrometheusMetrics(secrets.__getitem__) as metrics,
        pytest.raises(PermanentError, match=message) as caught,
    ):
        metrics.query(with_headers(address), "up", base)
    assert SECRET not in str(caught.value)
    assert handler.seen == []
