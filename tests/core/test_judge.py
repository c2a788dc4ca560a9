"""The canary judge: the Mann-Whitney U test against scipy's values, Kayenta's classifier and scorecard."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promoter.core.judge import (
    Classification,
    MannWhitney,
    Outcome,
    classify,
    effect,
    mann_whitney,
    score,
)
from promoter.core.templates import Direction, Judge, Phase, Score

NAN = math.nan


def spread(start: float, step: int, modulus: int, size: int, offset: float = 0.0) -> list[float]:
    """Distinct values without ties, spread over [start, start + modulus) in a scrambled order."""
    return [start + (i * step) % modulus + offset for i in range(size)]


# scipy 1.17.1's values: scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=METHOD,
# nan_policy="omit"), METHOD "exact" where ours is exact and "asymptotic" where ours is normal.
SCIPY: dict[str, tuple[list[float], list[float], float, float, str]] = {
    "separated small": ([1.1, 2.3, 3.5, 4.2, 5.0], [6.1, 7.2, 8.3, 9.4], 0.0, 0.015873015873015872, "exact"),
    "interleaved small": ([1, 4, 5, 9, 12], [2, 3, 7, 8, 10, 11], 14.0, 0.9307359307359306, "exact"),
    "one each": ([1.0], [2.0], 0.0, 1.0, "exact"),
    "3 vs 20": ([5.5, 10.5, 15.5], [float(i) for i in range(20)], 33.0, 0.8300395256916995, "exact"),
    "10 vs 12": (
        [3.1, 4.7, 5.2, 6.8, 7.3, 8.9, 9.4, 10.6, 11.2, 12.8],
        [6.0, 7.7, 8.1, 9.9, 10.2, 11.5, 12.3, 13.4, 14.6, 15.1, 16.7, 17.2],
        25.0,
        0.02058003915589055,
        "exact",
    ),
    "25 vs 25": (spread(0, 37, 101, 25, 0.5), spread(0, 53, 103, 25, 0.25), 351.0, 0.4642962155118169, "exact"),
    "nan dropped": ([1.0, NAN, 3.0, 2.5], [4.0, 5.0, NAN, 6.0], 0.0, 0.1, "exact"),
    "ties small": ([1, 2, 2, 3, 4], [2, 3, 3, 5, 6], 6.0, 0.19882894401644247, "normal"),
    "one each tied": ([1.0], [1.0], 0.5, 1.0, "normal"),
    "identical": ([5, 5, 5, 5], [5, 5, 5, 5], 8.0, 1.0, "normal"),
    "identical distinct": ([1, 2, 3, 4], [1, 2, 3, 4], 8.0, 1.0, "normal"),
    "large no ties": (spread(0, 37, 101, 30, 0.5), spread(0, 53, 103, 40, 0.25), 618.0, 0.8354735326928594, "normal"),
    "large ties": ([i % 7 for i in range(40)], [i % 9 for i in range(35)], 540.0, 0.08781788584112825, "normal"),
    "shifted large": (
        [100 + (i * 37) % 101 / 10 for i in range(40)],
        [103 + (i * 53) % 103 / 10 for i in range(40)],
        433.0,
        0.00042052765596939655,
        "normal",
    ),
    "separated large": (
        [float(i) for i in range(30)],
        [float(i + 100) for i in range(30)],
        0.0,
        3.019859359162157e-11,
        "normal",
    ),
}


@pytest.mark.parametrize(("x", "y", "u", "p", "method"), SCIPY.values(), ids=SCIPY.keys())
def test_mann_whitney_matches_scipy(x: list[float], y: list[float], u: float, p: float, method: str) -> None:
    got = mann_whitney(x, y)
    assert got.method == method
    assert got.u == u
    assert got.p == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(("x", "y"), [([], [1.0]), ([1.0], []), ([NAN, NAN], [1.0])], ids=["x", "y", "x all NaN"])
def test_mann_whitney_needs_a_value_each_side(x: list[float], y: list[float]) -> None:
    with pytest.raises(ValueError, match="a value on each side"):
        mann_whitney(x, y)


def test_mann_whitney_exact_only_up_to_25() -> None:
    x, y = spread(0, 37, 101, 26, 0.5), spread(0, 53, 103, 25, 0.25)
    assert mann_whitney(x, y).method == "normal"
    assert mann_whitney(x[:25], y).method == "exact"


# Ties on purpose: small integers often collide, the floats rarely; sizes on both sides of the exact limit.
values = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e6, 1e6), st.sampled_from([math.inf, -math.inf]))
samples = st.lists(values, min_size=1, max_size=35)


@settings(max_examples=200, deadline=None)
@given(x=samples, y=samples)
def test_mann_whitney_bounds_and_symmetry(x: list[float], y: list[float]) -> None:
    forward, backward = mann_whitney(x, y), mann_whitney(y, x)
    n1, n2 = len(x), len(y)
    assert 0 <= forward.p <= 1
    assert 0 <= forward.u <= n1 * n2
    assert forward.u + backward.u == n1 * n2
    assert forward.p == backward.p
    assert forward.method == backward.method


@settings(max_examples=100, deadline=None)
@given(x=samples, y=samples, gaps=st.lists(st.integers(0, 3), max_size=6))
def test_mann_whitney_drops_nan(x: list[float], y: list[float], gaps: list[int]) -> None:
    holey = list(x)
    for at in gaps:
        holey.insert(min(at, len(holey)), NAN)
    assert mann_whitney(holey, [*y, NAN]) == mann_whitney(x, y)


@settings(max_examples=100, deadline=None)
@given(
    pooled=st.lists(st.floats(-100, 100), min_size=2, max_size=9, unique=True),
    split=st.integers(1, 8),
)
def test_mann_whitney_exact_counts_every_ordering(pooled: list[float], split: int) -> None:
    """The exact p against brute force: U over every way to pick x's ranks among the pooled ones."""
    n1 = min(split, len(pooled) - 1)
    x, y = pooled[:n1], pooled[n1:]
    got = mann_whitney(x, y)
    n2 = len(y)
    extreme = max(got.u, n1 * n2 - got.u)
    us = [sum(ranks) - n1 * (n1 + 1) / 2 for ranks in itertools.combinations(range(1, n1 + n2 + 1), n1)]
    tail = sum(1 for u in us if max(u, n1 * n2 - u) >= extreme)
    assert got.method == "exact"
    assert got.p == pytest.approx(min(1.0, tail / len(us)), rel=1e-12)


EFFECTS: dict[str, tuple[list[float], list[float], float]] = {
    "23% higher": ([123.0, 120.0, 126.0], [100.0, 98.0, 102.0], 0.23),
    "half": ([1.0, 1.0], [2.0, 2.0], -0.5),
    "equal": ([3.0, 1.0, 2.0], [2.0], 0.0),
    "both zero": ([0.0, 0.0, 0.0], [0.0, -0.0], 0.0),
    "zero baseline, canary higher": ([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], math.inf),
    "zero baseline, canary lower": ([-1.0], [0.0], -math.inf),
    "negative baseline keeps higher positive": ([-1.0], [-2.0], 0.5),
    "infinite baseline": ([5.0], [math.inf], -math.inf),
    "infinite canary": ([math.inf], [5.0], math.inf),
    "both infinite": ([math.inf], [math.inf], 0.0),
    "nan dropped": ([NAN, 3.0, NAN], [NAN, 2.0], 0.5),
}


@pytest.mark.parametrize(("canary", "baseline", "expected"), EFFECTS.values(), ids=EFFECTS.keys())
def test_effect(canary: list[float], baseline: list[float], expected: float) -> None:
    assert effect(canary, baseline) == pytest.approx(expected)


@pytest.mark.parametrize(("canary", "baseline"), [([NAN], [1.0]), ([1.0], [])], ids=["canary all NaN", "no baseline"])
def test_effect_needs_a_value_each_side(canary: list[float], baseline: list[float]) -> None:
    with pytest.raises(ValueError, match="a value on each side"):
        effect(canary, baseline)


BASE = [100.0 + i % 5 + i / 100 for i in range(20)]  # about 100..104, no ties


def scaled(factor: float) -> list[float]:
    return [v * factor for v in BASE]


INCREASE, DECREASE, EITHER = Judge(), Judge(direction=Direction.DECREASE), Judge(direction=Direction.EITHER)

# Each case: canary, baseline, judge, then the outcome and the raw outcome expected.
CLASSIFY: dict[str, tuple[list[float], list[float], Judge, Outcome, Outcome]] = {
    "identical samples": (BASE, BASE, INCREASE, Outcome.PASS, Outcome.PASS),
    "latency clearly higher": (scaled(1.3), BASE, INCREASE, Outcome.HIGH, Outcome.HIGH),
    "within tolerance but significant": (scaled(1.06), BASE, INCREASE, Outcome.PASS, Outcome.PASS),
    "big effect, not significant": ([1.0, 100.0, 200.0], [2.0, 50.0, 300.0], INCREASE, Outcome.PASS, Outcome.PASS),
    "lower under increase is fine": (scaled(0.7), BASE, INCREASE, Outcome.PASS, Outcome.LOW),
    "lower under decrease": (scaled(0.7), BASE, DECREASE, Outcome.LOW, Outcome.LOW),
    "higher under decrease is fine": (scaled(1.3), BASE, DECREASE, Outcome.PASS, Outcome.HIGH),
    "higher under either": (scaled(1.3), BASE, EITHER, Outcome.HIGH, Outcome.HIGH),
    "lower under either": (scaled(0.7), BASE, EITHER, Outcome.LOW, Outcome.LOW),
    "a wider tolerance": (scaled(1.3), BASE, Judge(tolerance=0.5), Outcome.PASS, Outcome.PASS),
    # p = 0.0159 (the exact test, 5 against 4): significant at 95%, not at 99%
    "significant at 95%": ([6.1, 7.2, 8.3, 9.4], [1.1, 2.3, 3.5, 4.2, 5.0], INCREASE, Outcome.HIGH, Outcome.HIGH),
    "not at 99%": ([6.1, 7.2, 8.3, 9.4], [1.1, 2.3, 3.5, 4.2, 5.0], Judge(confidence=0.99), Outcome.PASS, Outcome.PASS),
    "zero baseline median": ([1.0, 2.0, 3.0, 4.0, 5.0], [0.0] * 5, INCREASE, Outcome.HIGH, Outcome.HIGH),
    "nan dropped": ([*scaled(1.3), NAN], [NAN, *BASE], INCREASE, Outcome.HIGH, Outcome.HIGH),
    "two canary samples": ([130.0, 131.0], BASE, INCREASE, Outcome.NODATA, Outcome.NODATA),
    "two baseline samples": (BASE, [100.0, 101.0], INCREASE, Outcome.NODATA, Outcome.NODATA),
    "three less the NaN": ([130.0, NAN, 131.0], BASE, INCREASE, Outcome.NODATA, Outcome.NODATA),
    "canary all NaN": ([NAN] * 5, BASE, INCREASE, Outcome.NODATA, Outcome.NODATA),
    "no baseline": (BASE, [], INCREASE, Outcome.NODATA, Outcome.NODATA),
}


@pytest.mark.parametrize(("canary", "baseline", "judge", "outcome", "raw"), CLASSIFY.values(), ids=CLASSIFY.keys())
def test_classify(canary: list[float], baseline: list[float], judge: Judge, outcome: Outcome, raw: Outcome) -> None:
    got = classify(canary, baseline, judge)
    assert (got.outcome, got.raw) == (outcome, raw)
    assert got.bad == (outcome in (Outcome.HIGH, Outcome.LOW))
    if outcome is Outcome.NODATA:
        assert got.p is None
        assert got.effect is None
    else:
        assert got.p == mann_whitney(canary, baseline).p
        assert got.effect == effect(canary, baseline)


def test_classify_keeps_medians_and_sizes() -> None:
    got = classify([*scaled(1.3), NAN], BASE, INCREASE)
    assert got.n == (20, 20)
    assert got.baseline_median is not None
    assert got.canary_median == pytest.approx(1.3 * got.baseline_median)
    assert got.effect == pytest.approx(0.3)
    assert classify([1.0, NAN], [], INCREASE) == Classification(
        Outcome.NODATA, Outcome.NODATA, None, None, 1.0, None, (1, 0)
    )


def judged(outcome: Outcome, effect: float = 0.23, p: float = 0.003) -> Classification:
    raw, data = outcome, outcome is not Outcome.NODATA
    return Classification(outcome, raw, p if data else None, effect if data else None, 1.0, 1.0, (10, 10))


PASSED, HIGH, LOW, NODATA = (judged(o) for o in (Outcome.PASS, Outcome.HIGH, Outcome.LOW, Outcome.NODATA))
J = Judge()

# Each case: the judged metrics, then the score and phase expected under the default thresholds (95, 75).
SCORES: dict[str, tuple[list[tuple[str, Judge, Classification]], float | None, Phase]] = {
    "all pass": ([("a", J, PASSED), ("b", J, PASSED)], 100.0, Phase.SUCCESSFUL),
    "one of three bad fails": ([("a", J, PASSED), ("b", J, HIGH), ("c", J, PASSED)], 200 / 3, Phase.FAILED),
    "marginal": ([("a", Judge(weight=4), PASSED), ("b", J, LOW)], 80.0, Phase.INCONCLUSIVE),
    "at the marginal line": ([("a", Judge(weight=3), PASSED), ("b", J, LOW)], 75.0, Phase.INCONCLUSIVE),
    "at the passing line": ([("a", Judge(weight=19), PASSED), ("b", J, HIGH)], 95.0, Phase.SUCCESSFUL),
    "a heavy bad metric": ([("a", J, PASSED), ("b", Judge(weight=3), HIGH)], 25.0, Phase.FAILED),
    "critical bad fails whatever the score": (
        [("a", Judge(weight=99), PASSED), ("b", Judge(critical=True), HIGH)],
        99.0,
        Phase.FAILED,
    ),
    "critical passing": ([("a", J, PASSED), ("b", Judge(critical=True), PASSED)], 100.0, Phase.SUCCESSFUL),
    "critical without data": ([("a", J, PASSED), ("b", Judge(critical=True), NODATA)], 100.0, Phase.SUCCESSFUL),
    "no data counts on neither side": ([("a", J, PASSED), ("b", Judge(weight=9), NODATA)], 100.0, Phase.SUCCESSFUL),
    "all no data": ([("a", J, NODATA), ("b", J, NODATA)], None, Phase.INCONCLUSIVE),
    "no metric": ([], None, Phase.INCONCLUSIVE),
    "weightless": ([("a", Judge(weight=0), HIGH)], None, Phase.INCONCLUSIVE),
}


@pytest.mark.parametrize(("results", "value", "phase"), SCORES.values(), ids=SCORES.keys())
def test_score(results: list[tuple[str, Judge, Classification]], value: float | None, phase: Phase) -> None:
    got = score(results, Score())
    assert got.score == (None if value is None else pytest.approx(value))
    assert got.phase is phase
    assert got.per_metric == {name: c for name, _, c in results}


def test_score_thresholds_are_the_templates() -> None:
    results = [("a", Judge(weight=4), PASSED), ("b", J, HIGH)]  # 80
    assert score(results, Score(passing=80, marginal=50)).phase is Phase.SUCCESSFUL
    assert score(results, Score(passing=90, marginal=80)).phase is Phase.INCONCLUSIVE
    assert score(results, Score(passing=90, marginal=81)).phase is Phase.FAILED


def test_score_refuses_a_name_twice() -> None:
    with pytest.raises(ValueError, match="'a' judged twice"):
        score([("a", J, PASSED), ("a", J, HIGH)], Score())


SUMMARIES: dict[str, tuple[list[tuple[str, Judge, Classification]], str]] = {
    "bad and missing": (
        [("latency", J, HIGH), ("errors", J, PASSED), ("cpu", J, PASSED), ("rps", J, NODATA)],
        "score 66.7 (pass 95, marginal 75): latency High (+23%, p=0.003); no data: rps",
    ),
    "critical low": (
        [("rps", Judge(critical=True), judged(Outcome.LOW, effect=-0.5, p=1.234e-5))],
        "score 0.0 (pass 95, marginal 75): rps Low (-50%, p=1.2e-05, critical)",
    ),
    "all pass": ([("latency", J, PASSED)], "score 100.0 (pass 95, marginal 75): every metric passes"),
    "all no data": ([("a", J, NODATA), ("b", J, NODATA)], "no score (pass 95, marginal 75): no data: a, b"),
    "no metric": ([], "no score (pass 95, marginal 75): no metric"),
}


@pytest.mark.parametrize(("results", "text"), SUMMARIES.values(), ids=SUMMARIES.keys())
def test_summary(results: list[tuple[str, Judge, Classification]], text: str) -> None:
    assert score(results, Score()).summary == text


def test_end_to_end() -> None:
    results = [
        ("latency", J, classify(scaled(1.3), BASE, J)),
        ("success", DECREASE, classify(BASE, BASE, DECREASE)),
        ("errors", J, classify([1.0], BASE, J)),
    ]
    card = score(results, Score())
    assert card.score == 50.0
    assert card.phase is Phase.FAILED
    assert card.summary.startswith("score 50.0 (pass 95, marginal 75): latency High (+30%, p=")
    assert card.summary.endswith("; no data: errors")
    assert isinstance(mann_whitney([1.0], [2.0]), MannWhitney)
