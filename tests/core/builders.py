"""Values for the decision-core tables: pipelines of each strategy, their repo files, runs and snapshots."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from promoter.core import plan as plans
from promoter.core.appstatus import AppStatus, Condition, Health, OperationPhase, SyncStatus
from promoter.core.markers import Kind, Marker
from promoter.core.model import MergePolicy, Phase, Pipeline, Promotion, RunKey, Stage
from promoter.core.pullrequest import PullRequest
from promoter.core.resources import Found, Located
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, Run, StageRun, StageState
from promoter.core.snapshot import Snapshot
from promoter.core.strategies import (
    BlueGreen,
    Canary,
    ImageTarget,
    Pause,
    ResourceRef,
    RoutingFormat,
    SetWeight,
    TrafficRouting,
)
from promoter.core.verification import Deployed, Observed

T0 = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
MERGE = "m" * 40
HEAD = "h" * 40
BASE = "b" * 40
ID = "1.5.0-1"
IMAGE = "ghcr.io/acme/guestbook"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


FINISHED = at(10)
RECONCILED = at(12)

# resources and their files ------------------------------------------------------------------------

STAGING_FILE = ResourceRef(file="envs/staging/deploy.yaml")
STABLE = ResourceRef("Deployment", "guestbook", "envs/prod/stable.yaml")
CANARY = ResourceRef("Deployment", "guestbook-canary", "envs/prod/canary.yaml")
VS = ResourceRef("VirtualService", "guestbook", "envs/prod/routes.yaml")
SERVICE = ResourceRef("Service", "guestbook", "envs/bg/service.yaml")
BLUE = ResourceRef("Deployment", "guestbook-blue", "envs/bg/blue.yaml")
GREEN = ResourceRef("Deployment", "guestbook-green", "envs/bg/green.yaml")


def deployment(name: str, replicas: int, version: str = "1.4.0") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: app
          image: {IMAGE}:{version}
"""


STAGING_TEXT = f"# staging\nimage: {IMAGE}:1.4.0\n"
VS_TEXT = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: guestbook
spec:
  hosts: [guestbook]
  http:
    - name: primary
      route:
        - destination: {host: guestbook, subset: stable}
          weight: 100
        - destination: {host: guestbook, subset: canary}
          weight: 0
"""
SERVICE_TEXT = """\
apiVersion: v1
kind: Service
metadata:
  name: guestbook
spec:
  selector:
    app: guestbook
    color: blue
"""

FILES: dict[ResourceRef, Found] = {
    STAGING_FILE: Found("envs/staging/deploy.yaml", STAGING_TEXT),
    STABLE: Found("envs/prod/stable.yaml", deployment("guestbook", 3), 0),
    CANARY: Found("envs/prod/canary.yaml", deployment("guestbook-canary", 0), 0),
    VS: Found("envs/prod/routes.yaml", VS_TEXT, 0),
    SERVICE: Found("envs/bg/service.yaml", SERVICE_TEXT, 0),
    BLUE: Found("envs/bg/blue.yaml", deployment("guestbook-blue", 3), 0),
    GREEN: Found("envs/bg/green.yaml", deployment("guestbook-green", 0), 0),
}

# pipelines ----------------------------------------------------------------------------------------

ROUTING = TrafficRouting(RoutingFormat.ISTIO, VS, "stable", "canary", "primary")
CANARY_STRATEGY = Canary(
    canary=(ImageTarget(CANARY, IMAGE),),
    steps=(SetWeight(20), Pause(dt.timedelta(minutes=1)), SetWeight(50), Pause(None)),
    routing=ROUTING,
)
BLUE_GREEN = BlueGreen(
    active_service=SERVICE,
    selector="color",
    colors=(("blue", ImageTarget(BLUE, IMAGE)), ("green", ImageTarget(GREEN, IMAGE))),
    pre_promotion_pause=dt.timedelta(seconds=30),
    scale_down_delay=dt.timedelta(seconds=30),
)

STAGING = Stage(
    "staging",
    (ImageTarget(STAGING_FILE, IMAGE),),
    ("guestbook-staging",),
    soak=dt.timedelta(seconds=30),
    deadline=dt.timedelta(minutes=5),
    debounce=dt.timedelta(seconds=5),
)
PROD = Stage(
    "prod",
    (ImageTarget(STABLE, IMAGE),),
    ("guestbook-prod", "guestbook-prod-eu"),
    strategy=CANARY_STRATEGY,
    deadline=dt.timedelta(minutes=5),
    debounce=dt.timedelta(seconds=5),
    merge=MergePolicy(approvals=1),
)
PIPELINE = Pipeline(name="guestbook", stages=(STAGING, PROD))
BG_STAGE = Stage(
    "prod", (), ("guestbook-prod",), strategy=BLUE_GREEN, deadline=dt.timedelta(minutes=5), debounce=dt.timedelta(0)
)
BG_PIPELINE = Pipeline(name="guestbook", stages=(BG_STAGE,))

STAGING_FACTS = Facts()
PROD_FACTS = Facts(
    (("Deployment/guestbook (envs/prod/stable.yaml)", 3), ("Deployment/guestbook-canary (envs/prod/canary.yaml)", 0))
)
BG_FACTS = Facts(
    (("Deployment/guestbook-blue (envs/bg/blue.yaml)", 3), ("Deployment/guestbook-green (envs/bg/green.yaml)", 0)),
    "blue",
)


def plan_of(pipeline: Pipeline = PIPELINE, stage: int = 0, facts: Facts | None = None) -> plans.StagePlan:
    chosen = pipeline.stage(stage)
    return plans.build(chosen, "1.5.0", facts or (STAGING_FACTS if stage == 0 else PROD_FACTS))


# promotions, runs, snapshots ---------------------------------------------------------------------


def promotion(
    phase: Phase = Phase.PROGRESSING, stage: int = 0, step: int = 0, reason: str = "", paused: bool = False
) -> Promotion:
    return Promotion(ID, "guestbook", "1.5.0", phase, stage, step, T0, T0, reason, paused)


def key(item: int = 0, stage: int = 0) -> RunKey:
    return RunKey(ID, stage, item)


def change(state: ChangeState = ChangeState.PLANNED, item: int = 0, stage: int = 0, **fields: Any) -> ChangeRun:
    if state in (ChangeState.MERGED, ChangeState.DONE):
        fields = {"pr_number": 7, "merge_sha": MERGE, "merged_at": at(0), **fields}
    elif state is ChangeState.OPEN:
        fields = {"pr_number": 7, **fields}
    return ChangeRun(key(item, stage), state, **fields)


def gate(item: int, stage: int = 0, state: GateState = GateState.WAITING, **fields: Any) -> GateRun:
    return GateRun(key(item, stage), state, **{"started_at": at(30), **fields})


def stage_run(
    stage: int = 0, state: StageState = StageState.RUNNING, facts: Facts | None = None, **fields: Any
) -> StageRun:
    chosen = facts if facts is not None else (STAGING_FACTS if stage == 0 else PROD_FACTS)
    return StageRun(ID, stage, state, chosen, **fields)


def snap(
    now: float,
    *runs: Run,
    stage: StageRun | None = None,
    stage_index: int | None = None,
    found: Mapping[ResourceRef, Located] | None = None,
    **fields: Any,
) -> Snapshot:
    """A snapshot at ``now`` seconds with these runs of the current stage (its record made up when not given)."""
    index = stage_index if stage_index is not None else (runs[0].key.stage if runs else 0)
    record = stage if stage is not None else stage_run(index)
    return Snapshot(
        now=at(now),
        stage=record,
        runs={r.key.item: r for r in runs},
        base_sha=BASE,
        found=found if found is not None else FILES,
        **fields,
    )


def marker(stage: int = 0, kind: Kind = Kind.STEP, promotion_id: str = ID, step: int = 0) -> Marker:
    return Marker("guestbook", promotion_id, "1.5.0", stage, step, kind)


def pr(
    number: int = 7,
    state: str = "open",
    merged: bool = False,
    *,
    owner: Marker | None = None,
    body: str | None = None,
    labels: tuple[str, ...] = (),
    created: dt.datetime | None = None,
    merged_at: dt.datetime | None = None,
    merge_sha: str = MERGE,
    branch: str = f"promoter/guestbook/{ID}/0-0",
) -> PullRequest:
    """A PR; by default promoter's own for stage 0, item 0 (its marker in the body)."""
    text = body if body is not None else f"Promotes.\n\n{(owner or marker()).render()}"
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


def observed(deployed: bool | Deployed = True, **kwargs: Any) -> Observed:
    """An Application's status; ``deployed`` True: its operation is at the merge and carries the edit."""
    if isinstance(deployed, bool):
        deployed = Deployed.CARRIES_EDIT if deployed else Deployed.NOT_YET
    revision = MERGE if deployed is not Deployed.NOT_YET else None
    return Observed(status(**kwargs), revision, deployed)


def dataclass_replace(value: Any, **fields: Any) -> Any:
    return dataclasses.replace(value, **fields)
