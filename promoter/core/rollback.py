"""``promoter rollback PIPELINE``: the last stage of a promotion that succeeded is reverted. Pure.

The promotion goes back to its last stage, marked Reverting as an abort would mark it: the decision then opens
one revert PR of every change the stage merged, newest first, merges it at once, has Argo CD refresh, and ends
the promotion Aborted with its version on hold (:mod:`promoter.core.failure`). Only the pipeline's newest
promotion can be rolled back: a later one's commits sit on top of it, and going back to an older version is a
promotion of that version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from promoter.core.changes import Changes
from promoter.core.model import Event, EventKind, Phase, Pipeline, Promotion
from promoter.core.runs import ChangeRun, Run, StageRun, StageState


class RollbackRefused(Exception):
    """Nothing to roll back now; the message says why and what to do instead."""


def rollback(
    pipeline: Pipeline,
    promotions: Sequence[Promotion],
    record: StageRun | None,
    runs: Sequence[Run],
    by: str,
    now: dt.datetime,
) -> Changes:
    """What the store records to roll back the newest of ``promotions`` (newest first; ``record`` and ``runs``
    are its current stage's), asked by ``by``."""
    if not promotions:
        raise RollbackRefused(f"{pipeline.name} has no promotion to roll back")
    last = promotions[0]
    stage = pipeline.stage(last.stage)
    if not last.phase.finished:
        raise RollbackRefused(f"{last.id} is in progress: `promoter abort {pipeline.name}` reverts its stage")
    if last.phase is not Phase.SUCCEEDED:
        raise RollbackRefused(
            f"{pipeline.name}'s last promotion {last.id} ended {last.phase.value}, not Succeeded: "
            "to run another version, promote it"
        )
    merged = [r for r in runs if isinstance(r, ChangeRun) and r.merge_sha is not None]
    if record is None or not merged:
        raise RollbackRefused(f"{last.id} merged nothing in {stage.name}: nothing to roll back")
    reason = f"rolled back by {by}"
    reverting = dataclasses.replace(record, state=StageState.REVERTING, failure=reason, aborted_by=by)
    moved = dataclasses.replace(
        last, phase=Phase.PROGRESSING, reason=f"reverting {stage.name}: {reason}", updated_at=now, paused=False
    )
    message = f"{stage.name}: rolling back {last.version} ({len(merged)} merged change(s)), asked by {by}"
    event = Event(pipeline.name, last.id, now, EventKind.ROLLBACK_STARTED, message, {"by": by, "stage": stage.name})
    return Changes(promotion=moved, stage=reverting, events=(event,))
