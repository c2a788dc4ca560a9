"""What operators ask of a running promotion (``promoter promote|pause|resume|abort``; slash commands later)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum


class CommandKind(enum.Enum):
    PROMOTE = "promote"  # end a pause (or approve the stage's first PR)
    PAUSE = "pause"  # nothing moves forward until resumed (failures are still reverted)
    RESUME = "resume"
    ABORT = "abort"  # revert the stage and hold the version


@dataclasses.dataclass(frozen=True)
class Command:
    id: int
    pipeline: str
    promotion: str
    kind: CommandKind
    by: str  # who asked (a login, or "cli:<user>")
    at: dt.datetime
