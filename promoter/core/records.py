"""Building what a decision records: events, promotion moves, the Record action. Pure helpers."""

from __future__ import annotations

import dataclasses

from promoter.core.actions import Record
from promoter.core.changes import Changes
from promoter.core.model import Event, Hold, Pipeline, Promotion, Step
from promoter.core.snapshot import Snapshot


def event(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, kind: str, message: str, **evidence: object
) -> Event:
    step = {"stage": pipeline.stage(promotion.stage).name, "step": promotion.step}
    return Event(pipeline.name, promotion.id, snapshot.now, kind, message, {**step, **evidence})


def record(
    promotion: Promotion | None = None,
    step: Step | None = None,
    events: tuple[Event, ...] = (),
    holds: tuple[Hold, ...] = (),
) -> Record:
    return Record(Changes(promotion=promotion, steps=(step,) if step else (), events=events, holds=holds))


def moved(promotion: Promotion, snapshot: Snapshot, **changes: object) -> Promotion:
    return dataclasses.replace(promotion, updated_at=snapshot.now, **changes)  # type: ignore[arg-type]
