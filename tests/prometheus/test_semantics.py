"""Every semantic case of :mod:`tests.core.test_analysis`, with the measurements taken from a real Prometheus.

A history of its own is backfilled (counters and gauges per ``case``, a sample every 5 s) so that instant
queries at the measurement times ``T0``, ``T0 + 1m``, ... give known success ratios: each minute before a
measurement time is one "window" with its own per-sample increments. The run is driven as the shell drives
it: :func:`promoter.core.analysis.state` says which measurement is due when, each is taken at that time through
:class:`~promoter.adapters.prometheus.PrometheusMetrics` (``query``, or ``samples`` for a judge) and built as
:mod:`promoter.engine.measuring` builds it (a :class:`~promoter.errors.PromoterError` is an Error measurement),
until the run has a verdict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from promoter import ports
from promoter.adapters.prometheus import PrometheusMetrics
from promoter.core import analysis, conditions
from promoter.core.measurements import Measurement, Result
from promoter.core.templates import Analysis, Arg, Judge, Metric, Phase, Prometheus, Template
from promoter.errors import PromoterError, TemporaryError
from promoter.sandbox.prometheus import PrometheusServer, backfill
from tests.prometheus.conftest import base_time

pytestmark = pytest.mark.xdist_group("prometheus")

S, I, E, F = Phase.SUCCESSFUL, Phase.INCONCLUSIVE, Phase.ERROR, Phase.FAILED  # noqa: E741 - a truth table's letters
LETTER = {S: "S", I: "I", E: "E", F: "F"}
RUN = "0:1"
STEP = 5  # seconds between backfilled samples
MINUTE = dt.timedelta(minutes=1)
WINDOWS = 5  # measurement times T0 .. T0 + 4m; window k is the minute before T0 + k minutes
PER_WINDOW = 60 // STEP  # samples a window adds
END = base_time()  # a whole hour two to three hours ago: within retention, before any head data
T0 = END - 6 * MINUTE  # the first measurement time (the run's start and ready time)
START = T0 - 2 * MINUTE  # the first sample: a warm-up minute before window 0 (whose first sample it is)
COUNTER_BASE = 1000  # counters start high, so rate()'s extrapolation is never cut at a zero point
NOWHERE = "http://prometheus.invalid"  # the table's address, replaced by the server's in the tests

# Per-sample increments of (code="200", code="500"), window by window (the warm-up repeats window 0's), by
# case and pod. The success ratio of window k is ok / (ok + err); (0, 0) has no requests, so 0/0 is NaN.
GOOD = (99, 1)  # 0.99
BAD = (50, 50)  # 0.5
IDLE = (0, 0)  # NaN
COUNTERS: dict[tuple[str, str], tuple[tuple[int, int], ...]] = {
    ("good", "a"): (GOOD,) * WINDOWS,
    ("second-bad", "a"): (GOOD, BAD, GOOD, GOOD, GOOD),
    ("first-and-third-bad", "a"): (BAD, GOOD, BAD, GOOD, GOOD),
    ("second-idle", "a"): (GOOD, IDLE, GOOD, GOOD, GOOD),
    ("idle", "a"): (IDLE,) * WINDOWS,
    ("quiet", "a"): ((1, 0),) * WINDOWS,  # ratio 1, but 12 requests a minute
    ("stable", "a"): (GOOD,) * WINDOWS,  # error ratio 0.01: the baseline
    ("canary-close", "a"): ((989, 11),) * WINDOWS,  # error ratio 0.011: within 0.005 of the baseline's
    ("canary-worse", "a"): ((95, 5),) * WINDOWS,  # error ratio 0.05
    ("no-successes", "a"): ((0, 5),) * WINDOWS,  # errors per success: +Inf
    ("pods", "a"): ((95, 5),) * WINDOWS,  # 0.95
    ("pods", "b"): ((91, 9),) * WINDOWS,  # 0.91
    ("pods-one-bad", "a"): ((95, 5),) * WINDOWS,
    ("pods-one-bad", "b"): (BAD,) * WINDOWS,
    ("bad-then-idle", "a"): (BAD, IDLE, GOOD, GOOD, GOOD),
}
# Query errors at chosen measurements: ``flaky{case,pod}`` is 1 for pod a always and for pod b in the windows
# marked 1 here (0 otherwise), so :func:`erring`'s ``label_replace`` of the series above 0 makes two series with
# the same labels there, which Prometheus refuses at evaluation time ("vector cannot contain metrics with the same
# labelset"): a real runtime error of a valid query, not a syntax error.
FLAKY: dict[str, tuple[int, ...]] = {
    "first": (1, 0, 0, 0, 0),
    "first-and-third": (1, 0, 1, 0, 0),
    "pattern": (1, 1, 0, 1, 0),
    "always": (1,) * WINDOWS,
}
MISSING = "missing"  # a case no series has: an empty vector


# Request durations as a histogram: per sample, how many requests took at most each bound (cumulative, the last
# is +Inf), the same in every window. p95 by histogram_quantile's interpolation: stable 0.325 s, close 0.333 s
# (a ratio of 1.03), slow 0.775 s (2.38).
BOUNDS = ("0.1", "0.2", "0.4", "0.8", "+Inf")
DURATIONS: dict[str, tuple[int, ...]] = {
    "stable": (50, 90, 98, 100, 100),
    "p95-close": (50, 89, 98, 100, 100),
    "p95-slow": (20, 50, 80, 96, 100),
}


def times(first: dt.datetime, last: dt.datetime) -> Iterator[tuple[int, int]]:
    """(sample index, timestamp in seconds) every STEP from ``first`` to ``last``, both included."""
    begin = int(first.timestamp())
    for i in range((int(last.timestamp()) - begin) // STEP + 1):
        yield i, begin + i * STEP


def window_of(timestamp: int) -> int:
    """The window a sample at ``timestamp`` adds to: the minute ending at T0 + k minutes (k >= 0)."""
    since = timestamp - int(T0.timestamp())
    return max(0, min(WINDOWS - 1, -(-since // 60)))  # ceil: a sample at T0 + k minutes ends window k


def stable_latency(i: int) -> float:
    """The baseline's latency at sample i: distinct within any window (7 i mod 23, 23 a prime above 13)."""
    return 0.1 + 0.001 * ((7 * i) % 23)


def history() -> str:
    """OpenMetrics text from START to END: ``http_requests_total{case,pod,code}``, the histogram
    ``request_duration_seconds{case}``, ``flaky{case,pod}`` and ``latency_seconds{case}``."""
    lines = ["# TYPE http_requests counter"]
    for (case, pod), windows in COUNTERS.items():
        for code, side in (("200", 0), ("500", 1)):
            value = COUNTER_BASE
            labels = f'case="{case}",pod="{pod}",code="{code}"'
            for i, timestamp in times(START, END):
                if i > 0:
                    value += windows[window_of(timestamp)][side]
                lines.append(f"http_requests_total{{{labels}}} {value} {timestamp}")
    lines.append("# TYPE request_duration_seconds histogram")
    for case, cumulative in DURATIONS.items():
        for i, timestamp in times(START, END):
            for bound, per_sample in zip(BOUNDS, cumulative, strict=True):
                value = COUNTER_BASE + i * per_sample
                lines.append(f'request_duration_seconds_bucket{{case="{case}",le="{bound}"}} {value} {timestamp}')
            lines.append(
                f'request_duration_seconds_count{{case="{case}"}} {COUNTER_BASE + i * cumulative[-1]} {timestamp}'
            )
            lines.append(f'request_duration_seconds_sum{{case="{case}"}} {i * cumulative[-1] * 0.2} {timestamp}')
    lines.append("# TYPE flaky gauge")
    for case, windows in FLAKY.items():
        for pod in ("a", "b"):
            lines += [
                f'flaky{{case="{case}",pod="{pod}"}} {1 if pod == "a" else windows[window_of(timestamp)]} {timestamp}'
                for _, timestamp in times(START, END)
            ]
    lines.append("# TYPE latency_seconds gauge")
    for case, factor in (("stable", 1.0), ("equal", 1.0), ("slow", 2.0)):
        lines += [
            f'latency_seconds{{case="{case}"}} {factor * stable_latency(i)!r} {timestamp}'
            for i, timestamp in times(START, END)
        ]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def expected_ratio(case: str, pod: str, window: int) -> float:
    ok, err = COUNTERS[case, pod][window]
    return ok / (ok + err) if ok + err else math.nan


# queries --------------------------------------------------------------------------------------------------


def requests(case: str, code: str | None = None, pod: str | None = None) -> str:
    labels = f'case="{case}"' + (f',pod="{pod}"' if pod else "") + (f',code="{code}"' if code else "")
    return f"http_requests_total{{{labels}}}"


def success_rate(case: str) -> str:
    return f"sum(rate({requests(case, '200')}[1m])) / sum(rate({requests(case)}[1m]))"


def error_rate(case: str) -> str:
    return f"sum(rate({requests(case, '500')}[1m])) / sum(rate({requests(case)}[1m]))"


def per_pod_success_rate(case: str) -> str:
    return f"sum by (pod) (rate({requests(case, '200')}[1m])) / sum by (pod) (rate({requests(case)}[1m]))"


def errors_per_success(case: str) -> str:
    return f"sum(rate({requests(case, '500')}[1m])) / sum(rate({requests(case, '200')}[1m]))"


def traffic(case: str) -> str:
    return f"sum(increase({requests(case)}[1m]))"


def p95(case: str) -> str:
    return f'histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket{{case="{case}"}}[1m])))'


def latency(case: str) -> str:
    return f'latency_seconds{{case="{case}"}}'


def erring(query: str, case: str) -> str:
    """``query``, failing to evaluate in the windows ``FLAKY[case]`` marks (times 1 in the others)."""
    same = f'label_replace(flaky{{case="{case}"}} > 0, "pod", "same", "pod", ".*")'
    return f"({query}) * scalar(count({same}))"


def metric(name: str, query: str, **kw: object) -> Metric:
    """A metric measured every minute, three times, ``result[0] >= 0.95`` unless told otherwise."""
    success = kw.pop("success", "result[0] >= 0.95")
    failure = kw.pop("failure", None)
    fields: dict[str, object] = {
        "interval": MINUTE,
        "count": 3,
        "success": conditions.parse(success) if isinstance(success, str) else None,
        "failure": conditions.parse(failure) if isinstance(failure, str) else None,
    }
    fields.update(kw)
    provider = Prometheus(NOWHERE, query, timeout=dt.timedelta(seconds=5))
    return Metric(name, provider, **fields)  # type: ignore[arg-type]


def judged_metric(name: str, case: str, **kw: object) -> Metric:
    """A judge of the canary's latency samples against the stable's, over each minute (two measurements)."""
    return metric(name, latency(case), success=None, baseline=latency("stable"), judge=Judge(), count=2, **kw)


# the run, as the shell drives it --------------------------------------------------------------------------


def measure(metrics: ports.Metrics, request: analysis.Request, now: dt.datetime) -> Measurement:
    """One measurement, as :func:`promoter.engine.measuring._measure` takes it: an error is never a value."""
    blank = Measurement(request.key, now)
    try:
        if request.window is not None and request.step is not None:
            start = now - request.window
            value: Result = metrics.samples(request.provider, request.provider.query, start, now, request.step)
            baseline: Result | None = (
                metrics.samples(request.provider, request.baseline, start, now, request.step)
                if request.baseline is not None
                else None
            )
        else:
            value = metrics.query(request.provider, request.provider.query, now)
            baseline = metrics.query(request.provider, request.baseline, now) if request.baseline is not None else None
        measured = metrics.query(request.provider, request.traffic, now) if request.traffic is not None else None
    except PromoterError as exc:
        return dataclasses.replace(blank, error=str(exc))
    return dataclasses.replace(blank, value=value, baseline=baseline, traffic=measured)


def state(an: Analysis, taken: Sequence[Measurement]) -> analysis.RunState:
    return analysis.state(an, RUN, {}, taken, started=T0, ready=T0)


def step(an: Analysis, metrics: ports.Metrics, taken: list[Measurement]) -> analysis.RunState:
    """One pass: the measurements due at the earliest wake-up taken at that time, then the run's state."""
    before = state(an, taken)
    assert before.phase is None and before.wake_at is not None
    now = before.wake_at
    taken += [measure(metrics, request, now) for request in before.due if request.due == now]
    return state(an, taken)


def drive(an: Analysis, metrics: ports.Metrics) -> tuple[analysis.RunState, list[Measurement]]:
    taken: list[Measurement] = []
    for _ in range(WINDOWS):
        after = step(an, metrics, taken)
        if after.phase is not None:
            return after, taken
    raise AssertionError(f"no verdict after {WINDOWS} passes: {state(an, taken).summary}")


def at_server(an: Analysis, url: str) -> Analysis:
    """The analysis with every metric's provider at ``url``."""
    templates = tuple(
        dataclasses.replace(
            t,
            metrics=tuple(
                dataclasses.replace(m, provider=dataclasses.replace(m.provider, address=url)) for m in t.metrics
            ),
        )
        for t in an.templates
    )
    return dataclasses.replace(an, templates=templates)


def run_of(*metrics: Metric) -> Analysis:
    return Analysis((Template("t", metrics),))


def outcome(run: analysis.RunState) -> dict[str, tuple[Phase | None, str]]:
    """Each metric's phase (None: still measuring) and its measurements' phases as letters."""
    return {m.name: (m.phase, "".join(LETTER[j.phase] for j in m.judged)) for m in run.metrics}


# the server -----------------------------------------------------------------------------------------------


# This module's own server, adapter and provider (the conftest's history is not laid out for these cases).


@pytest.fixture(scope="module")
def server(prometheus_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    workdir = tmp_path_factory.mktemp("prometheus-semantics")
    backfill(workdir, history())
    with PrometheusServer(workdir) as running:
        yield running


@pytest.fixture
def metrics() -> Iterator[PrometheusMetrics]:
    with PrometheusMetrics() as adapter:
        yield adapter


@pytest.fixture
def provider(server: PrometheusServer) -> Prometheus:
    return Prometheus(server.url, "", timeout=dt.timedelta(seconds=5))


# the history is what the table assumes ----------------------------------------------------------------------


def test_the_history_gives_the_designed_ratio_in_every_window(metrics: PrometheusMetrics, provider: Prometheus) -> None:
    for case, pod in COUNTERS:
        query = f"sum(rate({requests(case, '200', pod)}[1m])) / sum(rate({requests(case, pod=pod)}[1m]))"
        for k in range(WINDOWS):
            (got,) = metrics.query(provider, query, T0 + k * MINUTE)  # type: ignore[misc]
            want = expected_ratio(case, pod, k)
            assert math.isnan(got) if math.isnan(want) else got == pytest.approx(want, rel=1e-12), (case, pod, k)


def test_the_histograms_give_the_designed_p95(metrics: PrometheusMetrics, provider: Prometheus) -> None:
    for case, want in (("stable", 0.325), ("p95-close", 0.2 + 6 / 9 * 0.2), ("p95-slow", 0.775)):
        assert metrics.query(provider, p95(case), T0 + MINUTE) == pytest.approx((want,), rel=1e-9), case


def test_the_flaky_windows_fail_to_evaluate_as_designed(metrics: PrometheusMetrics, provider: Prometheus) -> None:
    for case, windows in FLAKY.items():
        for k, fails in enumerate(windows):
            try:
                (got,) = metrics.query(provider, erring(success_rate("good"), case), T0 + k * MINUTE)  # type: ignore[misc]
            except PromoterError as exc:
                assert fails and "vector cannot contain metrics with the same labelset" in str(exc), (case, k)
            else:
                assert not fails and got == pytest.approx(0.99, rel=1e-12), (case, k)


def test_the_odd_answers_are_there(metrics: PrometheusMetrics, provider: Prometheus) -> None:
    assert metrics.query(provider, success_rate(MISSING), T0) == ()
    assert metrics.query(provider, errors_per_success("no-successes"), T0) == (math.inf,)
    (nan,) = metrics.query(provider, success_rate("idle"), T0)  # type: ignore[misc]
    assert math.isnan(nan)
    assert metrics.query(provider, traffic("quiet"), T0) == pytest.approx((12.0,))
    assert metrics.query(provider, traffic("good"), T0) == pytest.approx((1200.0,))
    assert sorted(metrics.query(provider, per_pod_success_rate("pods"), T0)) == pytest.approx([0.91, 0.95])  # type: ignore[arg-type]
    samples = metrics.samples(provider, latency("stable"), T0 - MINUTE, T0, dt.timedelta(seconds=12))
    assert len(samples) == 6 and len(set(samples)) == 6  # a window's samples, distinct (no ties for the judge)
    slow = metrics.samples(provider, latency("slow"), T0 - MINUTE, T0, dt.timedelta(seconds=12))
    assert slow == pytest.approx(tuple(2 * v for v in samples))


# every semantic case ----------------------------------------------------------------------------------------

Expected = dict[str, tuple[Phase | None, str]]

CASES: list[tuple[str, Analysis, Phase, Expected]] = [
    # one measurement: the conditions
    ("success-true", run_of(metric("m", success_rate("good"), count=1)), S, {"m": (S, "S")}),
    ("success-false", run_of(metric("m", success_rate("first-and-third-bad"), count=1)), F, {"m": (F, "F")}),
    (
        "scalar",
        run_of(metric("m", f"scalar({success_rate('good')})", count=1, success="result >= 0.95")),
        S,
        {"m": (S, "S")},
    ),
    (
        "failure-only-true",
        run_of(metric("m", error_rate("first-and-third-bad"), count=1, success=None, failure="result[0] > 0.1")),
        F,
        {"m": (F, "F")},
    ),
    (
        "failure-only-false",
        run_of(metric("m", error_rate("good"), count=1, success=None, failure="result[0] > 0.1")),
        S,
        {"m": (S, "S")},
    ),
    (
        "both-neither",  # 0.989: not above 0.995, not below 0.5
        run_of(
            metric("m", success_rate("canary-close"), count=1, success="result[0] > 0.995", failure="result[0] < 0.5")
        ),
        I,
        {"m": (I, "I")},
    ),
    (
        "both-failure-wins",
        run_of(metric("m", success_rate("good"), count=1, success="result[0] > 0.1", failure="result[0] > 0.5")),
        F,
        {"m": (F, "F")},
    ),
    (
        "failure-true-success-unreadable",
        run_of(metric("m", success_rate("good"), count=1, success="result[3] > 1", failure="result[0] > 0.5")),
        F,
        {"m": (F, "F")},
    ),
    (
        "failure-unreadable",
        run_of(metric("m", success_rate("good"), count=1, success="result[0] > 0.5", failure="result[3] > 1")),
        E,
        {"m": (E, "E")},
    ),
    # no data: never a silent pass
    ("empty-vector-inconclusive", run_of(metric("m", success_rate(MISSING), count=1)), I, {"m": (I, "I")}),
    (
        "empty-vector-despite-idiom",
        run_of(metric("m", success_rate(MISSING), count=1, success="len(result) == 0 || result[0] >= 0.95")),
        I,
        {"m": (I, "I")},
    ),
    ("nan-inconclusive", run_of(metric("m", success_rate("idle"), count=1)), I, {"m": (I, "I")}),
    (
        "nan-scalar",  # scalar() of a NaN series
        run_of(metric("m", f"scalar({success_rate('idle')})", count=1, success="result >= 0.95")),
        I,
        {"m": (I, "I")},
    ),
    (
        "nan-scalar-of-nothing",  # scalar() of an empty vector is NaN
        run_of(metric("m", f"scalar({success_rate(MISSING)})", count=1, success="result >= 0.95")),
        I,
        {"m": (I, "I")},
    ),
    (
        "empty-said-failed",
        run_of(metric("m", success_rate(MISSING), count=1, empty=F)),
        F,
        {"m": (F, "F")},
    ),
    (
        "inf-judged",
        run_of(metric("m", errors_per_success("no-successes"), count=1, success="result[0] < 100")),
        F,
        {"m": (F, "F")},
    ),
    (
        "several-series-all",
        run_of(metric("m", per_pod_success_rate("pods"), count=1, success="all(result, {# >= 0.9})")),
        S,
        {"m": (S, "S")},
    ),
    (
        "several-series-one-bad",
        run_of(metric("m", per_pod_success_rate("pods-one-bad"), count=1, success="all(result, {# >= 0.9})")),
        F,
        {"m": (F, "F")},
    ),
    (
        "evaluation-error",
        run_of(metric("m", success_rate("good"), count=1, success="result[3] > 1")),
        E,
        {"m": (E, "E")},
    ),
    (
        "range-vector-query-is-an-error",
        run_of(metric("m", f"{requests('good')}[1m]", count=1, consecutive_error_limit=0)),
        E,
        {"m": (E, "E")},
    ),
    (
        "bad-query-is-an-error",
        run_of(metric("m", "sum(rate(http_requests_total[1m])", count=1, consecutive_error_limit=0)),
        E,
        {"m": (E, "E")},
    ),
    # a metric's sequence: the limits
    ("all-good", run_of(metric("m", success_rate("good"))), S, {"m": (S, "SSS")}),
    (
        "one-measurement-default",  # neither interval nor count: one measurement
        run_of(metric("m", success_rate("good"), interval=None, count=None)),
        S,
        {"m": (S, "S")},
    ),
    ("one-failure-limit-0", run_of(metric("m", success_rate("second-bad"))), F, {"m": (F, "SF")}),
    ("failure-within-limit", run_of(metric("m", success_rate("second-bad"), failure_limit=1)), S, {"m": (S, "SFS")}),
    (
        "failures-beyond-limit",
        run_of(metric("m", success_rate("first-and-third-bad"), failure_limit=1)),
        F,
        {"m": (F, "FSF")},
    ),
    ("inconclusive-limit-0", run_of(metric("m", success_rate("second-idle"))), I, {"m": (I, "SI")}),
    (
        "inconclusive-within-limit",
        run_of(metric("m", success_rate("second-idle"), inconclusive_limit=1)),
        S,
        {"m": (S, "SIS")},
    ),
    (
        "only-inconclusive-within-limit",
        run_of(metric("m", success_rate("idle"), count=2, inconclusive_limit=5)),
        I,
        {"m": (I, "II")},
    ),
    (
        "only-failures-within-limit",
        run_of(metric("m", success_rate("pods-one-bad"), count=2, failure_limit=2)),  # 0.725 twice
        F,
        {"m": (F, "FF")},
    ),
    # errors in a sequence: runtime errors of the query at chosen measurements
    (
        "errors-in-a-row-beyond",
        run_of(metric("m", erring(success_rate("good"), "always"), count=5, consecutive_error_limit=2)),
        E,
        {"m": (E, "EEE")},
    ),
    (
        "errors-within-limit",
        run_of(metric("m", erring(success_rate("good"), "first"), consecutive_error_limit=4)),
        S,
        {"m": (S, "ESS")},
    ),
    (
        "errors-not-in-a-row-beyond-total",  # Argo Rollouts resets its count at each success: it would pass
        run_of(metric("m", erring(success_rate("good"), "pattern"), count=5, consecutive_error_limit=2)),
        E,
        {"m": (E, "EESE")},
    ),
    (
        "every-measurement-an-error-or-empty",
        run_of(metric("m", erring(success_rate("second-idle"), "first-and-third"), inconclusive_limit=5)),
        E,
        {"m": (E, "EIE")},
    ),
    (
        "an-error-and-inconclusive-within-limits",
        run_of(metric("m", erring(success_rate("second-idle"), "first"), count=2, inconclusive_limit=1)),
        E,
        {"m": (E, "EI")},
    ),
    (
        "failed-and-inconclusive-within-limits",
        run_of(metric("m", success_rate("bad-then-idle"), count=2, failure_limit=1, inconclusive_limit=1)),
        F,
        {"m": (F, "FI")},
    ),
    # minimum traffic
    (
        "below-minimum-traffic",
        run_of(metric("m", success_rate("quiet"), count=1, traffic=traffic("quiet"), min_traffic=100.0)),
        I,
        {"m": (I, "I")},
    ),
    (
        "no-traffic-series",
        run_of(metric("m", success_rate("good"), count=1, traffic=traffic(MISSING), min_traffic=100.0)),
        I,
        {"m": (I, "I")},
    ),
    (
        "minimum-traffic-met",
        run_of(metric("m", success_rate("good"), count=1, traffic=traffic("good"), min_traffic=100.0)),
        S,
        {"m": (S, "S")},
    ),
    # canary versus baseline
    *(
        (
            name,
            run_of(
                metric(
                    "m",
                    error_rate(canary),
                    count=1,
                    success="result[0] <= baseline[0] + 0.005",
                    baseline=error_rate(stable),
                )
            ),
            phase,
            {"m": (phase, LETTER[phase])},
        )
        for name, canary, stable, phase in (
            ("baseline-within-margin", "canary-close", "stable", S),
            ("baseline-over-margin", "canary-worse", "stable", F),
            ("baseline-empty", "canary-close", MISSING, I),
            ("baseline-nan", "canary-close", "idle", I),
        )
    ),
    # p95 latency, canary over stable, from real histograms
    *(
        (
            name,
            run_of(metric("m", p95(canary), count=1, success="result[0] / baseline[0] < 1.2", baseline=p95("stable"))),
            phase,
            {"m": (phase, LETTER[phase])},
        )
        for name, canary, phase in (
            ("p95-ratio-within", "p95-close", S),
            ("p95-ratio-over", "p95-slow", F),
        )
    ),
    # the baseline as the metric's own query, read with the stable's arguments
    *(
        (
            name,
            Analysis(
                (
                    Template(
                        "t",
                        (
                            metric(
                                "m",
                                error_rate("{{args.case}}"),
                                count=1,
                                success="result[0] <= baseline[0] + 0.005",
                                baseline=error_rate("{{args.case}}"),
                                baseline_args=(("case", "stable"),),
                            ),
                        ),
                        args=(Arg("case"),),
                    ),
                ),
                args=(("case", canary),),
            ),
            phase,
            {"m": (phase, LETTER[phase])},
        )
        for name, canary, phase in (
            ("baseline-by-arguments-within-margin", "canary-close", S),
            ("baseline-by-arguments-over-margin", "canary-worse", F),
        )
    ),
    # the judge: samples over each minute, the canary's against the stable's
    (
        "judge-high",
        run_of(judged_metric("latency", "slow")),
        F,
        {"latency": (F, "F"), "t: score": (F, "F")},
    ),
    (
        "judge-pass",
        run_of(judged_metric("latency", "equal")),
        S,
        {"latency": (S, "SS"), "t: score": (S, "SS")},
    ),
    # dry run: measured and shown, never counted
    (
        "dry-run-failing-not-counted",
        run_of(
            metric("dry", success_rate("first-and-third-bad"), count=1, dry_run=True),
            metric("real", success_rate("good")),
        ),
        S,
        {"dry": (F, "F"), "real": (S, "SSS")},
    ),
    (
        "dry-run-judge-not-counted",
        run_of(judged_metric("dry", "slow", dry_run=True), judged_metric("real", "equal")),
        S,
        {"dry": (F, "F"), "real": (S, "SS"), "t: score": (S, "SS")},
    ),
    # the run takes the worst; a Failed or Error metric ends it at once
    (
        "worst-of-failed",
        run_of(metric("a", success_rate("good")), metric("b", success_rate("second-bad"))),
        F,
        {"a": (None, "SS"), "b": (F, "SF")},
    ),
    (
        "worst-of-error",
        run_of(metric("a", success_rate("good")), metric("b", f"{requests('good')}[1m]", consecutive_error_limit=0)),
        E,
        {"a": (None, "S"), "b": (E, "E")},
    ),
    (
        "worst-of-inconclusive",  # b is Inconclusive at its second; the run waits for a
        run_of(metric("a", success_rate("good")), metric("b", success_rate("second-idle"))),
        I,
        {"a": (S, "SSS"), "b": (I, "SI")},
    ),
    (
        "failed-beats-error",  # both end at the first measurement
        run_of(
            metric("a", f"{requests('good')}[1m]", consecutive_error_limit=0),
            metric("b", success_rate("first-and-third-bad")),
        ),
        F,
        {"a": (E, "E"), "b": (F, "F")},
    ),
    (
        "all-successful",
        run_of(
            metric("a", success_rate("good")),
            metric("b", per_pod_success_rate("pods"), success="all(result, {# >= 0.9})"),
        ),
        S,
        {"a": (S, "SSS"), "b": (S, "SSS")},
    ),
]


@pytest.mark.parametrize(("an", "verdict", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_semantic_case_on_a_real_prometheus(
    metrics: PrometheusMetrics, server: PrometheusServer, an: Analysis, verdict: Phase, expected: Expected
) -> None:
    run, taken = drive(at_server(an, server.url), metrics)

    assert (run.phase, outcome(run)) == (verdict, expected), run.summary
    assert run.due == ()
    # each measurement was taken at its time, T0 and then a minute after the metric's last
    for m in taken:
        assert m.taken_at == T0 + m.key.index * MINUTE


def test_measured_values_are_prometheus_answers(metrics: PrometheusMetrics, server: PrometheusServer) -> None:
    """The values the verdicts read: vectors, NaN, +Inf, several series, baselines, traffic, samples."""
    an = at_server(
        run_of(
            metric("ratio", success_rate("second-idle"), inconclusive_limit=1),
            metric("inf", errors_per_success("no-successes"), success="result[0] < 100", dry_run=True, failure_limit=5),
            metric("pods", per_pod_success_rate("pods"), success="all(result, {# >= 0.9})"),
            metric(
                "vs",
                error_rate("canary-close"),
                success="result[0] <= baseline[0] + 0.005",
                baseline=error_rate("stable"),
            ),
            metric("quiet", success_rate("quiet"), traffic=traffic("quiet"), min_traffic=10.0),
        ),
        server.url,
    )
    run, taken = drive(an, metrics)
    by = {(m.key.metric, m.key.index): m for m in taken}

    assert run.phase is S, run.summary
    assert [by["ratio", n].value for n in (0, 2)] == [pytest.approx((0.99,))] * 2
    (nan,) = by["ratio", 1].value  # type: ignore[misc]
    assert math.isnan(nan)
    assert {by["inf", n].value for n in range(3)} == {(math.inf,)}
    assert sorted(by["pods", 0].value) == pytest.approx([0.91, 0.95])  # type: ignore[arg-type]
    assert (by["vs", 0].value, by["vs", 0].baseline) == (pytest.approx((0.011,)), pytest.approx((0.01,)))
    assert by["quiet", 0].traffic == pytest.approx((12.0,))
    assert all(m.error is None for m in taken)


def test_a_judges_samples_are_a_range_query_over_the_interval(
    metrics: PrometheusMetrics, server: PrometheusServer
) -> None:
    an = at_server(run_of(judged_metric("latency", "slow")), server.url)
    (request, *_) = state(an, []).due
    assert (request.window, request.step) == (MINUTE, dt.timedelta(seconds=12))

    taken = measure(metrics, request, request.due)

    assert isinstance(taken.value, tuple) and isinstance(taken.baseline, tuple)
    assert len(taken.value) == len(taken.baseline) == 6  # T0 - 1m .. T0, every 12 s
    assert taken.value == pytest.approx(tuple(2 * v for v in taken.baseline))
    one = analysis.judge_measurement(an.metrics[0], taken)
    assert one.classification is not None
    assert (one.phase, one.classification.outcome.value) == (F, "High")
    assert one.classification.effect == pytest.approx(1.0)  # the canary's median twice the stable's


# Prometheus stopped in the middle of a run ----------------------------------------------------------------------


def test_prometheus_stopped_mid_run_is_an_error_then_measures_again_after_a_restart(
    prometheus_installed: None, tmp_path: Path, metrics: PrometheusMetrics
) -> None:
    backfill(tmp_path, history())
    prometheus = PrometheusServer(tmp_path)
    good = metric("m", success_rate("good"), count=WINDOWS, consecutive_error_limit=1)
    an = at_server(run_of(good), prometheus.url)
    taken: list[Measurement] = []
    with prometheus:
        for _ in range(2):
            assert step(an, metrics, taken).phase is None
        assert [m.value for m in taken] == [pytest.approx((0.99,))] * 2

        prometheus.stop()
        with pytest.raises(TemporaryError, match="cannot connect"):
            metrics.query(good.provider, good.provider.query, T0)
        third = step(an, metrics, taken)
        assert third.phase is None  # one error: within the limit of 1
        assert taken[2].error is not None and "cannot connect" in taken[2].error and taken[2].value is None
        fourth = step(an, metrics, taken)
        assert (fourth.phase, outcome(fourth)) == (E, {"m": (E, "SSEE")})
        assert fourth.due == ()

        prometheus.start()  # the same port and data directory: the history is still there
        fresh = measure(metrics, state(an, []).due[0], T0 + 4 * MINUTE)
        assert (fresh.error, fresh.value) == (None, pytest.approx((0.99,)))
