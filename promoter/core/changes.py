"""What one decision records in the store, written in one transaction."""

from __future__ import annotations

import dataclasses

from promoter.core.model import Event, Hold, Promotion, Step


@dataclasses.dataclass(frozen=True)
class Changes:
    promotion: Promotion | None = None
    steps: tuple[Step, ...] = ()
    events: tuple[Event, ...] = ()
    holds: tuple[Hold, ...] = ()
    unholds: tuple[tuple[str, str], ...] = ()  # (pipeline, version)
