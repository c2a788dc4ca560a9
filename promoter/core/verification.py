"""Is the merged commit deployed and healthy? The rules of DESIGN.md §6, as a pure judgement.

Argo CD can report Synced/Healthy for a stale revision, and it reconciles health separately from sync. So a
step is verified only when, for every Application that deploys it: the last sync operation Succeeded at the
merged commit or a descendant **that still carries the step's edit**; the app is Synced with no operation
running and no error condition; health was re-checked after that sync finished; and health is Healthy.

Failed, for an Application whose operation is at a revision that contains the merge: the sync operation
Failed or Errored; the revision no longer carrying the step's edit (a later revert, or a person's commit that
undid it); health Degraded once it describes the change. Before the step was first verified that means
health re-checked after the sync finished (until then it may still describe the previous version, which a
fix rolling forward must not be blamed for); once the step was verified (``settled``: soaking, or waiting
again after losing verification) Degraded fails it whether or not a sync is running (a self-heal re-sync
does not excuse it). Anything else waits, and so does an Application that could not be observed at all
(Argo CD down, a refused token): an observation error is a value judged here, and the deadline (the
caller's, like the debounce) fires anyway.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping

from promoter.core.appstatus import AppStatus, Health, OperationPhase, SyncStatus

ERROR_CONDITIONS = ("ComparisonError", "InvalidSpecError")


class Verdict(enum.Enum):
    HEALTHY = "Healthy"  # every rule holds now
    WAITING = "Waiting"  # not yet: keep watching until the deadline
    FAILED = "Failed"  # the deployed change is Degraded, its sync failed, or it is no longer in Git


class Deployed(enum.Enum):
    """How the revision of an Application's last sync operation relates to the step's merge commit."""

    NOT_YET = "not yet"  # no revision of the operation contains the merge
    CARRIES_EDIT = "carries the edit"  # contains the merge, and the step's files there hold its values
    EDIT_UNDONE = "edit undone"  # contains the merge, but the step's files there no longer hold its values


@dataclasses.dataclass(frozen=True)
class Observed:
    """One Application as the shell observed it: its status, or why it could not be observed.

    The shell finds ``revision``: the revision of the last sync operation that contains the reference merge
    (git ancestry); the core judges ``deployed`` from the stage's files at that revision
    (:mod:`promoter.core.evidence`). ``permanent`` says the error will not go away by itself (a refused token,
    an unknown Application): the PR is told, and the deadline still fires.
    """

    status: AppStatus | None
    revision: str | None = None
    deployed: Deployed = Deployed.NOT_YET
    error: str | None = None
    permanent: bool = False
    retry_after: dt.timedelta | None = None
    # ``revision`` is one Argo CD compared the app at (``status.sync``), not one a sync operation applied:
    # the merge did not change this app's manifests, so nothing was synced, and Synced there is the evidence.
    compared: bool = False

    @classmethod
    def unobservable(cls, error: str, permanent: bool = False, retry_after: dt.timedelta | None = None) -> Observed:
        return cls(None, error=error, permanent=permanent, retry_after=retry_after)


@dataclasses.dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: tuple[str, ...]  # one line per Application that is not Healthy (why)

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all Applications Healthy at the merged commit"


def judge_app(name: str, observed: Observed, settled: bool = False) -> tuple[Verdict, str]:
    s = observed.status
    if s is None:
        return Verdict.WAITING, f"{name}: not observed: {observed.error or 'no status'}"
    if observed.compared and observed.deployed is not Deployed.NOT_YET:
        return _compared(name, observed, s, settled)
    at_merge = observed.deployed is not Deployed.NOT_YET and s.operation_phase is not None
    if at_merge and observed.deployed is Deployed.EDIT_UNDONE:
        revision = (observed.revision or "?")[:12]
        return Verdict.FAILED, f"{name}: runs {revision}, which no longer carries this step's edit"
    if at_merge and s.health is Health.DEGRADED and (settled or _rechecked(s)):
        return Verdict.FAILED, f"{name}: Degraded: {s.health_message or 'no message'}"
    if at_merge and s.operation_phase in (OperationPhase.FAILED, OperationPhase.ERROR):
        assert s.operation_phase is not None
        return Verdict.FAILED, f"{name}: sync {s.operation_phase.value}: {s.operation_message or 'no message'}"
    if not at_merge:
        return Verdict.WAITING, f"{name}: not yet synced to the merged commit"
    if s.operation_phase is not OperationPhase.SUCCEEDED:
        assert s.operation_phase is not None
        return Verdict.WAITING, f"{name}: sync {s.operation_phase.value}"
    errors = [c for c in s.conditions if c.type in ERROR_CONDITIONS]
    if errors:
        return Verdict.WAITING, f"{name}: {errors[0].type}: {errors[0].message}"
    if s.sync is not SyncStatus.SYNCED:
        return Verdict.WAITING, f"{name}: {s.sync.value}"
    if not _rechecked(s):
        return Verdict.WAITING, f"{name}: health not re-checked since the sync finished"
    if s.health is Health.HEALTHY:
        return Verdict.HEALTHY, f"{name}: Healthy"
    if s.health is Health.SUSPENDED:
        return Verdict.WAITING, f"{name}: Suspended (a paused rollout)"
    return Verdict.WAITING, f"{name}: {s.health.value}"  # Progressing, Missing, Unknown (Degraded failed above)


def _compared(name: str, observed: Observed, s: AppStatus, settled: bool) -> tuple[Verdict, str]:
    """An app the merge left as it runs: Argo CD compared it at a revision containing the merge and found it
    Synced, with no sync to run. What it deploys is what it deployed before; its health is still the stage's."""
    if observed.deployed is Deployed.EDIT_UNDONE:
        return (
            Verdict.FAILED,
            f"{name}: compared at {(observed.revision or '?')[:12]}, which no longer carries the edit",
        )
    if s.health is Health.DEGRADED and settled:
        return Verdict.FAILED, f"{name}: Degraded: {s.health_message or 'no message'}"
    if s.sync is not SyncStatus.SYNCED or s.operation_phase is OperationPhase.RUNNING:
        return Verdict.WAITING, f"{name}: {'sync Running' if s.sync is SyncStatus.SYNCED else s.sync.value}"
    errors = [c for c in s.conditions if c.type in ERROR_CONDITIONS]
    if errors:
        return Verdict.WAITING, f"{name}: {errors[0].type}: {errors[0].message}"
    if s.health is Health.HEALTHY:
        return Verdict.HEALTHY, f"{name}: Healthy (Synced at the merge: nothing of it to sync)"
    return Verdict.WAITING, f"{name}: {s.health.value}"


def _rechecked(s: AppStatus) -> bool:
    """Health was looked at after the last sync operation finished (so it describes what that sync deployed)."""
    return (
        s.reconciled_at is not None
        and s.operation_finished_at is not None
        and s.reconciled_at > s.operation_finished_at
    )


def judge(apps: Mapping[str, Observed], settled: bool = False) -> Judgement:
    """The worst Application decides: Failed beats Waiting beats Healthy."""
    if not apps:
        return Judgement(Verdict.WAITING, ("no Application observed",))
    verdicts = {name: judge_app(name, observed, settled) for name, observed in sorted(apps.items())}
    failed = tuple(reason for verdict, reason in verdicts.values() if verdict is Verdict.FAILED)
    if failed:
        return Judgement(Verdict.FAILED, failed)
    waiting = tuple(reason for verdict, reason in verdicts.values() if verdict is Verdict.WAITING)
    if waiting:
        return Judgement(Verdict.WAITING, waiting)
    return Judgement(Verdict.HEALTHY, ())
