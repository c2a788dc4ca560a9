"""DESIGN.md §6 as a truth table: when is a merged commit deployed and healthy?"""

from __future__ import annotations

import pytest

from promoter.core.appstatus import Condition, Health, OperationPhase, SyncStatus
from promoter.core.verification import Observed, Verdict, judge, judge_app
from tests.core.builders import at, observed

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
}


@pytest.mark.parametrize(("case", "verdict", "reason"), CASES.values(), ids=CASES.keys())
def test_judge_app(case: Observed, verdict: Verdict, reason: str) -> None:
    got, why = judge_app(case)
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
