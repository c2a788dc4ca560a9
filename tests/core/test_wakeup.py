"""When the daemon looks at a promotion again, sooner than the interval: a gate coming due."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from promoter.core.model import Phase, Step, StepState
from promoter.core.wakeup import wake_at
from tests.core.builders import MERGE, PIPELINE, at, promotion, step

INTERVAL = dt.timedelta(seconds=30)
MERGED = step(StepState.MERGED, pr_number=7, merge_sha=MERGE, merged_at=at(0), waiting_since=at(0))

CASES: dict[str, tuple[Phase, Step, float, float | None]] = {
    "just merged: look again in a second": (Phase.PROGRESSING, MERGED, 1, 2),
    "merged a while ago: a quarter of the wait": (Phase.PROGRESSING, MERGED, 40, 50),
    "merged long ago: the interval at most": (Phase.PROGRESSING, MERGED, 200, 230),
    "just before the deadline: at the deadline": (Phase.PROGRESSING, MERGED, 295, 300.05),
    "debounce under way: when it ends": (
        Phase.PROGRESSING,
        dataclasses.replace(MERGED, healthy_since=at(20)),
        21,
        25,
    ),
    "soaking: when the soak ends": (
        Phase.PROGRESSING,
        dataclasses.replace(MERGED, state=StepState.VERIFIED, verified_at=at(30)),
        31,
        60,
    ),
    "verified without a time: the interval": (Phase.PROGRESSING, step(StepState.VERIFIED), 31, None),
    "merged without a merge time: the interval": (Phase.PROGRESSING, step(StepState.MERGED), 1, None),
    "open, waiting for a person: the interval": (Phase.PROGRESSING, step(StepState.OPEN), 1, None),
    "planned: the interval": (Phase.PROGRESSING, step(StepState.PLANNED), 1, None),
    "pending: the interval": (Phase.PENDING, step(StepState.PLANNED), 1, None),
    "finished: never": (Phase.SUCCEEDED, MERGED, 1, None),
}


@pytest.mark.parametrize(("phase", "current", "now", "due"), CASES.values(), ids=CASES.keys())
def test_wake_at(phase: Phase, current: Step, now: float, due: float | None) -> None:
    got = wake_at(PIPELINE, promotion(phase), current, at(now), INTERVAL)
    assert got == (at(due) if due is not None else None)
