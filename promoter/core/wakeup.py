"""When a promotion next wants a look, sooner than the reconcile interval: a gate coming due. Pure.

The daemon polls every pipeline at the reconcile interval (the guarantee of convergence); a promotion whose
debounce, soak or deadline ends before the next tick is woken then instead, and one waiting for Argo CD
after a merge is looked at often at first and less often as the wait goes on (a quarter of the time waited,
between one second and the interval), so a step verified five seconds after its merge moves on within
seconds, and a slow one does not keep asking Argo CD for a refresh every second.
"""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from promoter.core.model import Phase, Pipeline, Promotion, Step, StepState

_SOON = dt.timedelta(seconds=1)
_LATE = dt.timedelta(milliseconds=50)  # past a deadline by this much, so the check sees it passed


def wake_at(
    pipeline: Pipeline, promotion: Promotion, step: Step, now: dt.datetime, interval: dt.timedelta
) -> dt.datetime | None:
    """The moment this promotion's next gate comes due, or None when only the next tick (or a person) will move it."""
    if promotion.phase is not Phase.PROGRESSING:
        return None
    stage = pipeline.stage(promotion.stage)
    match step.state:
        case StepState.MERGED:
            deadline = step.deadline(stage)
            if deadline is None:
                return None
            if step.healthy_since is not None:
                due = step.healthy_since + stage.debounce
            else:
                waited = now - (step.waiting_since or now)
                due = now + min(max(waited / 4, _SOON), max(interval, _SOON))
            return min(due, deadline + _LATE)
        case StepState.VERIFIED:
            return None if step.verified_at is None else step.verified_at + stage.soak
        case (
            StepState.PLANNED
            | StepState.OPEN
            | StepState.DONE
            | StepState.REVERTING
            | StepState.REVERTED
            | StepState.STUCK
        ):
            # A pass moves these as far as they go; what stops them (a person, an outage) is not a timer.
            return None
        case unreachable:
            assert_never(unreachable)
