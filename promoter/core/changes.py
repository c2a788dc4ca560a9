"""What one decision records in the store, written in one transaction."""

from __future__ import annotations

import dataclasses

from promoter.core.model import Event, Hold, Promotion
from promoter.core.runs import Run, StageRun


@dataclasses.dataclass(frozen=True)
class Changes:
    promotion: Promotion | None = None
    stage: StageRun | None = None
    runs: tuple[Run, ...] = ()
    events: tuple[Event, ...] = ()
    holds: tuple[Hold, ...] = ()
    unholds: tuple[tuple[str, str], ...] = ()  # (pipeline, version)
    consumed: tuple[int, ...] = ()  # the commands this decision acted on (or refused)
