"""What Argo CD says about one Application, as the verification rules read it (DESIGN.md §6)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum


class SyncStatus(enum.Enum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


class Health(enum.Enum):
    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    SUSPENDED = "Suspended"
    MISSING = "Missing"
    UNKNOWN = "Unknown"


class OperationPhase(enum.Enum):
    RUNNING = "Running"
    TERMINATING = "Terminating"
    FAILED = "Failed"
    ERROR = "Error"
    SUCCEEDED = "Succeeded"


@dataclasses.dataclass(frozen=True)
class Condition:
    type: str
    message: str


@dataclasses.dataclass(frozen=True)
class AppStatus:
    """The fields of ``Application.status`` that decide whether a commit is deployed and healthy.

    ``operation_revisions`` holds ``status.operationState.syncResult.revision`` (or ``revisions[]`` for a
    multi-source Application); ``sync_revisions`` likewise for ``status.sync``.
    """

    name: str
    sync: SyncStatus
    sync_revisions: tuple[str, ...]
    health: Health
    health_message: str | None
    operation_phase: OperationPhase | None
    operation_revisions: tuple[str, ...]
    operation_started_at: dt.datetime | None
    operation_finished_at: dt.datetime | None
    operation_message: str | None
    reconciled_at: dt.datetime | None
    conditions: tuple[Condition, ...] = ()
