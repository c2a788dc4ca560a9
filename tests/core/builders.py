"""Values for the decision-core tables: a two-stage pipeline, promotions, app statuses."""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core.appstatus import AppStatus, Condition, Health, OperationPhase, SyncStatus
from promoter.core.markers import Kind, Marker
from promoter.core.model import ImageTarget, MergePolicy, Phase, Pipeline, Promotion, Stage, Step, StepKey, StepState
from promoter.core.pullrequest import PullRequest
from promoter.core.verification import Deployed, Observed

T0 = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
MERGE = "m" * 40
HEAD = "h" * 40


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


FINISHED = at(10)
RECONCILED = at(12)

PIPELINE = Pipeline(
    name="guestbook",
    stages=(
        Stage(
            "staging",
            (ImageTarget("envs/staging/deploy.yaml", "ghcr.io/acme/guestbook"),),
            ("guestbook-staging",),
            soak=dt.timedelta(seconds=30),
            deadline=dt.timedelta(minutes=5),
            debounce=dt.timedelta(seconds=5),
        ),
        Stage(
            "prod",
            (ImageTarget("envs/prod/deploy.yaml", "ghcr.io/acme/guestbook"),),
            ("guestbook-prod", "guestbook-prod-eu"),
            merge=MergePolicy(approvals=1),
        ),
    ),
)


def promotion(phase: Phase = Phase.PROGRESSING, stage: int = 0, reason: str = "") -> Promotion:
    return Promotion("1.5.0-1", "guestbook", "1.5.0", phase, stage, 0, T0, T0, reason)


def step(state: StepState, stage: int = 0, **fields: object) -> Step:
    base = Step(StepKey("1.5.0-1", stage, 0), state)
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def marker(stage: int = 0, kind: Kind = Kind.STEP, promotion_id: str = "1.5.0-1") -> Marker:
    return Marker("guestbook", promotion_id, "1.5.0", stage, 0, kind)


def pr(
    number: int = 7,
    state: str = "open",
    merged: bool = False,
    branch: str = "promoter/guestbook/1.5.0-1/0-0",
    *,
    owner: Marker | None = None,
    body: str | None = None,
    labels: tuple[str, ...] = (),
    created: dt.datetime | None = None,
    merged_at: dt.datetime | None = None,
    merge_sha: str = MERGE,
) -> PullRequest:
    """A PR; by default promoter's own for the current step (its marker in the body), kind from the branch."""
    kind = Kind.REVERT if branch.endswith("-revert") else Kind.STEP
    stage = int(branch.rsplit("/", 1)[-1].split("-", maxsplit=1)[0]) if branch.startswith("promoter/") else 0
    text = body if body is not None else f"Promotes.\n\n{(owner or marker(stage, kind)).render()}"
    return PullRequest(
        number,
        f"https://example/pull/{number}",
        state,
        merged,
        merge_sha if merged else None,
        branch,
        HEAD,
        "main",
        "t",
        text,
        labels,
        created,
        merged_at,
    )


def status(
    name: str = "guestbook-staging",
    *,
    sync: SyncStatus = SyncStatus.SYNCED,
    health: Health = Health.HEALTHY,
    phase: OperationPhase | None = OperationPhase.SUCCEEDED,
    finished: dt.datetime | None = FINISHED,
    reconciled: dt.datetime | None = RECONCILED,
    conditions: tuple[Condition, ...] = (),
    message: str | None = None,
) -> AppStatus:
    return AppStatus(
        name=name,
        sync=sync,
        sync_revisions=(MERGE,),
        health=health,
        health_message=message,
        operation_phase=phase,
        operation_revisions=(MERGE,),
        operation_started_at=at(5),
        operation_finished_at=finished,
        operation_message="sync failed: bad manifest" if phase is OperationPhase.FAILED else None,
        reconciled_at=reconciled,
        conditions=conditions,
    )


def observed(deployed: bool | Deployed = True, **kwargs: object) -> Observed:
    """An Application's status; ``deployed`` True: its operation is at the merge and carries the edit."""
    if isinstance(deployed, bool):
        deployed = Deployed.CARRIES_EDIT if deployed else Deployed.NOT_YET
    revision = MERGE if deployed is not Deployed.NOT_YET else None
    return Observed(status(**kwargs), deployed, revision)  # type: ignore[arg-type]
