"""DESIGN.md §6 as a truth table: when is a merged commit deployed and healthy?"""

from __future__ import annotations

import dataclasses

import pytest

from promoter.core.appstatus import Condition, Health, OperationPhase, SyncStatus
from promoter.core.verification import Deployed, Observed, Verdict, judge, judge_app
from tests.core.builders import at, observed


def compared(deployed: Deployed = Deployed.CARRIES_EDIT, **kwargs: object) -> Observed:
    """Synced at a revision containing the merge (``status.sync``), with no sync operation at it."""
    return dataclasses.replace(observed(deployed, **kwargs), compared=True)


SELF_HEAL = {"phase": OperationPhase.RUNNING, "finished": None, "health": Health.DEGRADED}

# (observation, verdict before the step was first verified, and once it was: soaking or waiting again)
CASES: dict[str, tuple[Observed, Verdict, str]] = {
    "synced healthy after the sync": (observed(), Verdict.HEALTHY, "Healthy"),
    "stale revision reported healthy": (observed(deployed=False), Verdict.WAITING, "not yet synced"),
    "no operation yet": (observed(phase=None), Verdict.WAITING, "not yet synced"),
    "sync running": (observed(phase=OperationPhase.RUNNING), Verdict.WAITING, "sync Running"),
    "sync terminating": (observed(phase=OperationPhase.TERMINATING), Verdict.WAITING, "sync Terminating"),
    "sync failed at our revision": (observed(phase=OperationPhase.FAILED), Verdict.FAILED, "sync Failed"),
    "sync error at our revision": (observed(phase=OperationPhase.ERROR), Verdict.FAILED, "sync Error"),
    "sync failed at an older revision": (
        observed(deployed=False, phase=OperationPhase.FAILED),
        Verdict.WAITING,
        "not yet synced",
    ),
    "out of sync": (observed(sync=SyncStatus.OUT_OF_SYNC), Verdict.WAITING, "OutOfSync"),
    "comparison error": (
        observed(conditions=(Condition("ComparisonError", "rpc error"),)),
        Verdict.WAITING,
        "ComparisonError: rpc error",
    ),
    "a warning condition does not block": (
        observed(conditions=(Condition("SyncError", "x"),)),
        Verdict.HEALTHY,
        "Healthy",
    ),
    "health checked before the sync finished": (observed(reconciled=at(9)), Verdict.WAITING, "not re-checked"),
    "health checked at the same instant": (observed(reconciled=at(10)), Verdict.WAITING, "not re-checked"),
    "never reconciled": (observed(reconciled=None), Verdict.WAITING, "not re-checked"),
    "no finish time": (observed(finished=None), Verdict.WAITING, "not re-checked"),
    "degraded after the sync": (
        observed(health=Health.DEGRADED, message="CrashLoopBackOff"),
        Verdict.FAILED,
        "Degraded: CrashLoopBackOff",
    ),
    "degraded but stale": (observed(deployed=False, health=Health.DEGRADED), Verdict.WAITING, "not yet synced"),
    "degraded before health was re-checked": (
        observed(health=Health.DEGRADED, reconciled=at(9)),
        Verdict.WAITING,
        "not re-checked",
    ),
    "suspended rollout waits": (observed(health=Health.SUSPENDED), Verdict.WAITING, "Suspended"),
    "progressing": (observed(health=Health.PROGRESSING), Verdict.WAITING, "Progressing"),
    "missing": (observed(health=Health.MISSING), Verdict.WAITING, "Missing"),
    "unknown": (observed(health=Health.UNKNOWN), Verdict.WAITING, "Unknown"),
    # content, not only ancestry: the synced revision descends from the merge but no longer holds the edit
    "edit undone by a later revert": (
        observed(deployed=Deployed.EDIT_UNDONE),
        Verdict.FAILED,
        "no longer carries this step's edit",
    ),
    "edit undone, even while syncing": (
        observed(deployed=Deployed.EDIT_UNDONE, phase=OperationPhase.RUNNING, finished=None),
        Verdict.FAILED,
        "no longer carries",
    ),
    # errors are values: Argo CD down or refusing waits (the caller's deadline fires anyway)
    "argocd unreachable": (Observed.unobservable("connection refused"), Verdict.WAITING, "not observed: connection"),
    "argocd refuses the token": (Observed.unobservable("401", permanent=True), Verdict.WAITING, "not observed: 401"),
    # Degraded while the sync to the merge still runs: it may still describe the previous version
    "degraded while the first sync runs waits": (observed(**SELF_HEAL), Verdict.WAITING, "sync Running"),
    # The merge left this app's manifests as they run: Argo CD compared it at a revision containing the merge
    # and found it Synced; no sync operation applies the merge, ever. Synced there is the evidence.
    "compared synced healthy, nothing to sync": (compared(phase=None), Verdict.HEALTHY, "nothing of it to sync"),
    "compared synced, an old sync's operation is no matter": (compared(finished=at(1)), Verdict.HEALTHY, "Healthy"),
    "compared but out of sync waits": (compared(sync=SyncStatus.OUT_OF_SYNC), Verdict.WAITING, "OutOfSync"),
    "compared while a sync runs waits": (compared(phase=OperationPhase.RUNNING), Verdict.WAITING, "sync Running"),
    "compared with a comparison error waits": (
        compared(conditions=(Condition("ComparisonError", "rpc error"),)),
        Verdict.WAITING,
        "ComparisonError",
    ),
    "compared progressing waits": (compared(health=Health.PROGRESSING), Verdict.WAITING, "Progressing"),
    "compared degraded before verification waits": (compared(health=Health.DEGRADED), Verdict.WAITING, "Degraded"),
    "compared at a revision without the edit fails": (
        compared(deployed=Deployed.EDIT_UNDONE),
        Verdict.FAILED,
        "no longer carries the edit",
    ),
}

SETTLED: dict[str, tuple[Observed, Verdict, str]] = {
    # once verified, Degraded fails whether or not a sync runs and whether or not health was re-checked
    "degraded during a self-heal re-sync": (observed(**SELF_HEAL), Verdict.FAILED, "Degraded"),
    "degraded before health was re-checked": (
        observed(health=Health.DEGRADED, reconciled=at(9)),
        Verdict.FAILED,
        "Degraded",
    ),
    "degraded but at an older revision still waits": (
        observed(deployed=False, health=Health.DEGRADED),
        Verdict.WAITING,
        "not yet synced",
    ),
    "re-syncing healthy waits": (observed(phase=OperationPhase.RUNNING, finished=None), Verdict.WAITING, "Running"),
    "out of sync waits": (observed(sync=SyncStatus.OUT_OF_SYNC), Verdict.WAITING, "OutOfSync"),
    "healthy": (observed(), Verdict.HEALTHY, "Healthy"),
    "compared degraded once verified fails": (compared(health=Health.DEGRADED), Verdict.FAILED, "Degraded"),
}


@pytest.mark.parametrize(("case", "verdict", "reason"), CASES.values(), ids=CASES.keys())
def test_judge_app(case: Observed, verdict: Verdict, reason: str) -> None:
    got, why = judge_app("app", case)
    assert got is verdict
    assert reason in why
    assert why.startswith("app: ")


@pytest.mark.parametrize(("case", "verdict", "reason"), SETTLED.values(), ids=SETTLED.keys())
def test_judge_app_once_verified(case: Observed, verdict: Verdict, reason: str) -> None:
    got, why = judge_app("app", case, settled=True)
    assert got is verdict
    assert reason in why


def test_the_worst_application_decides() -> None:
    healthy, waiting, failed = observed(), observed(health=Health.PROGRESSING), observed(health=Health.DEGRADED)
    assert judge({"a": healthy, "b": healthy}).verdict is Verdict.HEALTHY
    assert judge({"a": healthy, "b": waiting}).verdict is Verdict.WAITING
    assert judge({"a": waiting, "b": failed}).verdict is Verdict.FAILED
    assert judge({}).verdict is Verdict.WAITING


def test_summary() -> None:
    assert judge({"a": observed()}).summary.startswith("all Applications Healthy")
    assert "Progressing" in judge({"a": observed(health=Health.PROGRESSING)}).summary
