"""An analysis run judged from its measurements: Argo Rollouts' semantics, made safe. Pure.

Each metric is measured ``count`` times, ``interval`` apart (once without either; until the run ends with an
interval and no count). A measurement is judged when the decision reads it (conditions are pure functions of
the stored values, so a judgement never changes):

- an Error measurement (Prometheus down, a timeout, a bad query) is never read as a value;
- an empty vector or NaN is the metric's ``empty`` phase (default Inconclusive) before any condition: a query
  that finds no traffic never passes silently (Argo Rollouts passes ``len(result) == 0 || ...``);
- below the metric's minimum traffic, Inconclusive; a baseline that is empty or NaN, Inconclusive;
- then Argo Rollouts' conditions: a true ``failureCondition`` is Failed; with a ``successCondition`` true
  Successful, false Failed (or Inconclusive when both conditions are given and neither holds); a judge
  compares the canary's samples with the baseline's (:mod:`promoter.core.judge`).

A metric is Failed when its Failed measurements exceed ``failureLimit``, Inconclusive when its Inconclusive
ones exceed ``inconclusiveLimit``, Error when its errors exceed ``consecutiveErrorLimit`` in a row *or in
total* (Argo Rollouts resets the count at each success, so it can end Successful with most measurements in
error: promoter does not), and Successful when all its measurements are taken, at least one succeeded, and
none of that holds; without a success it takes its worst measurement (Inconclusive when it has none). A
template's judged metrics are also scored together at each round (Kayenta's weighted score against its
pass/marginal thresholds, over the measurements the judge read) as one more metric. The run's verdict is the
worst metric's (Successful < Inconclusive < Error < Failed), dry-run metrics left out; a Failed or Error metric
ends the run at once, otherwise it ends when every counted metric has.

No stale data: a run's first measurements wait until its ``ready`` time — the step's verification (after Argo
CD's ``finishedAt`` and the debounce) plus the query's longest look-back (``[5m]``, an ``offset``) plus one
scrape interval (and, for a judge's samples, their window) — so a rate window never straddles the change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

from promoter.core import conditions, judge, promql
from promoter.core.measurements import MeasureKey, Measurement, Result
from promoter.core.templates import Analysis, Metric, Phase, Prometheus, Score, Template, render

_DEFAULT_STEP_SHARE = 5  # a judge's range query: five samples per interval unless the provider says


@dataclasses.dataclass(frozen=True)
class Request:
    """One measurement to take at or after ``due``: the queries rendered (secret arguments left for the shell)."""

    key: MeasureKey
    due: dt.datetime
    provider: Prometheus  # with the metric's query rendered
    baseline: str | None = None
    traffic: str | None = None
    window: dt.timedelta | None = None  # a judge's samples: a range query over the last ``window``
    step: dt.timedelta | None = None


@dataclasses.dataclass(frozen=True)
class Judged:
    """One measurement as judged."""

    measurement: Measurement
    phase: Phase
    why: str  # "0.97 >= 0.95", "no data (empty vector)", the error
    classification: judge.Classification | None = None  # the judge's, when it read the samples


@dataclasses.dataclass(frozen=True)
class MetricState:
    name: str
    phase: Phase | None  # None: still measuring
    judged: tuple[Judged, ...]
    count: int | None  # measurements planned (None: until the run ends)
    dry_run: bool = False
    condition: str = ""  # for the table: the condition, or the judge
    shown: int = 10  # the latest measurements the table shows (``measurementRetention``); all are judged


@dataclasses.dataclass(frozen=True)
class RunState:
    phase: Phase | None  # None: still running
    metrics: tuple[MetricState, ...]
    due: tuple[Request, ...]  # the next measurement of every metric still measuring
    summary: str

    @property
    def wake_at(self) -> dt.datetime | None:
        return min((r.due for r in self.due), default=None)


class AnalysisError(ValueError):
    """A query that cannot be made ready (an argument without a value, an unreadable range)."""


def values_for(version: str, stage: str, canary: str, stable: str) -> dict[str, str]:
    """The promotion values an analysis' arguments may name (``{{version}}`` and so on)."""
    return {"version": version, "stage": stage, "canary": canary, "stable": stable}


def lookback(analysis: Analysis, values: Mapping[str, str]) -> dt.timedelta:
    """The longest look-back of any of the run's queries (rendered); a judge's samples (a range query over the
    last window) reach back their window more."""
    longest = dt.timedelta(0)
    for metric in analysis.metrics:
        for query, reach in _queries(metric):
            try:
                longest = max(longest, promql.lookback(render(query, analysis, dict(values))) + reach)
            except (promql.PromQLError, ValueError) as exc:
                raise AnalysisError(f"metric {metric.name}: {exc}") from exc
    return longest


def ready_at(analysis: Analysis, values: Mapping[str, str], effective: dt.datetime) -> dt.datetime:
    """When the first measurement may be taken: the change in effect for the longest look-back and a scrape."""
    return effective + lookback(analysis, values) + analysis.scrape_interval


def state(
    analysis: Analysis,
    run: str,
    values: Mapping[str, str],
    measurements: Sequence[Measurement],
    *,
    started: dt.datetime,
    ready: dt.datetime,
    ending: bool = False,
) -> RunState:
    """The run's state from its measurements. ``ending``: the run is being ended (a background run whose
    canary steps are over): metrics without a count stop, and what they measured is their result."""
    by_metric: dict[str, list[Measurement]] = {}
    for m in sorted(measurements, key=lambda m: (m.key.metric, m.key.index)):
        if m.key.run == run:
            by_metric.setdefault(m.key.metric, []).append(m)
    metrics: list[MetricState] = []
    due: list[Request] = []
    for template in analysis.templates:
        template_states = []
        for metric in template.metrics:
            taken = by_metric.get(metric.name, [])
            metric_state = _metric(metric, taken, ending=ending)
            template_states.append(metric_state)
            if metric_state.phase is None and not ending:
                due.append(_request(analysis, metric, run, values, taken, started, ready))
        metrics.extend(template_states)
        scored = _scored(template, template_states, ending=ending)
        if scored is not None:
            metrics.append(scored)
    verdict = _verdict(metrics, ending=ending)
    if verdict is not None:
        due = []
    return RunState(verdict, tuple(metrics), tuple(due), _summary(verdict, metrics))


# one metric ------------------------------------------------------------------------------------------------


def planned(metric: Metric) -> int | None:
    """How many measurements a metric takes: its count, one without count and interval, else unbounded."""
    if metric.count is not None:
        return metric.count
    return None if metric.interval is not None else 1


def _metric(metric: Metric, taken: Sequence[Measurement], *, ending: bool) -> MetricState:
    judged: list[Judged] = []
    count = planned(metric)
    shown = _condition_text(metric)
    for measurement in taken[: count if count is not None else len(taken)]:
        judged.append(judge_measurement(metric, measurement))
        phase = _limits(metric, judged)
        if phase is not None:
            return MetricState(metric.name, phase, tuple(judged), count, metric.dry_run, shown, metric.retention or 10)
    complete = count is not None and len(judged) >= count
    if not complete and not ending:
        return MetricState(metric.name, None, tuple(judged), count, metric.dry_run, shown, metric.retention or 10)
    succeeded = any(j.phase is Phase.SUCCESSFUL for j in judged)
    # no success: the worst it measured (an Error only with errors), Inconclusive when it measured nothing
    phase = Phase.SUCCESSFUL if succeeded else _worst([j.phase for j in judged])
    return MetricState(metric.name, phase, tuple(judged), count, metric.dry_run, shown, metric.retention or 10)


def _limits(metric: Metric, judged: Sequence[Judged]) -> Phase | None:
    failed = sum(1 for j in judged if j.phase is Phase.FAILED)
    inconclusive = sum(1 for j in judged if j.phase is Phase.INCONCLUSIVE)
    # in total: errors in a row are never more than all of them, so Argo Rollouts' consecutive limit holds too
    errors = sum(1 for j in judged if j.phase is Phase.ERROR)
    if failed > metric.failure_limit:
        return Phase.FAILED
    if errors > metric.consecutive_error_limit:
        return Phase.ERROR
    if inconclusive > metric.inconclusive_limit:
        return Phase.INCONCLUSIVE
    return None


def judge_measurement(metric: Metric, measurement: Measurement) -> Judged:
    """One measurement's phase, and why."""
    if measurement.error is not None or measurement.value is None:
        return Judged(measurement, Phase.ERROR, measurement.error or "no value")
    value = measurement.value
    if _no_data(value):
        return Judged(measurement, metric.empty, f"no data ({_shown(value)})")
    if metric.traffic is not None:
        traffic = _first(measurement.traffic)
        if traffic is None or math.isnan(traffic) or traffic < metric.min_traffic:
            seen = "none" if traffic is None else _number(traffic)
            return Judged(measurement, Phase.INCONCLUSIVE, f"traffic {seen} < {_number(metric.min_traffic)}")
    if metric.baseline is not None and (measurement.baseline is None or _no_data(measurement.baseline)):
        return Judged(measurement, Phase.INCONCLUSIVE, "no baseline data")
    if metric.judge is not None:
        return _judged_by_samples(metric, measurement)
    return _by_conditions(metric, measurement)


def _by_conditions(metric: Metric, measurement: Measurement) -> Judged:
    assert measurement.value is not None  # an Error otherwise, judged before
    variables: dict[str, conditions.Value] = {"result": measurement.value}
    if measurement.baseline is not None:
        variables["baseline"] = measurement.baseline
    shown = _shown(measurement.value)
    try:
        failure = metric.failure is not None and conditions.evaluate(metric.failure, variables)
        # a true failure condition is Failed whatever the success condition would say (or fail to)
        success = not failure and metric.success is not None and conditions.evaluate(metric.success, variables)
    except conditions.EvaluationError as exc:
        return Judged(measurement, Phase.ERROR, f"{shown}: {exc}")
    if failure:
        assert metric.failure is not None
        return Judged(measurement, Phase.FAILED, f"{shown}: {metric.failure.text}")
    if metric.success is None:
        return Judged(measurement, Phase.SUCCESSFUL, f"{shown}: not {_text(metric.failure)}")
    if success:
        return Judged(measurement, Phase.SUCCESSFUL, f"{shown}: {metric.success.text}")
    if metric.failure is not None:
        return Judged(measurement, Phase.INCONCLUSIVE, f"{shown}: neither condition holds")
    return Judged(measurement, Phase.FAILED, f"{shown}: not {metric.success.text}")


def _judged_by_samples(metric: Metric, measurement: Measurement) -> Judged:
    assert metric.judge is not None
    assert measurement.value is not None  # an Error otherwise, judged before
    # a judge has a baseline query (the config refuses one without): no baseline data is judged before
    assert measurement.baseline is not None
    verdict = judge.classify(_samples(measurement.value), _samples(measurement.baseline), metric.judge)
    if verdict.outcome is judge.Outcome.NODATA:
        phase = Phase.INCONCLUSIVE
    else:
        phase = Phase.FAILED if verdict.bad else Phase.SUCCESSFUL
    return Judged(measurement, phase, _classified(verdict), verdict)


def _classified(verdict: judge.Classification) -> str:
    if verdict.effect is None or verdict.p is None:
        return f"no data ({verdict.n[0]} canary, {verdict.n[1]} baseline samples)"
    return f"{verdict.outcome.value} ({verdict.effect:+.0%}, p={verdict.p:.3g})"


def _scored(template: Template, states: Sequence[MetricState], *, ending: bool) -> MetricState | None:
    """The template's judged metrics scored together, round by round, as one more metric (failure limit 0).
    A round scores what the judge read: an Error, no data or too little traffic counts on neither side."""
    metrics = [m for m in template.metrics if m.judge is not None and not m.dry_run]
    if not metrics:
        return None
    by_name = {s.name: s for s in states}
    rounds = min(len(by_name[m.name].judged) for m in metrics)
    judged: list[Judged] = []
    for n in range(rounds):
        results = []
        for metric in metrics:
            assert metric.judge is not None
            classified = by_name[metric.name].judged[n].classification
            if classified is not None:
                results.append((metric.name, metric.judge, classified))
        card = judge.score(results, template.score or Score())
        last = by_name[metrics[0].name].judged[n].measurement
        key = dataclasses.replace(last.key, metric=f"{template.name}: score")
        judged.append(Judged(dataclasses.replace(last, key=key), card.phase, card.summary))
    bad = next((j.phase for j in judged if j.phase in (Phase.FAILED, Phase.ERROR)), None)
    finished = all(by_name[m.name].phase is not None for m in metrics)
    phase = bad if bad is not None else (_worst([j.phase for j in judged]) if finished or ending else None)
    return MetricState(f"{template.name}: score", phase, tuple(judged), planned(metrics[0]), False, "weighted score")


def _worst(phases: Sequence[Phase]) -> Phase:
    return max(phases, key=lambda p: p.rank, default=Phase.INCONCLUSIVE)


def _verdict(metrics: Sequence[MetricState], *, ending: bool) -> Phase | None:
    counted = [m for m in metrics if not m.dry_run]
    if not counted:
        return Phase.SUCCESSFUL if ending or all(m.phase is not None for m in metrics) else None
    ended = [m.phase for m in counted if m.phase is not None]
    if any(p in (Phase.FAILED, Phase.ERROR) for p in ended):
        return _worst(ended)
    bounded = [m for m in counted if m.count is not None]
    if ending or (bounded and all(m.phase is not None for m in bounded)):
        return _worst([m.phase if m.phase is not None else Phase.SUCCESSFUL for m in counted])
    return None


# requests --------------------------------------------------------------------------------------------------


def _request(
    analysis: Analysis,
    metric: Metric,
    run: str,
    values: Mapping[str, str],
    taken: Sequence[Measurement],
    started: dt.datetime,
    ready: dt.datetime,
) -> Request:
    if taken:
        assert metric.interval is not None or planned(metric) is None or len(taken) < (planned(metric) or 0)
        due = taken[-1].taken_at + (metric.interval or dt.timedelta(0))
    else:
        due = max(started + metric.initial_delay, ready)
    filled = dict(values)
    try:
        provider = dataclasses.replace(metric.provider, query=render(metric.provider.query, analysis, filled))
        baseline = None
        if metric.baseline is not None:
            # the same query read for the stable: its arguments given last win over the run's
            stable = dataclasses.replace(analysis, args=analysis.args + metric.baseline_args)
            baseline = render(metric.baseline, stable, filled)
        traffic = render(metric.traffic, analysis, filled) if metric.traffic is not None else None
    except ValueError as exc:
        raise AnalysisError(f"metric {metric.name}: {exc}") from exc
    window = _window(metric)
    step = (metric.provider.step or window / _DEFAULT_STEP_SHARE) if window is not None else None
    key = MeasureKey(run, metric.name, len(taken))
    return Request(key, due, provider, baseline, traffic, window, step)


def _window(metric: Metric) -> dt.timedelta | None:
    """A judge's samples: a range query over the last interval (a minute without one)."""
    return (metric.interval or dt.timedelta(minutes=1)) if metric.judge is not None else None


def _queries(metric: Metric) -> list[tuple[str, dt.timedelta]]:
    """Each query of the metric and how far before the measurement its samples start (the traffic's is instant)."""
    sampled = _window(metric) or dt.timedelta(0)
    queries = [(metric.provider.query, sampled), (metric.baseline, sampled), (metric.traffic, dt.timedelta(0))]
    return [(q, reach) for q, reach in queries if q is not None]


# values ----------------------------------------------------------------------------------------------------


def _no_data(value: Result) -> bool:
    if isinstance(value, tuple):
        return not value or any(math.isnan(v) for v in value)
    return math.isnan(value)


def _first(value: Result | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def _samples(value: Result) -> tuple[float, ...]:
    return value if isinstance(value, tuple) else (value,)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _shown(value: Result) -> str:
    if isinstance(value, tuple):
        if not value:
            return "empty vector"
        inner = ", ".join(_number(v) for v in value[:3])
        return f"[{inner}{', …' if len(value) > 3 else ''}]"
    return _number(value)


def _text(condition: conditions.Condition | None) -> str:
    return condition.text if condition is not None else ""


def _condition_text(metric: Metric) -> str:
    if metric.judge is not None:
        return f"Mann-Whitney vs baseline ({metric.judge.direction.value}, ±{metric.judge.tolerance:.0%})"
    parts = []
    if metric.success is not None:
        parts.append(metric.success.text)
    if metric.failure is not None:
        parts.append(f"fails if {metric.failure.text}")
    return "; ".join(parts)


def _summary(verdict: Phase | None, metrics: Sequence[MetricState]) -> str:
    # A metric without a phase of its own is still measuring, or was stopped by the run's verdict (another
    # metric failed): "running" then would tell a person something is still going on.
    unfinished = "running" if verdict is None else "stopped"
    done = ", ".join(f"{m.name} {m.phase.value if m.phase else unfinished}" for m in metrics)
    return f"{verdict.value if verdict else 'running'}: {done}"
