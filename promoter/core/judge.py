"""A canary's samples against the baseline's, as Spinnaker Kayenta judges them: a Mann-Whitney U test per
metric (:func:`classify`, Kayenta's ``MannWhitneyClassifier``), then a weighted score over the metrics
(:func:`score`, Kayenta's scorecard with its pass and marginal thresholds). Pure functions, stdlib only.

The test follows ``scipy.stats.mannwhitneyu(x, y, alternative="two-sided")``: the same U (of ``x``), the
same exact distribution, the same normal approximation (tie and continuity corrections).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import statistics
from collections.abc import Sequence
from typing import Literal

from promoter.core.templates import Direction, Judge, Phase, Score

# Both samples at most this large and no ties: the exact distribution (cheap, and better than the normal
# approximation there; scipy's ``auto`` switches at 8, so compare with its ``method="exact"``).
EXACT_MAX = 25
# Fewer values on either side say nothing (Kayenta's classifier needs three).
MIN_SAMPLES = 3


@dataclasses.dataclass(frozen=True)
class MannWhitney:
    u: float  # U of x: the pairs (x_i, y_j) with x_i > y_j, a tie counting one half
    p: float  # two-sided
    method: Literal["exact", "normal"]


def _clean(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """The two-sided Mann-Whitney U test of ``x`` against ``y``; NaN values are dropped first.

    Exact (the null distribution of U counted) when neither sample has more than :data:`EXACT_MAX` values and
    no value is tied; otherwise the normal approximation with the tie and continuity corrections. Raises
    :class:`ValueError` when either sample has no value left.
    """
    xs, ys = _clean(x), _clean(y)
    n1, n2 = len(xs), len(ys)
    if not n1 or not n2:
        raise ValueError(f"Mann-Whitney needs a value on each side (got {n1} and {n2} besides NaN)")
    # Average ranks of the pooled sample, doubled so they stay integers: a tie group at positions i..j
    # (1-based) ranks (i + j) / 2.
    pooled = sorted([(v, True) for v in xs] + [(v, False) for v in ys], key=lambda item: item[0])
    double_rank_x = 0
    tie_term = 0  # sum of t^3 - t over the tie groups
    start = 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        size = end - start + 1
        tie_term += size**3 - size
        double_rank_x += (start + end + 2) * sum(1 for _, in_x in pooled[start : end + 1] if in_x)
        start = end + 1
    u1 = (double_rank_x - n1 * (n1 + 1)) / 2
    u = max(u1, n1 * n2 - u1)  # the larger tail: two-sided, from the survival function
    if not tie_term and n1 <= EXACT_MAX and n2 <= EXACT_MAX:
        return MannWhitney(u1, _exact_p(round(u), n1, n2), "exact")
    return MannWhitney(u1, _normal_p(u, n1, n2, tie_term), "normal")


def _exact_p(u: int, n1: int, n2: int) -> float:
    """2 P(U >= u) for u >= n1 n2 / 2, counted: P(U <= n1 n2 - u) by symmetry, so only the lower tail."""
    top = n1 * n2 - u
    # counts[k]: the orderings of the pooled sample with U = k, the coefficients of the Gaussian binomial
    # prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i) (m the smaller size), built one factor at a time. Truncating at
    # q^top is exact: neither a multiplication nor a division there reads a higher coefficient.
    m, n = min(n1, n2), max(n1, n2)
    counts = [1] + [0] * top
    for i in range(1, m + 1):
        for k in range(top, n + i - 1, -1):
            counts[k] -= counts[k - n - i]
        for k in range(i, top + 1):
            counts[k] += counts[k - i]
    return min(1.0, 2 * sum(counts) / math.comb(n1 + n2, n1))


def _normal_p(u: float, n1: int, n2: int, tie_term: int) -> float:
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))  # n >= 2: a value on each side
    if variance <= 0:
        return 1.0  # every value tied: nothing tells the samples apart
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2)))  # 2 * (1 - Phi(z)), accurate far in the tail


def effect(canary: Sequence[float], baseline: Sequence[float]) -> float:
    """The canary's median relative to the baseline's: ``canary / baseline - 1`` (+0.23 is 23% higher).

    NaN values are dropped first; :class:`ValueError` when either side has no value left. Divided by the
    baseline's magnitude, so a negative baseline keeps the sign meaning "higher". Equal medians (both zero
    too) are 0; a zero or infinite baseline against a different canary is an unbounded effect in the
    canary's direction (+inf or -inf).
    """
    xs, ys = _clean(canary), _clean(baseline)
    if not xs or not ys:
        raise ValueError(f"an effect needs a value on each side (got {len(xs)} and {len(ys)} besides NaN)")
    return _relative(statistics.median(xs), statistics.median(ys))


def _relative(canary: float, baseline: float) -> float:
    if canary == baseline:
        return 0.0
    if baseline == 0 or math.isinf(baseline):
        return math.copysign(math.inf, canary - baseline)
    return (canary - baseline) / abs(baseline)


class Outcome(enum.Enum):
    HIGH = "High"
    LOW = "Low"
    PASS = "Pass"  # noqa: S105 (Kayenta's outcome, not a password)
    NODATA = "NoData"


@dataclasses.dataclass(frozen=True)
class Classification:
    """One metric judged: ``raw`` is what the statistics say, ``outcome`` what it means under the judge's
    direction (a Low under ``increase`` is a Pass). ``p`` and ``effect`` are None without data."""

    outcome: Outcome
    raw: Outcome
    p: float | None
    effect: float | None
    canary_median: float | None  # None: no value on that side
    baseline_median: float | None
    n: tuple[int, int]  # canary's and baseline's values, NaN dropped

    @property
    def bad(self) -> bool:
        return self.outcome in (Outcome.HIGH, Outcome.LOW)


_BAD = {
    Direction.INCREASE: {Outcome.HIGH},
    Direction.DECREASE: {Outcome.LOW},
    Direction.EITHER: {Outcome.HIGH, Outcome.LOW},
}


def classify(canary: Sequence[float], baseline: Sequence[float], judge: Judge) -> Classification:
    """Kayenta's Mann-Whitney classifier: NaN dropped; fewer than :data:`MIN_SAMPLES` values on either side
    is NoData; High (Low) when the samples differ significantly (p < 1 - confidence) and the effect is above
    ``tolerance`` (below ``-tolerance``); Pass otherwise. Then only the judge's direction is bad."""
    xs, ys = _clean(canary), _clean(baseline)
    n = (len(xs), len(ys))
    canary_median = statistics.median(xs) if xs else None
    baseline_median = statistics.median(ys) if ys else None
    if canary_median is None or baseline_median is None or min(n) < MIN_SAMPLES:
        return Classification(Outcome.NODATA, Outcome.NODATA, None, None, canary_median, baseline_median, n)
    p = mann_whitney(xs, ys).p
    size = _relative(canary_median, baseline_median)
    raw = Outcome.PASS
    if p < 1 - judge.confidence:
        if size > judge.tolerance:
            raw = Outcome.HIGH
        elif size < -judge.tolerance:
            raw = Outcome.LOW
    outcome = raw if raw in _BAD[judge.direction] else Outcome.PASS
    return Classification(outcome, raw, p, size, canary_median, baseline_median, n)


@dataclasses.dataclass(frozen=True)
class Scorecard:
    score: float | None  # 0..100; None when no metric had data (or their weights sum to 0)
    phase: Phase
    per_metric: dict[str, Classification]
    summary: str


def score(results: Sequence[tuple[str, Judge, Classification]], thresholds: Score) -> Scorecard:
    """The weighted share of the metrics with data that are not bad (NoData counts on neither side).

    Successful at ``thresholds.passing`` or above, Inconclusive at ``marginal`` or above, Failed below;
    Inconclusive without a score; Failed whatever the score when a ``critical`` metric is bad. Metric names
    must be unique.
    """
    per_metric: dict[str, Classification] = {}
    for name, _, classification in results:
        if name in per_metric:
            raise ValueError(f"metric {name!r} judged twice")
        per_metric[name] = classification
    judged = [(j, c) for _, j, c in results if c.outcome is not Outcome.NODATA]
    total = sum(j.weight for j, _ in judged)
    value = 100 * sum(j.weight for j, c in judged if not c.bad) / total if total > 0 else None
    if any(j.critical and c.bad for j, c in judged):
        phase = Phase.FAILED
    elif value is None:
        phase = Phase.INCONCLUSIVE
    elif value >= thresholds.passing:
        phase = Phase.SUCCESSFUL
    elif value >= thresholds.marginal:
        phase = Phase.INCONCLUSIVE
    else:
        phase = Phase.FAILED
    return Scorecard(value, phase, per_metric, _summary(results, value, thresholds))


def _summary(results: Sequence[tuple[str, Judge, Classification]], value: float | None, thresholds: Score) -> str:
    head = "no score" if value is None else f"score {value:.1f}"
    parts = []
    for name, judge, c in results:
        if c.bad:
            # a bad metric had data
            assert c.effect is not None
            assert c.p is not None
            critical = ", critical" if judge.critical else ""
            parts.append(f"{name} {c.outcome.value} ({c.effect:+.0%}, p={c.p:.2g}{critical})")
    missing = [name for name, _, c in results if c.outcome is Outcome.NODATA]
    if missing:
        parts.append("no data: " + ", ".join(missing))
    body = "; ".join(parts) if parts else ("every metric passes" if results else "no metric")
    return f"{head} (pass {thresholds.passing:g}, marginal {thresholds.marginal:g}): {body}"
