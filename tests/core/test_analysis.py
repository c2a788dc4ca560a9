"""The run semantics of an analysis as truth tables: limits, worst-of, dry run, inconclusive, consecutive and
total errors, empty and NaN, minimum traffic, baselines, the judge's score, and when measurements are due."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from promoter.core import analysis, conditions
from promoter.core.measurements import MeasureKey, Measurement, Result
from promoter.core.templates import (
    Analysis,
    Arg,
    ArgumentError,
    Direction,
    Judge,
    Metric,
    Phase,
    Prometheus,
    Score,
    Source,
    Template,
    render,
)

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
RUN = "0:1"
NAN = math.nan
S, I, E, F = Phase.SUCCESSFUL, Phase.INCONCLUSIVE, Phase.ERROR, Phase.FAILED  # noqa: E741 - a truth table's letters
ERR = object()  # an Error measurement in a sequence


def metric(name: str = "m", **kw: object) -> Metric:
    success = kw.pop("success", "result[0] >= 0.95")
    failure = kw.pop("failure", None)
    fields: dict[str, object] = {
        "interval": dt.timedelta(seconds=10),
        "count": 3,
        "success": conditions.parse(success) if isinstance(success, str) else None,
        "failure": conditions.parse(failure) if isinstance(failure, str) else None,
    }
    fields.update(kw)
    return Metric(name, Prometheus("http://127.0.0.1:9090", "sum(rate(x[1m]))"), **fields)  # type: ignore[arg-type]


def taken(name: str, values: list[object], run: str = RUN, **extra: object) -> list[Measurement]:
    out = []
    for n, v in enumerate(values):
        at = T0 + dt.timedelta(seconds=10 * n)
        if v is ERR:
            out.append(Measurement(MeasureKey(run, name, n), at, error="Prometheus down"))
        else:
            value: Result = v if isinstance(v, tuple) else (float(v),)  # type: ignore[arg-type]
            out.append(Measurement(MeasureKey(run, name, n), at, value=value, **extra))  # type: ignore[arg-type]
    return out


def run_of(*metrics: Metric, **kw: object) -> Analysis:
    return Analysis((Template("t", metrics),), **kw)  # type: ignore[arg-type]


def judged(an: Analysis, ms: list[Measurement], ending: bool = False) -> analysis.RunState:
    return analysis.state(an, RUN, {}, ms, started=T0, ready=T0, ending=ending)


# one measurement ---------------------------------------------------------------------------------------------

ONE = [
    ("success-true", {}, (0.97,), S),
    ("success-false", {}, (0.5,), F),
    ("scalar", {"success": "result >= 0.95"}, 0.99, S),
    ("failure-only-true", {"success": None, "failure": "result[0] > 0.1"}, (0.2,), F),
    ("failure-only-false", {"success": None, "failure": "result[0] > 0.1"}, (0.05,), S),
    ("both-neither", {"success": "result[0] > 0.9", "failure": "result[0] < 0.5"}, (0.7,), I),
    ("both-failure-wins", {"success": "result[0] > 0.1", "failure": "result[0] > 0.5"}, (0.7,), F),
    ("empty-vector-inconclusive", {}, (), I),
    ("empty-vector-despite-idiom", {"success": "len(result) == 0 || result[0] >= 0.95"}, (), I),
    ("nan-inconclusive", {}, (NAN,), I),
    ("nan-scalar", {"success": "result >= 0.95"}, NAN, I),
    ("empty-said-failed", {"empty": F}, (), F),
    ("inf-judged", {"success": "result[0] < 100"}, (math.inf,), F),
    ("several-series-all", {"success": "all(result, {# >= 0.9})"}, (0.95, 0.91), S),
    ("several-series-one-bad", {"success": "all(result, {# >= 0.9})"}, (0.95, 0.5), F),
    ("evaluation-error", {"success": "result[3] > 1"}, (0.9,), E),
    # a true failure condition is Failed whatever the success condition says, even when it cannot be read
    ("failure-true-success-unreadable", {"success": "result[3] > 1", "failure": "result[0] > 0.5"}, (0.7,), F),
    ("failure-unreadable", {"success": "result[0] > 0.5", "failure": "result[3] > 1"}, (0.7,), E),
]


@pytest.mark.parametrize(("fields", "value", "phase"), [r[1:] for r in ONE], ids=[r[0] for r in ONE])
def test_one_measurement(fields: dict[str, object], value: Result, phase: Phase) -> None:
    m = metric(**fields)
    assert analysis.judge_measurement(m, Measurement(MeasureKey(RUN, "m", 0), T0, value=value)).phase is phase


def test_an_error_is_never_a_value() -> None:
    m = metric()
    one = analysis.judge_measurement(m, Measurement(MeasureKey(RUN, "m", 0), T0, error="connection refused"))
    assert (one.phase, one.why) == (E, "connection refused")


@pytest.mark.parametrize(
    ("traffic", "phase"), [((5.0,), I), ((), I), ((NAN,), I), (None, I), ((50.0,), S), (200.0, S)], ids=str
)
def test_minimum_traffic(traffic: Result | None, phase: Phase) -> None:
    m = metric(traffic="sum(rate(req[1m]))", min_traffic=10.0)
    got = analysis.judge_measurement(m, Measurement(MeasureKey(RUN, "m", 0), T0, value=(0.99,), traffic=traffic))
    assert got.phase is phase


@pytest.mark.parametrize(
    ("value", "baseline", "phase"),
    [((0.011,), (0.010,), S), ((0.05,), (0.01,), F), ((0.01,), (), I), ((0.01,), None, I), ((0.01,), (NAN,), I)],
    ids=["within-margin", "worse", "baseline-empty", "baseline-missing", "baseline-nan"],
)
def test_canary_versus_baseline(value: Result, baseline: Result | None, phase: Phase) -> None:
    m = metric(success="result[0] <= baseline[0] + 0.005", baseline="sum(rate(err{v='stable'}[1m]))")
    got = analysis.judge_measurement(m, Measurement(MeasureKey(RUN, "m", 0), T0, value=value, baseline=baseline))
    assert got.phase is phase


# a metric's sequence ----------------------------------------------------------------------------------------

SEQUENCES = [
    # (id, metric fields, values, the metric's phase; None: still measuring)
    ("all-good", {}, [0.99, 0.98, 0.97], S),
    ("still-measuring", {}, [0.99], None),
    ("one-failure-limit-0", {}, [0.99, 0.5], F),
    ("failure-within-limit", {"failure_limit": 1}, [0.99, 0.5, 0.99], S),
    ("failures-beyond-limit", {"failure_limit": 1}, [0.5, 0.99, 0.5], F),
    ("inconclusive-limit-0", {}, [0.99, ()], I),
    ("inconclusive-within-limit", {"inconclusive_limit": 1}, [(), 0.99, 0.99], S),
    ("errors-in-a-row-beyond", {"count": 10, "consecutive_error_limit": 2}, [ERR, ERR, ERR], E),
    ("errors-within-limit", {"consecutive_error_limit": 4}, [ERR, 0.99, 0.99], S),
    # Argo Rollouts would end these Successful: its error count resets at each success.
    (
        "errors-not-in-a-row-beyond-total",
        {"count": 6, "consecutive_error_limit": 2},
        [ERR, ERR, 0.99, ERR, 0.99, 0.99],
        E,
    ),
    ("every-measurement-an-error-or-empty", {"count": 3, "inconclusive_limit": 5}, [ERR, (), ERR], E),
    ("only-inconclusive-within-limit", {"count": 2, "inconclusive_limit": 5}, [(), ()], I),
    # no success: the worst it measured, an Error only when it had errors
    ("only-failures-within-limit", {"count": 2, "failure_limit": 2}, [0.5, 0.5], F),
    ("failed-and-inconclusive-within-limits", {"count": 2, "failure_limit": 1, "inconclusive_limit": 1}, [0.5, ()], F),
    ("an-error-and-inconclusive-within-limits", {"count": 2, "inconclusive_limit": 1}, [ERR, ()], E),
    ("one-measurement-default", {"interval": None, "count": None}, [0.99], S),
    ("a-count-without-interval", {"interval": None, "count": 2}, [0.99, 0.99], S),
]


@pytest.mark.parametrize(("fields", "values", "phase"), [r[1:] for r in SEQUENCES], ids=[r[0] for r in SEQUENCES])
def test_a_metrics_sequence(fields: dict[str, object], values: list[object], phase: Phase | None) -> None:
    m = metric(**fields)
    state = judged(run_of(m), taken("m", values))
    assert state.metrics[0].phase is phase


def test_unbounded_metric_measures_until_the_run_ends() -> None:
    m = metric(count=None)
    an = run_of(m)
    assert judged(an, taken("m", [0.99] * 20)).phase is None
    assert judged(an, taken("m", [0.99] * 20), ending=True).phase is S
    assert judged(an, taken("m", [0.99, 0.5])).phase is F  # a failure ends it at once


def test_measurements_beyond_the_count_are_ignored() -> None:
    state = judged(run_of(metric(count=2)), taken("m", [0.99, 0.99, 0.1]))
    assert state.phase is S and len(state.metrics[0].judged) == 2


def test_measurements_of_another_run_are_not_this_runs() -> None:
    an = run_of(metric(count=2))
    state = judged(an, [*taken("m", [0.1, 0.1], run="0:3"), *taken("m", [0.99])])
    assert state.phase is None and [j.phase for j in state.metrics[0].judged] == [S]
    assert [r.key for r in state.due] == [MeasureKey(RUN, "m", 1)]


def test_a_run_ended_before_a_metric_measured_is_inconclusive() -> None:
    state = judged(run_of(metric(count=None)), [], ending=True)
    assert (state.phase, state.metrics[0].phase, state.due) == (I, I, ())


def test_a_run_ended_early_takes_what_its_counted_metrics_measured() -> None:
    assert judged(run_of(metric(count=3)), taken("m", [0.99]), ending=True).phase is S
    assert judged(run_of(metric(count=3, inconclusive_limit=2)), taken("m", [()]), ending=True).phase is I


# the run --------------------------------------------------------------------------------------------------

RUNS = [
    ("worst-of-failed", [S, F], F),
    ("worst-of-error", [S, E], E),
    ("worst-of-inconclusive", [S, I], I),
    ("failed-beats-error", [E, F], F),
    ("all-successful", [S, S], S),
]
_FOR = {S: [0.99, 0.99, 0.99], I: [0.99, (), 0.99], E: [ERR] * 5, F: [0.99, 0.1]}


@pytest.mark.parametrize(("phases", "verdict"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS])
def test_the_run_takes_the_worst(phases: list[Phase], verdict: Phase) -> None:
    metrics = [metric(f"m{i}", count=5 if p is E else 3) for i, p in enumerate(phases)]
    ms = [m for i, p in enumerate(phases) for m in taken(f"m{i}", _FOR[p])]
    assert judged(run_of(*metrics), ms).phase is verdict


def test_a_failure_ends_the_run_while_others_measure() -> None:
    a, b = metric("a", count=10), metric("b", count=10)
    state = judged(run_of(a, b), [*taken("a", [0.99]), *taken("b", [0.1])])
    assert state.phase is F and state.due == ()


def test_inconclusive_waits_for_the_others() -> None:
    a, b = metric("a", count=1), metric("b", count=3)
    state = judged(run_of(a, b), [*taken("a", [()]), *taken("b", [0.99])])
    assert state.phase is None and [r.key.metric for r in state.due] == ["b"]


def test_dry_run_metrics_are_measured_and_never_counted() -> None:
    dry = metric("dry", dry_run=True)
    real = metric("real")
    state = judged(run_of(dry, real), [*taken("dry", [0.1]), *taken("real", [0.99, 0.99, 0.99])])
    assert state.phase is S
    assert state.metrics[0].phase is F and state.metrics[0].dry_run


def test_only_dry_run_metrics_succeed_once_measured() -> None:
    dry = metric("dry", dry_run=True, count=1)
    assert judged(run_of(dry), []).phase is None
    assert judged(run_of(dry), taken("dry", [0.1])).phase is S


def test_unbounded_metrics_alone_run_until_ended() -> None:
    state = judged(run_of(metric(count=None)), taken("m", [0.99]))
    assert state.phase is None and state.due


# when measurements are due ---------------------------------------------------------------------------------


def test_the_first_measurement_waits_for_fresh_data_and_the_initial_delay() -> None:
    m = metric(initial_delay=dt.timedelta(seconds=30))
    an = run_of(m, scrape_interval=dt.timedelta(seconds=15))
    verified = T0 - dt.timedelta(minutes=5)
    ready = analysis.ready_at(an, {}, verified)
    assert ready == verified + dt.timedelta(minutes=1) + dt.timedelta(seconds=15)  # the query's [1m]
    late = analysis.state(an, RUN, {}, [], started=T0, ready=T0 + dt.timedelta(minutes=2))
    assert late.due[0].due == T0 + dt.timedelta(minutes=2)  # fresh data first
    early = analysis.state(an, RUN, {}, [], started=T0, ready=T0)
    assert early.due[0].due == T0 + dt.timedelta(seconds=30)  # then the initial delay


def test_a_judges_samples_wait_their_window_more() -> None:
    # the first range query starts a window before it is taken: its earliest sample's [1m] must not straddle
    an = run_of(judge_metric("latency"))  # the query's [1m], samples over the 10 s interval
    assert analysis.lookback(an, {}) == dt.timedelta(minutes=1, seconds=10)
    with_traffic = run_of(judge_metric("latency", traffic="sum(increase(req[3m]))"))
    assert analysis.lookback(with_traffic, {}) == dt.timedelta(minutes=3)  # the traffic is an instant query
    unbounded = judge_metric("latency", interval=None)
    assert analysis.lookback(run_of(unbounded), {}) == dt.timedelta(minutes=2)  # a minute's samples
    verified = T0 - dt.timedelta(minutes=5)
    ready = analysis.ready_at(an, {}, verified)
    (request,) = analysis.state(an, RUN, {}, [], started=T0, ready=ready).due
    assert request.window is not None
    assert request.due - request.window - dt.timedelta(minutes=1) > verified


def test_each_next_measurement_is_an_interval_after_the_last() -> None:
    state = judged(run_of(metric()), taken("m", [0.99, 0.99]))
    (request,) = state.due
    assert request.key == MeasureKey(RUN, "m", 2)
    assert request.due == T0 + dt.timedelta(seconds=20)
    assert state.wake_at == request.due


def test_queries_are_rendered_and_secret_arguments_left_for_the_shell() -> None:
    m = dataclasses.replace(
        metric(),
        provider=Prometheus(
            "http://p:9090", 'sum(rate(x{w="{{args.workload}}",v="{{args.version}}",t="{{args.token}}"}[2m]))'
        ),
    )
    template = Template("t", (m,), args=(Arg("workload"), Arg("version", "{{version}}"), Arg("token", secret="s/k")))
    an = Analysis((template,), args=(("workload", "{{canary}}"),))
    values = analysis.values_for("2.0.0", "prod", "app-canary", "app")
    state = analysis.state(an, RUN, values, [], started=T0, ready=T0)
    assert state.due[0].provider.query == 'sum(rate(x{w="app-canary",v="2.0.0",t="{{args.token}}"}[2m]))'
    assert analysis.lookback(an, values) == dt.timedelta(minutes=2)


def test_a_baseline_by_arguments_is_the_same_query_read_for_the_stable() -> None:
    query = 'sum(rate(err{w="{{args.workload}}",v="{{args.version}}"}[1m]))'
    m = dataclasses.replace(
        metric(),
        provider=Prometheus("http://p:9090", query),
        baseline=query,
        baseline_args=(("workload", "{{stable}}"),),
    )
    template = Template("t", (m,), args=(Arg("workload"), Arg("version", "{{version}}")))
    an = Analysis((template,), args=(("workload", "{{canary}}"),))
    values = analysis.values_for("2.0.0", "prod", "app-canary", "app")
    (request,) = analysis.state(an, RUN, values, [], started=T0, ready=T0).due
    assert request.provider.query == 'sum(rate(err{w="app-canary",v="2.0.0"}[1m]))'
    assert request.baseline == 'sum(rate(err{w="app",v="2.0.0"}[1m]))'


def test_an_argument_without_a_value_is_an_analysis_error() -> None:
    m = dataclasses.replace(metric(), provider=Prometheus("http://p:9090", 'x{w="{{args.nothing}}"}'))
    an = Analysis((Template("t", (m,), args=(Arg("nothing"),)),))
    with pytest.raises(analysis.AnalysisError, match="nothing"):
        analysis.state(an, RUN, {}, [], started=T0, ready=T0)
    with pytest.raises(analysis.AnalysisError, match="nothing"):
        analysis.lookback(an, {})


RENDERED = [
    # (id, the template's arguments, those given where used, the query, what is asked)
    ("the-templates-default", (Arg("w", "app"),), (), "x{w='{{args.w}}'}", "x{w='app'}"),
    ("given-where-used-overrides", (Arg("w", "app"),), (("w", "{{canary}}"),), "x{w='{{args.w}}'}", "x{w='app-c'}"),
    ("promotion-values-in-a-default", (Arg("v", "{{version}}-{{stage}}"),), (), "x{v='{{args.v}}'}", "x{v='2.0-prod'}"),
    ("spaces-in-the-placeholder", (Arg("w", "app"),), (), "x{w='{{ args.w }}'}", "x{w='app'}"),
    (
        "a-secret-is-left-for-the-shell",
        (Arg("t", secret="s/k"),),
        (("t", "x"),),
        "x{t='{{args.t}}'}",
        "x{t='{{args.t}}'}",
    ),
]


@pytest.mark.parametrize(("args", "given", "query", "asked"), [r[1:] for r in RENDERED], ids=[r[0] for r in RENDERED])
def test_arguments_are_rendered(
    args: tuple[Arg, ...], given: tuple[tuple[str, str], ...], query: str, asked: str
) -> None:
    an = Analysis((Template("t", (metric(),), args=args),), args=given)
    assert render(query, an, analysis.values_for("2.0", "prod", "app-c", "app")) == asked
    with pytest.raises(ArgumentError, match="'other' has no value"):
        render("{{args.other}}", an, {})


def test_a_source_names_file_and_line() -> None:
    assert str(Source("config/analysis/success-rate.yaml", 9)) == "config/analysis/success-rate.yaml:9"


def test_an_unreadable_range_is_an_analysis_error() -> None:
    m = dataclasses.replace(metric(), provider=Prometheus("http://p:9090", "rate(x[soon])"))
    with pytest.raises(analysis.AnalysisError, match="soon"):
        analysis.lookback(run_of(m), {})


# the judge ---------------------------------------------------------------------------------------------

LOW = tuple(float(v) for v in range(20, 40))
HIGH = tuple(float(v) * 2 for v in range(20, 40))


def judge_metric(name: str, **kw: object) -> Metric:
    """A judged metric: the judge's fields go to its Judge, the others to the metric (two measurements)."""
    how = {k: kw.pop(k) for k in list(kw) if k in {f.name for f in dataclasses.fields(Judge)}}
    return metric(name, **{"success": None, "baseline": "stable", "judge": Judge(**how), "count": 2, **kw})  # type: ignore[arg-type]


def test_a_judged_metric_and_the_templates_score() -> None:
    latency, errors = judge_metric("latency", weight=1.0), judge_metric("errors", weight=3.0)
    template = Template("t", (latency, errors), score=Score(passing=90, marginal=50))
    an = Analysis((template,))
    same = [*taken("latency", [LOW, LOW], baseline=LOW), *taken("errors", [LOW, LOW], baseline=LOW)]
    state = judged(an, same)
    assert state.phase is S
    assert [m.name for m in state.metrics] == ["latency", "errors", "t: score"]
    worse = [*taken("latency", [HIGH], baseline=LOW), *taken("errors", [LOW], baseline=LOW)]
    state = judged(an, worse)
    assert state.metrics[0].phase is F  # a High latency fails its metric (failure limit 0)
    assert state.metrics[2].judged[0].phase is I  # 3 of 4 weights pass: 75, marginal
    assert state.phase is F


def test_a_judge_without_samples_is_inconclusive() -> None:
    m = judge_metric("latency")
    state = judged(run_of(m), taken("latency", [(1.0, 2.0)], baseline=(1.0,)))
    assert state.metrics[0].judged[0].phase is I


def test_judged_requests_ask_for_samples_over_the_interval() -> None:
    state = judged(run_of(judge_metric("latency")), [])
    (request, *_) = state.due
    assert request.window == dt.timedelta(seconds=10) and request.step == dt.timedelta(seconds=2)


def test_the_score_reads_only_what_the_judge_read() -> None:
    # too little traffic, or an Error, leaves a metric out of its round's score (it is Inconclusive, or an
    # error, on its own): a High seen without enough traffic fails nothing
    latency = judge_metric("latency", weight=3.0)
    latency = dataclasses.replace(latency, traffic="sum(rate(req[1m]))", min_traffic=10.0, inconclusive_limit=1)
    errors = judge_metric("errors", weight=1.0)
    an = Analysis((Template("t", (latency, errors), score=Score(passing=90, marginal=50)),))
    quiet = [*taken("latency", [HIGH], baseline=LOW, traffic=(1.0,)), *taken("errors", [LOW], baseline=LOW)]
    state = judged(an, quiet)
    score = state.metrics[2]
    assert [m.judged[0].phase for m in state.metrics] == [I, S, S]
    assert score.judged[0].why == "score 100.0 (pass 90, marginal 50): every metric passes"
    assert state.phase is None
    down = [Measurement(MeasureKey(RUN, "latency", 0), T0, error="timeout"), *taken("errors", [HIGH], baseline=LOW)]
    state = judged(an, down)
    assert state.metrics[2].judged[0].why.startswith("score 0.0 (pass 90, marginal 50): errors High (+100%")


def test_rounds_without_data_score_inconclusive() -> None:
    few = (1.0, 2.0)
    latency, errors = judge_metric("latency", count=1), judge_metric("errors", count=1)
    an = Analysis((Template("t", (latency, errors)),))
    state = judged(an, [*taken("latency", [few], baseline=LOW), *taken("errors", [LOW], baseline=few)])
    assert [m.phase for m in state.metrics] == [I, I, I]
    assert state.metrics[2].judged[0].why.startswith("no score (pass 95, marginal 75): no data: latency, errors")
    assert state.phase is I


def test_dry_run_judged_metrics_are_left_out_of_the_score() -> None:
    dry, real = judge_metric("dry", dry_run=True), judge_metric("real")
    an = Analysis((Template("t", (dry, real)),))
    ms = [*taken("dry", [HIGH, HIGH], baseline=LOW), *taken("real", [LOW, LOW], baseline=LOW)]
    state = judged(an, ms)
    assert [(m.name, m.phase) for m in state.metrics] == [("dry", F), ("real", S), ("t: score", S)]
    assert state.phase is S
    only_dry = judged(Analysis((Template("t", (dry,)),)), taken("dry", [HIGH], baseline=LOW))
    assert [m.name for m in only_dry.metrics] == ["dry"] and only_dry.phase is S  # no score to keep


CONDITION_TEXTS = [
    ("success", metric(), "result[0] >= 0.95"),
    ("failure-only", metric(success=None, failure="result[0] > 0.1"), "fails if result[0] > 0.1"),
    ("both", metric(success="result[0] > 0.9", failure="result[0] < 0.5"), "result[0] > 0.9; fails if result[0] < 0.5"),
    ("judge", judge_metric("m", direction=Direction.EITHER, tolerance=0.2), "Mann-Whitney vs baseline (either, ±20%)"),
]


@pytest.mark.parametrize(("m", "text"), [r[1:] for r in CONDITION_TEXTS], ids=[r[0] for r in CONDITION_TEXTS])
def test_the_table_names_each_metrics_condition(m: Metric, text: str) -> None:
    assert judged(run_of(m), []).metrics[0].condition == text


def test_the_summary_names_each_metric() -> None:
    state = judged(run_of(metric("a"), metric("b")), [*taken("a", [0.99] * 3), *taken("b", [0.99])])
    assert state.summary == "running: a Successful, b running"
    failed = judged(run_of(metric("a"), metric("b")), [*taken("a", [0.1]), *taken("b", [0.99])])
    assert failed.summary == "Failed: a Failed, b stopped"  # b was still measuring when a failed the run
