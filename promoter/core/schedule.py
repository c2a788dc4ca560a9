"""Which analysis runs measure at an item of a stage's plan, and from when. Pure.

A gate's run starts with the gate (its record's ``started_at``); a canary's background run when the walk
reaches its starting step (its record at item ``BACKGROUND``), until the stable change. The first measurement
is ready once the latest change before the run was in effect (:func:`promoter.core.analysis.ready_at`): a
background run whose starting step is a change (a weight) measures once that change is done, not while its
PR waits (Argo Rollouts starts it with the weight set).
Both :mod:`promoter.core.needs` (what to measure) and :mod:`promoter.core.evaluation` (the decision) use it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from promoter.core import analysis as runs_of
from promoter.core.measurements import Measurement
from promoter.core.plan import Change, Gate, StagePlan
from promoter.core.runs import ChangeRun, ChangeState, GateRun, GateState, Run
from promoter.core.templates import Analysis

BACKGROUND = -1  # the item index of a stage's background analysis record


def run_id(stage: int, item: int) -> str:
    """The measurements' run key: ``"{stage}:{item}"``, or ``"{stage}:background"``."""
    return f"{stage}:background" if item == BACKGROUND else f"{stage}:{item}"


@dataclasses.dataclass(frozen=True)
class Active:
    """One analysis run of the current stage that is measuring (or judged): what needs and decide share."""

    item: int  # the gate's index, or BACKGROUND
    analysis: Analysis
    values: Mapping[str, str]
    started: dt.datetime
    ready: dt.datetime
    ending: bool = False  # a background run whose canary steps are over

    def state(self, stage: int, measurements: Sequence[Measurement]) -> runs_of.RunState:
        return runs_of.state(
            self.analysis,
            run_id(stage, self.item),
            self.values,
            measurements,
            started=self.started,
            ready=self.ready,
            ending=self.ending,
        )


def active(plan: StagePlan, runs: Mapping[int, Run], index: int) -> list[Active]:
    """The analysis runs measuring at item ``index``: its gate's, and the background run while in range.
    An AnalysisError (an argument without a value) propagates: the caller fails the stage with it."""
    found: list[Active] = []
    item = plan.items[index] if index < len(plan.items) else None
    run = runs.get(index)
    if (
        isinstance(item, Gate)
        and item.analysis is not None
        and isinstance(run, GateRun)
        and run.state is GateState.WAITING
        and run.started_at is not None
    ):
        found.append(_active(index, item.analysis, dict(item.values), run.started_at, _effective(plan, runs, index)))
    background = _background(plan, runs, index)
    if background is not None:
        found.append(background)
    return found


def _background(plan: StagePlan, runs: Mapping[int, Run], index: int) -> Active | None:
    bg = plan.background
    record = runs.get(BACKGROUND)
    if bg is None or not isinstance(record, GateRun) or record.started_at is None:
        return None
    if record.state is GateState.PASSED or index > bg.end:
        return None
    if index == bg.start < bg.end and isinstance(plan.items[index], Change):
        starting = runs.get(index)
        if not isinstance(starting, ChangeRun) or starting.state is not ChangeState.DONE:
            return None  # the starting step's change is not in effect yet: nothing to measure
    effective = _effective(plan, runs, bg.start + 1)
    started = record.started_at
    return _active(BACKGROUND, bg.analysis, dict(bg.values), started, max(effective, started), ending=index >= bg.end)


def _active(
    item: int, analysis: Analysis, values: dict[str, str], started: dt.datetime, effective: dt.datetime, **kw: bool
) -> Active:
    return Active(item, analysis, values, started, runs_of.ready_at(analysis, values, effective), **kw)


def _effective(plan: StagePlan, runs: Mapping[int, Run], upto: int) -> dt.datetime:
    """When the latest change before item ``upto`` was in effect: its verification (after Argo CD's
    ``finishedAt`` and the debounce); the epoch when none was verified (the gate's start bounds it)."""
    for index in range(min(upto, len(plan.items)) - 1, -1, -1):
        run = runs.get(index)
        if isinstance(plan.items[index], Change) and isinstance(run, ChangeRun) and run.verified_at is not None:
            return run.verified_at
    return dt.datetime.min.replace(tzinfo=dt.UTC)
