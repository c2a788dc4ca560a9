"""Is the merged commit deployed and healthy? The rules of DESIGN.md §6, as a pure judgement.

Argo CD can report Synced/Healthy for a stale revision, and it reconciles health separately from sync. So a
step is verified only when, for every Application that deploys it: the last sync operation Succeeded at the
merged commit or a descendant; the app is Synced with no operation running and no error condition; health
was re-checked after that sync finished; and health is Healthy. The debounce (Healthy must hold for a while)
and the deadline are the caller's: they need memory across passes.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import assert_never

from promoter.core.appstatus import AppStatus, Health, OperationPhase, SyncStatus

ERROR_CONDITIONS = ("ComparisonError", "InvalidSpecError")


class Verdict(enum.Enum):
    HEALTHY = "Healthy"  # every rule holds now
    WAITING = "Waiting"  # not yet: keep watching until the deadline
    FAILED = "Failed"  # the deployed change is Degraded or its sync failed


@dataclasses.dataclass(frozen=True)
class Observed:
    """An Application's status, and whether its last operation's revision contains the merged commit.

    ``deployed`` is computed by the shell (git ancestry), so this module stays pure.
    """

    status: AppStatus
    deployed: bool


@dataclasses.dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: tuple[str, ...]  # one line per Application that is not Healthy (why)

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all Applications Healthy at the merged commit"


def judge_app(observed: Observed) -> tuple[Verdict, str]:
    s = observed.status
    if s.operation_phase in (OperationPhase.FAILED, OperationPhase.ERROR) and observed.deployed:
        return Verdict.FAILED, f"{s.name}: sync {s.operation_phase.value}: {s.operation_message or 'no message'}"
    if s.operation_phase is None or not observed.deployed:
        return Verdict.WAITING, f"{s.name}: not yet synced to the merged commit"
    if s.operation_phase is not OperationPhase.SUCCEEDED:
        return Verdict.WAITING, f"{s.name}: sync {s.operation_phase.value}"
    errors = [c for c in s.conditions if c.type in ERROR_CONDITIONS]
    if errors:
        return Verdict.WAITING, f"{s.name}: {errors[0].type}: {errors[0].message}"
    if s.sync is not SyncStatus.SYNCED:
        return Verdict.WAITING, f"{s.name}: {s.sync.value}"
    if s.reconciled_at is None or s.operation_finished_at is None or s.reconciled_at <= s.operation_finished_at:
        return Verdict.WAITING, f"{s.name}: health not re-checked since the sync finished"
    match s.health:
        case Health.HEALTHY:
            return Verdict.HEALTHY, f"{s.name}: Healthy"
        case Health.DEGRADED:
            return Verdict.FAILED, f"{s.name}: Degraded: {s.health_message or 'no message'}"
        case Health.SUSPENDED:
            return Verdict.WAITING, f"{s.name}: Suspended (a paused rollout)"
        case Health.PROGRESSING | Health.MISSING | Health.UNKNOWN:
            return Verdict.WAITING, f"{s.name}: {s.health.value}"
        case unreachable:
            assert_never(unreachable)


def judge(apps: Mapping[str, Observed]) -> Judgement:
    """The worst Application decides: Failed beats Waiting beats Healthy."""
    if not apps:
        return Judgement(Verdict.WAITING, ("no Application observed",))
    verdicts = {name: judge_app(observed) for name, observed in sorted(apps.items())}
    failed = tuple(reason for verdict, reason in verdicts.values() if verdict is Verdict.FAILED)
    if failed:
        return Judgement(Verdict.FAILED, failed)
    waiting = tuple(reason for verdict, reason in verdicts.values() if verdict is Verdict.WAITING)
    if waiting:
        return Judgement(Verdict.WAITING, waiting)
    return Judgement(Verdict.HEALTHY, ())
