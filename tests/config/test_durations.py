"""Durations as written in config."""

from __future__ import annotations

import datetime as dt

import pytest

from promoter.config import durations

S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30s", 30 * S, id="seconds"),
        pytest.param("2m", 120 * S, id="minutes"),
        pytest.param("1h30m", 5400 * S, id="hours-and-minutes"),
        pytest.param("1h2m3s4ms", 3723.004 * S, id="every-unit"),
        pytest.param("500ms", 0.5 * S, id="milliseconds"),
        pytest.param("1.5s", 1.5 * S, id="fraction"),
        pytest.param("0s", 0 * S, id="zero"),
        pytest.param(" 10s ", 10 * S, id="surrounding-space"),
        pytest.param("45", 45 * S, id="digits-as-text"),
        pytest.param(45, 45 * S, id="integer"),
        pytest.param(0.25, 0.25 * S, id="float"),
        pytest.param(0, 0 * S, id="integer-zero"),
    ],
)
def test_valid(text: object, expected: dt.timedelta) -> None:
    assert durations.parse(text) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("-5s", "negative", id="negative-text"),
        pytest.param(-1, "negative", id="negative-number"),
        pytest.param("", "expected a duration", id="empty"),
        pytest.param("5 minutes", "expected a duration", id="words"),
        pytest.param("5x", "expected a duration", id="unknown-unit"),
        pytest.param("s", "expected a duration", id="unit-only"),
        pytest.param("1h 30m", "expected a duration", id="inner-space"),
        pytest.param("30m1h", "largest first", id="wrong-order"),
        pytest.param("5s5s", "largest first", id="repeated-unit"),
        pytest.param(True, "boolean", id="boolean"),
        pytest.param(float("nan"), "expected a duration", id="nan"),
        pytest.param(float("inf"), "expected a duration", id="infinity"),
        pytest.param([5], "expected a duration", id="list"),
        pytest.param(None, "expected a duration", id="null"),
    ],
)
def test_invalid(value: object, reason: str) -> None:
    with pytest.raises(durations.DurationError, match=reason):
        durations.parse(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(0 * S, "0s", id="zero"),
        pytest.param(5400 * S, "1h30m", id="hours"),
        pytest.param(0.5 * S, "500ms", id="millis"),
        pytest.param(3723.004 * S, "1h2m3s4ms", id="all"),
    ],
)
def test_render_reads_back(value: dt.timedelta, text: str) -> None:
    assert durations.render(value) == text
    assert durations.parse(text) == value
