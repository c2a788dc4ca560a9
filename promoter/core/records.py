"""Building what a decision records: events, promotion moves, the Record action. Pure helpers."""

from __future__ import annotations

import dataclasses

from promoter.core.actions import Record
from promoter.core.changes import Changes
from promoter.core.model import Event, EventKind, Hold, Pipeline, Promotion
from promoter.core.runs import Run, StageRun
from promoter.core.snapshot import Snapshot


def event(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, kind: EventKind, message: str, **evidence: object
) -> Event:
    where = {"stage": pipeline.stage(promotion.stage).name, "step": promotion.step}
    return Event(pipeline.name, promotion.id, snapshot.now, kind, message, {**where, **evidence})


def record(
    promotion: Promotion | None = None,
    run: Run | None = None,
    events: tuple[Event, ...] = (),
    holds: tuple[Hold, ...] = (),
    stage: StageRun | None = None,
    consumed: tuple[int, ...] = (),
) -> Record:
    runs = (run,) if run is not None else ()
    return Record(Changes(promotion, stage, runs, events, holds, consumed=consumed))


def moved(promotion: Promotion, snapshot: Snapshot, **changes: object) -> Promotion:
    return dataclasses.replace(promotion, updated_at=snapshot.now, **changes)  # type: ignore[arg-type]
