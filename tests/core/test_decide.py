"""The decision core as a truth table: (promotion, its stage's records, observations) -> actions.

Rows are named for the rule they pin down; the pipeline has a rolling staging (soak 30s) and a canary prod on
Istio weights (canary, 20%, pause 1m, 50%, pause until promoted, stable, reset, scale down).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from promoter.core import edits, markers, texts
from promoter.core import plan as plans
from promoter.core.actions import (
    Comment,
    Decision,
    Label,
    MergePR,
    OpenRevertPR,
    OpenStepPR,
    Record,
    RefreshApps,
    SetStatus,
    StatusState,
)
from promoter.core.appstatus import Health, OperationPhase, SyncStatus
from promoter.core.commands import Command, CommandKind
from promoter.core.decide import decide
from promoter.core.markers import Kind, Outcome
from promoter.core.model import (
    EventKind,
    MergePolicy,
    Phase,
    Pipeline,
    Promotion,
    branch_name,
    promotion_id,
    revert_branch_name,
)
from promoter.core.resources import Found, Located
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateState, StageState
from promoter.core.snapshot import Preflight, Snapshot, Unobserved
from promoter.core.strategies import ResourceRef
from promoter.core.verification import Observed
from tests.core.builders import (
    BG_FACTS,
    BG_PIPELINE,
    FILES,
    ID,
    MERGE,
    PIPELINE,
    SERVICE,
    STAGING_FILE,
    VS,
    at,
    change,
    gate,
    key,
    marker,
    observed,
    plan_of,
    pr,
    promotion,
    snap,
    stage_run,
)

STAGING = "guestbook-staging"
PROD = ("guestbook-prod", "guestbook-prod-eu")


def carried(pipeline: Pipeline, stage: int, upto: int, facts: Facts | None = None) -> dict[ResourceRef, Located]:
    """The stage's files as they are once its changes before item ``upto`` are merged."""
    walked = plan_of(pipeline, stage, facts)
    current = dict(FILES)
    for item in walked.items[:upto]:
        if isinstance(item, plans.Change):
            written = edits.apply_all(item.edits, {edits.ref(e): current[edits.ref(e)] for e in item.edits})  # type: ignore[misc]
            current = {
                ref: Found(f.path, written.get(f.path, f.text), f.doc) if isinstance(f, Found) else f
                for ref, f in current.items()
            }
    return current  # type: ignore[return-value]


STAGING_DEPLOYED = {MERGE: carried(PIPELINE, 0, 1)}
UNDONE = {MERGE: dict(FILES)}  # the synced revision holds the files as they were before the change


def apps(*names: str, **kwargs: object) -> dict[str, Observed]:
    return {name: observed(**kwargs) for name in (names or (STAGING,))}  # type: ignore[arg-type]


def kinds(decision: Decision) -> list[str]:
    return [type(a).__name__ for a in decision.actions]


def recorded(decision: Decision) -> Record:
    found = [a for a in decision.actions if isinstance(a, Record)]
    assert len(found) == 1, kinds(decision)
    return found[0]


Check = Callable[[Decision], None]


def expect(
    *names: str,
    run: ChangeState | GateState | None = None,
    stage: StageState | None = None,
    moved_to: Phase | None = None,
    step: int | None = None,
    events: tuple[EventKind, ...] = (),
) -> Check:
    def check(decision: Decision) -> None:
        assert kinds(decision) == list(names)
        if not names:
            return
        changes = next((a.changes for a in decision.actions if isinstance(a, Record)), None)
        if run is not None:
            assert changes is not None and changes.runs[-1].state is run
        if stage is not None:
            assert changes is not None and changes.stage is not None and changes.stage.state is stage
        if moved_to is not None:
            assert changes is not None and changes.promotion is not None and changes.promotion.phase is moved_to
        if step is not None:
            assert changes is not None and changes.promotion is not None and changes.promotion.step == step
        for kind in events:
            assert changes is not None and kind in [e.kind for e in changes.events], [e.kind for e in changes.events]

    return check


merged = change(ChangeState.MERGED)
healthy_since = dataclasses.replace(merged, healthy_since=at(20))
done = change(ChangeState.DONE, verified_at=at(30))
soak = gate(1, started_at=at(30))
lost = gate(1, started_at=at(30), unverified_since=at(40))
DOWN = Observed.unobservable("Argo CD application 'guestbook-staging': GET ... timed out")
REFUSED = Observed.unobservable("Argo CD application 'guestbook-staging': 401 (check the token)", permanent=True)
SELF_HEAL = {"phase": OperationPhase.RUNNING, "finished": None, "health": Health.DEGRADED}
STRANGER = marker(promotion_id="1.5.0-9")  # another promotion's marker on the same branch name
PROD_MARKER = marker(stage=1, step=1)
CMD = "cli:alice"


def command(kind: CommandKind, number: int = 1) -> Command:
    return Command(number, "guestbook", ID, kind, CMD, at(0))


def prod(now: float, *runs: object, upto: int | None = None, **fields: object) -> Snapshot:
    """A snapshot in the canary prod stage (stage 1); ``upto``: its changes before that item are deployed."""
    deployed = {MERGE: carried(PIPELINE, 1, upto)} if upto is not None else {}
    record = fields.pop("stage", stage_run(1))
    return snap(now, *runs, stage=record, stage_index=1, deployed=deployed, **fields)  # type: ignore[arg-type]


# the prod canary's merged changes so far, for rows in the middle of it
canary_done = change(ChangeState.DONE, 0, 1, verified_at=at(30))
weight_merged = change(ChangeState.MERGED, 1, 1, pr_number=8)

CASES: dict[str, tuple[Promotion, Snapshot, Check]] = {
    # Pending: the version, the hold and the preflight of every stage come before anything is pushed
    "pending waits for the preflight": (promotion(Phase.PENDING), Snapshot(at(0)), expect()),
    "pending starts when every stage passed the preflight": (
        promotion(Phase.PENDING),
        Snapshot(at(0), preflight=Preflight()),
        expect("Record", moved_to=Phase.PROGRESSING, events=(EventKind.PROMOTION_STARTED,)),
    ),
    "pending held version is refused": (
        promotion(Phase.PENDING),
        Snapshot(at(0), held=True),
        expect("Record", moved_to=Phase.ABORTED, events=(EventKind.PROMOTION_REFUSED,)),
    ),
    "pending empty version is refused": (
        dataclasses.replace(promotion(Phase.PENDING), version=""),
        Snapshot(at(0), preflight=Preflight()),
        expect("Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_REFUSED,)),
    ),
    "pending preflight problem in a later stage refuses before any push": (
        promotion(Phase.PENDING),
        Snapshot(at(0), preflight=Preflight(("prod: envs/prod/deploy.yaml: not found",))),
        expect("Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_REFUSED,)),
    ),
    # a stage starts by reading its facts (none for rolling) and recording them
    "stage starts with its facts": (
        promotion(stage=1),
        Snapshot(at(0), found=FILES),
        expect("Record", stage=StageState.RUNNING, events=(EventKind.STAGE_STARTED,)),
    ),
    "stage waits for its facts to be read": (promotion(stage=1), Snapshot(at(0)), expect()),
    "stage whose workload is missing cannot start": (
        promotion(stage=1),
        Snapshot(
            at(0), found={**FILES, plans.fact_refs(PIPELINE.stage(1))[0]: "no Deployment/guestbook-canary on main"}
        ),
        expect("Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_FAILED,)),
    ),
    "rolling stage starts without facts": (
        promotion(),
        Snapshot(at(0)),
        expect("Record", stage=StageState.RUNNING, events=(EventKind.STAGE_STARTED,)),
    ),
    "a stage does not start while paused": (promotion(paused=True), Snapshot(at(0)), expect()),
    # a change: Planned
    "planned waits for its resources to be read": (promotion(), snap(0, found={}), expect()),
    "planned opens the PR": (promotion(), snap(0), expect("OpenStepPR")),
    "planned with nothing to change is done": (
        promotion(),
        snap(0, found={STAGING_FILE: Found("envs/staging/deploy.yaml", "image: ghcr.io/acme/guestbook:1.5.0\n")}),
        expect("Record", run=ChangeState.DONE, events=(EventKind.STEP_SKIPPED,)),
    ),
    "planned whose resource is gone fails before anything is merged": (
        promotion(),
        snap(0, found={STAGING_FILE: "envs/staging/deploy.yaml: not found on the base branch"}),
        expect("Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_FAILED,)),
    ),
    "planned edit refused fails without revert": (
        promotion(),
        snap(0, found={STAGING_FILE: Found("envs/staging/deploy.yaml", "replicas: 1\n")}),
        expect("Record", moved_to=Phase.FAILED),
    ),
    "planned edit refused mid-canary reverts the stage": (
        promotion(stage=1, step=1),
        prod(0, canary_done, found={**FILES, VS: "no VirtualService/guestbook on main"}),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING, events=(EventKind.STEP_FAILED,)),
    ),
    "planned adopts its own open PR (crash after opening)": (
        promotion(),
        snap(0, pr=pr()),
        expect("Record", run=ChangeState.OPEN, events=(EventKind.STEP_PR_OPENED,)),
    ),
    "planned adopts its own merged PR": (
        promotion(),
        snap(0, pr=pr(state="closed", merged=True)),
        expect("Record", "RefreshApps", run=ChangeState.MERGED, events=(EventKind.STEP_MERGED,)),
    ),
    "planned never adopts another promotion's PR on its branch": (
        promotion(),
        snap(0, pr=pr(state="closed", merged=True, owner=STRANGER)),
        expect("Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_FAILED,)),
    ),
    "planned never adopts a PR without a marker": (
        promotion(),
        snap(0, pr=pr(body="a person's PR")),
        expect("Record", moved_to=Phase.FAILED),
    ),
    "planned PR closed by a person aborts": (
        promotion(),
        snap(0, pr=pr(state="closed")),
        expect("Label", "Comment", "Record", moved_to=Phase.ABORTED, events=(EventKind.PROMOTION_ABORTED,)),
    ),
    "planned with GitHub down waits": (
        promotion(),
        snap(0, pr=Unobserved("GitHub 502", retry_after=dt.timedelta(seconds=7))),
        expect("Record"),
    ),
    "planned push failure fails": (
        promotion(),
        snap(0, failure="protected branch"),
        expect("Record", moved_to=Phase.FAILED),
    ),
    "planned does not push while paused": (promotion(paused=True), snap(0), expect("Record")),
    # a change: Open
    "open not observed waits": (promotion(), snap(0, change(ChangeState.OPEN)), expect()),
    "open auto-merges": (promotion(), snap(0, change(ChangeState.OPEN), pr=pr()), expect("MergePR")),
    "open waits for the first change's approvals": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1), pr=pr(owner=marker(stage=1))),
        expect("SetStatus", "Record"),
    ),
    "open waiting again says nothing new": (
        promotion(stage=1, reason="prod, 1/8 canary 1.5.0: #7 waits for 1 more approval(s)"),
        prod(0, change(ChangeState.OPEN, 0, 1), pr=pr(owner=marker(stage=1))),
        expect(),
    ),
    "open approved merges": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1), pr=pr(owner=marker(stage=1)), approvals=frozenset({"alice"})),
        expect("MergePR"),
    ),
    "open approved by an operator's promote merges": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1, approved_by=CMD), pr=pr(owner=marker(stage=1))),
        expect("MergePR"),
    ),
    "open later change of the stage merges at once": (
        promotion(stage=1, step=1),
        prod(0, canary_done, change(ChangeState.OPEN, 1, 1, pr_number=8), pr=pr(8, owner=PROD_MARKER)),
        expect("MergePR"),
    ),
    "open does not merge while paused": (
        promotion(paused=True),
        snap(0, change(ChangeState.OPEN), pr=pr()),
        expect("Record"),
    ),
    # Merged at once: the PR's one status comment will be its verdict.
    "open merged records and refreshes": (
        promotion(),
        snap(0, change(ChangeState.OPEN), pr=pr(state="closed", merged=True)),
        expect("Record", "RefreshApps", run=ChangeState.MERGED, events=(EventKind.STEP_MERGED,)),
    ),
    # Approved by people: they are told what it waits for now.
    "open approved and merged says what it waits for": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1), pr=pr(state="closed", merged=True, owner=marker(stage=1))),
        expect("Comment", "Record", "RefreshApps", run=ChangeState.MERGED, events=(EventKind.STEP_MERGED,)),
    ),
    "open PR replaced by a stranger's is never merged": (
        promotion(),
        snap(0, change(ChangeState.OPEN), pr=pr(8, owner=STRANGER), last_pr=7),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    "open closed by a person aborts": (
        promotion(),
        snap(0, change(ChangeState.OPEN), pr=pr(state="closed")),
        expect("Label", "Comment", "Record", moved_to=Phase.ABORTED),
    ),
    "open closed by a person mid-canary reverts the stage": (
        promotion(stage=1, step=1),
        prod(0, canary_done, change(ChangeState.OPEN, 1, 1, pr_number=8), pr=pr(8, "closed", owner=PROD_MARKER)),
        expect("Comment", "SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "open merge refused fails": (
        promotion(),
        snap(0, change(ChangeState.OPEN), pr=pr(), failure="not mergeable", last_pr=7),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    # a change: Merged, verified only within the deadline, on fresh evidence and on content
    "merged not observed records why (the deadline still counts)": (promotion(), snap(5, merged), expect("Record")),
    "merged waiting records why": (
        promotion(),
        snap(5, merged, apps=apps(deployed=False)),
        expect("Record"),
    ),
    "merged waiting, same reason, says nothing": (
        promotion(reason="staging, 1/2 version 1.5.0: guestbook-staging: not yet synced to the merged commit"),
        snap(5, merged, apps=apps(deployed=False)),
        expect(),
    ),
    "merged healthy starts the debounce": (
        promotion(),
        snap(20, merged, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "merged healthy within the debounce waits": (
        promotion(),
        snap(22, healthy_since, apps=apps(), deployed=STAGING_DEPLOYED),
        expect(),
    ),
    "merged healthy after the debounce verifies": (
        promotion(),
        snap(26, healthy_since, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", run=ChangeState.DONE, events=(EventKind.STEP_VERIFIED,)),
    ),
    "merged flapping resets the debounce": (
        promotion(),
        snap(22, healthy_since, apps=apps(health=Health.PROGRESSING), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "merged degraded fails": (
        promotion(),
        snap(30, merged, apps=apps(health=Health.DEGRADED), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING, events=(EventKind.STEP_FAILED,)),
    ),
    "merged sync failed fails": (
        promotion(),
        snap(30, merged, apps=apps(phase=OperationPhase.FAILED), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged edit undone by a later commit fails": (
        promotion(),
        snap(30, merged, apps=apps(), deployed=UNDONE),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged resource gone at the synced revision fails": (
        promotion(),
        snap(30, merged, apps=apps(), deployed={MERGE: {STAGING_FILE: "not found"}}),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged degraded before the sync reached the merge waits (a fix rolling forward)": (
        promotion(),
        snap(30, merged, apps=apps(deployed=False, health=Health.DEGRADED)),
        expect("Record"),
    ),
    "merged first change degraded while its sync runs waits": (
        promotion(),
        snap(30, merged, apps=apps(**SELF_HEAL), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "merged later change degraded while its sync runs fails": (
        promotion(stage=1, step=1),
        prod(30, canary_done, weight_merged, apps=apps(*PROD, **SELF_HEAL), upto=2),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged past the deadline fails": (
        promotion(),
        snap(301, merged, apps=apps(deployed=False)),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged healthy seen first after the deadline fails": (
        promotion(),
        snap(301, merged, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING, events=(EventKind.STEP_FAILED,)),
    ),
    "merged debounce completing after the deadline fails": (
        promotion(),
        snap(301, dataclasses.replace(merged, healthy_since=at(298)), apps=apps(), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged with Argo CD down waits before the deadline": (
        promotion(),
        snap(60, merged, apps={STAGING: DOWN}),
        expect("Record"),
    ),
    "merged with Argo CD down fails at the deadline (the revert needs only git and the forge)": (
        promotion(),
        snap(301, merged, apps={STAGING: DOWN}),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "merged refused token is told on the PR": (
        promotion(),
        snap(60, merged, apps={STAGING: REFUSED}),
        expect("Comment", "Record", events=(EventKind.STEP_BLOCKED,)),
    ),
    "merged refused token already told says nothing new": (
        promotion(reason=f"staging, 1/2 version 1.5.0: guestbook-staging: not observed: {REFUSED.error}"),
        snap(61, dataclasses.replace(merged, blocked=f"{STAGING}: {REFUSED.error}"), apps={STAGING: REFUSED}),
        expect(),
    ),
    "merged refused token fixed is told on the PR": (
        promotion(),
        snap(61, dataclasses.replace(merged, blocked=f"{STAGING}: {REFUSED.error}"), apps=apps(deployed=False)),
        expect("Comment", "Record", events=(EventKind.STEP_UNBLOCKED,)),
    ),
    "merged suspended waits": (
        promotion(),
        snap(30, merged, apps=apps(health=Health.SUSPENDED), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "done moves to the next item": (promotion(), snap(0, done), expect("Record", step=1)),
    "done does not move while paused": (promotion(paused=True), snap(0, done), expect()),
    # a gate: its timer runs while the stage stays verified
    "gate starts its timer": (
        promotion(step=1),
        snap(30, done),
        expect("Record", run=GateState.WAITING, events=(EventKind.GATE_STARTED,)),
    ),
    "gate soaks": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(), deployed=STAGING_DEPLOYED),
        expect(),
    ),
    "gate over passes": (
        promotion(step=1),
        snap(61, done, soak, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("Record", run=GateState.PASSED, events=(EventKind.GATE_PASSED,)),
    ),
    "gate over does not pass while paused": (
        promotion(step=1, paused=True),
        snap(61, done, soak, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "gate passed moves on (here: the stage is done)": (
        promotion(step=1),
        snap(61, done, gate(1, state=GateState.PASSED)),
        expect("Record", events=(EventKind.STAGE_DONE,)),
    ),
    "gate soak over but not observed loses the verification": (
        promotion(step=1),
        snap(61, done, soak),
        expect("SetStatus", "Comment", "Record", events=(EventKind.GATE_UNVERIFIED,)),
    ),
    "gate degraded fails the stage": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(health=Health.DEGRADED), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "gate degraded during a self-heal re-sync fails the stage": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(**SELF_HEAL), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "gate degraded before health was re-checked fails the stage": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(health=Health.DEGRADED, reconciled=at(9)), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "gate edit undone fails the stage": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(), deployed=UNDONE),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    **{
        f"gate turning {name} loses the verification": (
            promotion(step=1),
            snap(40, done, soak, apps={STAGING: app}, deployed=STAGING_DEPLOYED),
            expect("SetStatus", "Comment", "Record", events=(EventKind.GATE_UNVERIFIED,)),
        )
        for name, app in {
            "Progressing": observed(health=Health.PROGRESSING),
            "OutOfSync": observed(sync=SyncStatus.OUT_OF_SYNC),
            "Unknown": observed(health=Health.UNKNOWN, sync=SyncStatus.UNKNOWN),
            "Missing": observed(health=Health.MISSING),
            "re-syncing": observed(phase=OperationPhase.RUNNING, finished=None),
            "unobservable (Argo CD down)": DOWN,
        }.items()
    },
    "gate unverified within the deadline waits": (
        promotion(step=1),
        snap(100, done, lost, apps=apps(health=Health.PROGRESSING), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "gate unverified past its deadline fails the stage": (
        promotion(step=1),
        snap(341, done, lost, apps=apps(health=Health.PROGRESSING), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "gate verified again starts the debounce": (
        promotion(step=1),
        snap(100, done, lost, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("Record"),
    ),
    "gate verified again within the debounce waits": (
        promotion(step=1),
        snap(103, done, dataclasses.replace(lost, healthy_since=at(100)), apps=apps(), deployed=STAGING_DEPLOYED),
        expect(),
    ),
    "gate verified again after the debounce restarts its timer": (
        promotion(step=1),
        snap(106, done, dataclasses.replace(lost, healthy_since=at(100)), apps=apps(), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", run=GateState.WAITING, events=(EventKind.GATE_REVERIFIED,)),
    ),
    "gate verified again only after its deadline fails the stage": (
        promotion(step=1),
        snap(341, done, lost, apps=apps(), deployed=STAGING_DEPLOYED),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING),
    ),
    "gate after a skipped change runs on its timer alone": (
        promotion(step=1),
        snap(61, ChangeRun(key(0), ChangeState.DONE, skipped=True), soak),
        expect("Record", run=GateState.PASSED),
    ),
    "gate until promoted waits for a person": (
        promotion(stage=1, step=4),
        prod(
            200,
            canary_done,
            change(ChangeState.DONE, 1, 1),
            gate(2, 1, GateState.PASSED),
            change(ChangeState.DONE, 3, 1),
            gate(4, 1),
            apps=apps(*PROD),
            upto=4,
        ),
        expect("Record"),
    ),
    # the stage done: the next stage, or the promotion succeeded (labelled on its last PR)
    "stage done moves to the next stage": (
        promotion(step=2),
        snap(0, done, gate(1, state=GateState.PASSED)),
        expect("Record", events=(EventKind.STAGE_DONE,)),
    ),
    "last stage done succeeds and labels its last PR": (
        promotion(stage=1, step=8),
        prod(0, last_pr=12),
        expect("Label", "Record", moved_to=Phase.SUCCEEDED, events=(EventKind.PROMOTION_SUCCEEDED,)),
    ),
    "last stage done with no PR at all succeeds": (
        promotion(stage=1, step=8),
        prod(0),
        expect("Record", moved_to=Phase.SUCCEEDED),
    ),
    "a stage is not left while paused": (promotion(step=2, paused=True), snap(0, done), expect()),
    # reverting the stage: one revert PR for every merged change, newest first
    "reverting opens the revert PR": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING, failure="Degraded")),
        expect("OpenRevertPR"),
    ),
    "reverting records the revert PR and merges it at once": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING), revert_pr=pr(9, owner=marker(kind=Kind.REVERT))),
        expect("Record", "MergePR", events=(EventKind.REVERT_PR_OPENED,)),
    ),
    "reverting merges a known revert PR": (
        promotion(),
        snap(
            0,
            done,
            stage=stage_run(state=StageState.REVERTING, revert_pr_number=9),
            revert_pr=pr(9, owner=marker(kind=Kind.REVERT)),
        ),
        expect("MergePR"),
    ),
    "reverting never merges a stranger's PR on the revert branch": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING), revert_pr=pr(9, owner=STRANGER)),
        expect("Record", stage=StageState.STUCK, events=(EventKind.REVERT_STUCK,)),
    ),
    "reverting with GitHub down waits": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING), revert_pr=Unobserved("GitHub 502")),
        expect("Record"),
    ),
    "reverting merged refreshes": (
        promotion(),
        snap(
            0,
            done,
            stage=stage_run(state=StageState.REVERTING),
            revert_pr=pr(9, "closed", True, owner=marker(kind=Kind.REVERT)),
        ),
        expect("Record", "RefreshApps", stage=StageState.REVERTED, events=(EventKind.REVERT_MERGED,)),
    ),
    "reverting conflict gets stuck and asks for help": (
        promotion(),
        snap(
            0,
            done,
            stage=stage_run(state=StageState.REVERTING),
            revert_pr=pr(9, owner=marker(kind=Kind.REVERT)),
            revert_conflicts=("a.yaml",),
        ),
        expect("Comment", "Record", stage=StageState.STUCK, events=(EventKind.REVERT_STUCK,)),
    ),
    "reverting closed by a person gets stuck": (
        promotion(),
        snap(
            0,
            done,
            stage=stage_run(state=StageState.REVERTING),
            revert_pr=pr(9, "closed", owner=marker(kind=Kind.REVERT)),
        ),
        expect("Comment", "Record", stage=StageState.STUCK),
    ),
    "reverting impossible gets stuck": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING), failure="nothing to revert"),
        expect("Record", stage=StageState.STUCK),
    ),
    "reverted fails, holds and labels the revert PR": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTED, revert_pr_number=9, failure="Degraded")),
        expect("Label", "Comment", "Record", moved_to=Phase.FAILED, events=(EventKind.PROMOTION_FAILED,)),
    ),
    "reverted after an abort ends aborted, held": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTED, revert_pr_number=9, aborted_by=CMD)),
        expect("Label", "Comment", "Record", moved_to=Phase.ABORTED, events=(EventKind.PROMOTION_ABORTED,)),
    ),
    "stuck fails, holds and labels": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.STUCK, failure="Degraded"), last_pr=7),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    "stuck without any PR fails and holds": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.STUCK, failure="Degraded")),
        expect("Record", moved_to=Phase.FAILED),
    ),
    # operators: commands are consumed in the decision that acts on them
    "pause stops forward moves": (
        promotion(),
        snap(0, commands=(command(CommandKind.PAUSE),)),
        expect("Record", events=(EventKind.PROMOTION_PAUSED,)),
    ),
    "pause when paused is refused": (
        promotion(paused=True),
        snap(0, commands=(command(CommandKind.PAUSE),)),
        expect("Record", events=(EventKind.COMMAND_REFUSED,)),
    ),
    "resume": (
        promotion(paused=True),
        snap(0, commands=(command(CommandKind.RESUME),)),
        expect("Record", events=(EventKind.PROMOTION_RESUMED,)),
    ),
    # Said on the promotion's latest PR too: a lost store must not resume a paused promotion.
    "pause labels the latest PR": (
        promotion(),
        snap(0, commands=(command(CommandKind.PAUSE),), last_pr=7),
        expect("Label", "Record", events=(EventKind.PROMOTION_PAUSED,)),
    ),
    "resume unlabels it": (
        promotion(paused=True),
        snap(0, commands=(command(CommandKind.RESUME),), last_pr=7),
        expect("Unlabel", "Record", events=(EventKind.PROMOTION_RESUMED,)),
    ),
    "promote ends a pause": (
        promotion(step=1),
        snap(40, done, soak, commands=(command(CommandKind.PROMOTE),)),
        expect("Record", run=GateState.PASSED, events=(EventKind.GATE_PASSED,)),
    ),
    "promote before the gate started is refused": (
        promotion(step=1),
        snap(40, done, commands=(command(CommandKind.PROMOTE),)),
        expect("Record", events=(EventKind.COMMAND_REFUSED,)),
    ),
    "promote stands for the first change's approvals": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1), commands=(command(CommandKind.PROMOTE),)),
        expect("Record", run=ChangeState.OPEN, events=(EventKind.GATE_PASSED,)),
    ),
    "promote at a change that needs nothing is refused": (
        promotion(),
        snap(0, change(ChangeState.MERGED), commands=(command(CommandKind.PROMOTE),)),
        expect("Record", events=(EventKind.COMMAND_REFUSED,)),
    ),
    "promote when the stage is done is refused": (
        promotion(step=2),
        snap(0, done, commands=(command(CommandKind.PROMOTE),)),
        expect("Record", events=(EventKind.COMMAND_REFUSED,)),
    ),
    "abort reverts the stage's merged changes": (
        promotion(step=1),
        snap(40, done, soak, commands=(command(CommandKind.ABORT),)),
        expect("SetStatus", "Comment", "Record", stage=StageState.REVERTING, events=(EventKind.PROMOTION_ABORTED,)),
    ),
    "abort with nothing merged ends aborted and held": (
        promotion(),
        snap(0, change(ChangeState.OPEN), commands=(command(CommandKind.ABORT),)),
        expect("Record", moved_to=Phase.ABORTED, events=(EventKind.PROMOTION_ABORTED,)),
    ),
    "abort while reverting is refused": (
        promotion(),
        snap(0, done, stage=stage_run(state=StageState.REVERTING), commands=(command(CommandKind.ABORT),)),
        expect("Record", events=(EventKind.COMMAND_REFUSED,)),
    ),
    # finished
    "succeeded does nothing": (promotion(Phase.SUCCEEDED), snap(0), expect()),
    "failed does nothing": (promotion(Phase.FAILED), snap(0), expect()),
    "aborted does nothing": (promotion(Phase.ABORTED), snap(0), expect()),
}


@pytest.mark.parametrize(("promo", "snapshot", "check"), CASES.values(), ids=CASES.keys())
def test_decide(promo: Promotion, snapshot: Snapshot, check: Check) -> None:
    check(decide(PIPELINE, promo, snapshot))


def test_a_plan_the_recorded_facts_no_longer_allow_fails_the_stage() -> None:
    facts = Facts((("Deployment/guestbook-canary (envs/prod/canary.yaml)", 0),))  # the stable's count is gone
    decision = decide(PIPELINE, promotion(stage=1), prod(0, stage=stage_run(1, facts=facts)))
    changes = recorded(decision).changes
    assert changes.promotion is not None and changes.promotion.phase is Phase.FAILED
    assert "stable workload" in changes.promotion.reason


def test_a_blue_green_stage_serving_an_unknown_colour_does_not_start() -> None:
    odd = {**FILES, SERVICE: Found("envs/bg/service.yaml", FILES[SERVICE].text.replace("blue", "purple"), 0)}  # type: ignore[union-attr]
    decision = decide(BG_PIPELINE, promotion(), Snapshot(at(0), found=odd))
    changes = recorded(decision).changes
    assert changes.promotion is not None and changes.promotion.phase is Phase.FAILED
    assert "cannot start" in changes.promotion.reason and "purple" in changes.promotion.reason


def test_a_blue_green_stage_starts_with_the_colour_it_serves() -> None:
    decision = decide(BG_PIPELINE, promotion(), Snapshot(at(0), found=FILES))
    stage = recorded(decision).changes.stage
    assert stage is not None and stage.facts == BG_FACTS


def test_an_edit_that_cannot_apply_at_the_synced_revision_is_undone() -> None:
    elsewhere = {MERGE: {STAGING_FILE: Found("envs/staging/deploy.yaml", "replicas: 1\n")}}
    decision = decide(PIPELINE, promotion(), snap(30, merged, apps=apps(), deployed=elsewhere))
    assert recorded(decision).changes.stage.state is StageState.REVERTING  # type: ignore[union-attr]


def test_commands_together_in_one_decision() -> None:
    both = (command(CommandKind.PAUSE, 1), command(CommandKind.ABORT, 2), command(CommandKind.ABORT, 3))
    decision = decide(PIPELINE, promotion(step=1), snap(40, done, soak, commands=both))
    changes = recorded(decision).changes
    assert changes.consumed == (1, 2, 3)
    assert changes.promotion is not None and changes.promotion.paused
    assert changes.stage is not None and changes.stage.aborted_by == CMD


@pytest.mark.parametrize(
    "run",
    [change(ChangeState.PLANNED, 0, 1), change(ChangeState.OPEN, 0, 1, approved_by="cli:bob")],
    ids=["before its PR", "approved already"],
)
def test_promote_at_the_first_change_only_stands_for_approvals_not_given(run: ChangeRun) -> None:
    decision = decide(PIPELINE, promotion(stage=1), prod(0, run, commands=(command(CommandKind.PROMOTE),)))
    assert [e.kind for e in recorded(decision).changes.events] == [EventKind.COMMAND_REFUSED]


def test_open_step_pr_is_deterministic() -> None:
    decision = decide(PIPELINE, promotion(), snap(0))
    (action,) = decision.actions
    assert isinstance(action, OpenStepPR)
    assert action.branch == f"promoter/guestbook/{ID}/0-0" == branch_name("guestbook", action.key)
    assert action.base_sha == "b" * 40
    assert [c.path for c in action.changes] == ["envs/staging/deploy.yaml"]
    assert action.changes[0].text == "# staging\nimage: ghcr.io/acme/guestbook:1.5.0\n"
    assert ("Promoter-Step", "0-0") in action.trailers and ("Promoter-Version", "1.5.0") in action.trailers
    assert markers.parse(action.body) == marker()
    assert "- [ ] **staging**" in action.body and "← this PR" in action.body
    assert action.title == "promoter: guestbook 1.5.0 to staging"
    assert decision == decide(PIPELINE, promotion(), snap(0))  # same input, same output


def test_a_canary_change_carries_the_stage_facts_in_its_marker() -> None:
    decision = decide(PIPELINE, promotion(stage=1), prod(0))
    (action,) = decision.actions
    assert isinstance(action, OpenStepPR)
    found = markers.parse(action.body)
    assert found is not None and Facts.from_json(found.facts) == stage_run(1).facts
    assert action.title == "promoter: guestbook 1.5.0 to prod: canary 1.5.0"
    assert {c.path for c in action.changes} == {"envs/prod/canary.yaml"}


def test_failure_records_the_evidence() -> None:
    degraded = apps(health=Health.DEGRADED, message="CrashLoopBackOff")
    decision = decide(PIPELINE, promotion(), snap(30, merged, apps=degraded, deployed=STAGING_DEPLOYED))
    (event,) = recorded(decision).changes.events
    assert event.evidence["merge_sha"] == MERGE and event.evidence["merges"] == [MERGE]
    assert "CrashLoopBackOff" in str(event.evidence["apps"])
    status = next(a for a in decision.actions if isinstance(a, SetStatus))
    assert status.state is StatusState.FAILURE
    comment = next(a for a in decision.actions if isinstance(a, Comment))
    assert "CrashLoopBackOff" in comment.body
    assert comment.marker == marker().status()  # this change's own status comment, not any promoter comment


@pytest.mark.parametrize(
    "apps_seen",
    [
        pytest.param(apps(health=Health.DEGRADED), id="fails in the gate"),
        pytest.param(apps(health=Health.PROGRESSING), id="loses its verification in the gate"),
    ],
)
def test_news_of_a_gate_edits_the_status_comment_of_the_pr_it_is_about(apps_seen: dict[str, Observed]) -> None:
    decision = decide(PIPELINE, promotion(step=1), snap(40, done, soak, apps=apps_seen, deployed=STAGING_DEPLOYED))
    comment = next(a for a in decision.actions if isinstance(a, Comment))
    assert comment.number == 7
    assert comment.marker == marker().status()  # item 0's (the PR's), not the gate's: one comment per PR


def test_a_failure_while_argocd_is_down_names_the_outage() -> None:
    decision = decide(PIPELINE, promotion(), snap(301, merged, apps={STAGING: DOWN}))
    reason = recorded(decision).changes.stage.failure or ""  # type: ignore[union-attr]
    assert "not verified within 0:05:00" in reason and "timed out" in reason


def test_the_stage_revert_undoes_every_merge_newest_first() -> None:
    later = change(ChangeState.MERGED, 1, 1, merge_sha="n" * 40, pr_number=8)
    decision = decide(
        PIPELINE, promotion(stage=1, step=1), prod(0, canary_done, later, stage=stage_run(1, StageState.REVERTING))
    )
    (action,) = decision.actions
    assert isinstance(action, OpenRevertPR)
    assert action.merge_shas == ("n" * 40, MERGE)
    assert action.branch == revert_branch_name("guestbook", ID, 1) == f"promoter/guestbook/{ID}/1-revert"
    assert "revert" in action.labels
    assert markers.parse(action.body) == dataclasses.replace(marker(1, Kind.REVERT), step=1)
    assert ("Promoter-Step", "1-revert") in action.trailers
    assert "#8" in action.body and "#7" in action.body


def test_reverted_puts_the_version_on_hold_and_says_so_on_the_forge() -> None:
    decision = decide(
        PIPELINE, promotion(), snap(0, done, stage=stage_run(state=StageState.REVERTED, revert_pr_number=9))
    )
    (hold,) = recorded(decision).changes.holds
    assert (hold.pipeline, hold.version) == ("guestbook", "1.5.0")
    label = next(a for a in decision.actions if isinstance(a, Label))
    assert label.number == 9
    assert set(label.names) == {markers.HELD, markers.Outcome.FAILED.value}
    assert kinds(decision)[-1] == "Record"  # the forge hears of it before the store records it


def test_merge_uses_the_stage_policy() -> None:
    (action,) = decide(PIPELINE, promotion(), snap(0, change(ChangeState.OPEN), pr=pr())).actions
    assert isinstance(action, MergePR)
    assert (action.number, action.method.value) == (7, "merge")


def test_merge_deadline_counts_from_the_merge_itself() -> None:
    merged_long_ago = pr(state="closed", merged=True, merged_at=at(-100))
    decision = decide(PIPELINE, promotion(), snap(0, change(ChangeState.OPEN), pr=merged_long_ago))
    (run,) = recorded(decision).changes.runs
    assert isinstance(run, ChangeRun) and run.merged_at == at(-100)


def test_refresh_names_every_application_of_the_stage() -> None:
    opened = change(ChangeState.OPEN, 0, 1)
    decision = decide(
        PIPELINE, promotion(stage=1), prod(0, opened, pr=pr(state="closed", merged=True, owner=marker(1)))
    )
    refresh = next(a for a in decision.actions if isinstance(a, RefreshApps))
    assert refresh.names == PROD


def test_a_foreign_pr_is_named_in_the_reason() -> None:
    decision = decide(PIPELINE, promotion(), snap(0, pr=pr(owner=STRANGER)))
    moved = recorded(decision).changes.promotion
    assert moved is not None
    assert f"guestbook/{STRANGER.promotion}" in moved.reason and "never adopts" in moved.reason
    assert not any(isinstance(a, Comment | Label) for a in decision.actions)  # nothing is written on a stranger's PR


WAKES: dict[str, tuple[Promotion, Snapshot, float | None]] = {
    "just merged: in a second": (promotion(), snap(1, merged, apps=apps(deployed=False)), 2),
    "merged a while ago: a quarter of the wait": (promotion(), snap(40, merged, apps=apps(deployed=False)), 50),
    "merged long ago: a minute at most": (promotion(), snap(250, merged, apps=apps(deployed=False)), 300.05),
    "Argo CD asked to come back sooner": (
        promotion(),
        snap(40, merged, apps={STAGING: Observed.unobservable("429", retry_after=dt.timedelta(seconds=2))}),
        42,
    ),
    "the debounce's end": (promotion(), snap(20, merged, apps=apps(), deployed=STAGING_DEPLOYED), 25),
    "soaking: looked at while it runs (a quarter of the time so far)": (
        promotion(step=1),
        snap(40, done, soak, apps=apps(), deployed=STAGING_DEPLOYED),
        42.5,
    ),
    "soaking: at the soak's end": (promotion(step=1), snap(59, done, soak, apps=apps(), deployed=STAGING_DEPLOYED), 60),
    "an outage of the forge: when it said": (
        promotion(),
        snap(0, pr=Unobserved("GitHub 403 secondary rate limit", retry_after=dt.timedelta(seconds=30))),
        30,
    ),
    "waiting for a person: the interval": (
        promotion(stage=1),
        prod(0, change(ChangeState.OPEN, 0, 1), pr=pr(owner=marker(1))),
        None,
    ),
}


@pytest.mark.parametrize(("promo", "snapshot", "due"), WAKES.values(), ids=WAKES.keys())
def test_when_to_look_again(promo: Promotion, snapshot: Snapshot, due: float | None) -> None:
    assert decide(PIPELINE, promo, snapshot).wake_at == (at(due) if due is not None else None)


def test_model_and_text_helpers() -> None:
    assert Phase.SUCCEEDED.finished and not Phase.PROGRESSING.finished
    assert pr().open and not pr(state="closed").open
    assert pr(state="closed").closed_unmerged and not pr(state="closed", merged=True).closed_unmerged
    assert change().deadline(dt.timedelta(minutes=1)) is None and gate(1).deadline(dt.timedelta(1)) is None
    assert texts.commit_message("title", "body") == "title\n\nbody"
    assert texts.moment(at(0)) == "2026-11-21 12:00:00 UTC"
    assert promotion_id("1.5.0", at(0), 7).startswith("1.5.0-")


# The promotion's last change, merged as it opens, gets the pipeline's labels with its outcome (one request).
ONLY_STAGING = dataclasses.replace(PIPELINE, stages=(PIPELINE.stage(0),))
WITH_APPROVALS = dataclasses.replace(
    PIPELINE, stages=(dataclasses.replace(PIPELINE.stage(0), merge=MergePolicy(approvals=1)),)
)


@pytest.mark.parametrize(
    ("pipeline", "labels"),
    [(PIPELINE, ("promoter",)), (ONLY_STAGING, ()), (WITH_APPROVALS, ("promoter",))],
    ids=["not the last stage", "the last change, merged at once", "the last change, awaiting an approval"],
)
def test_the_pipelines_labels_at_open_unless_they_come_with_the_outcome(
    pipeline: Pipeline, labels: tuple[str, ...]
) -> None:
    (action,) = decide(pipeline, promotion(), snap(0)).actions
    assert isinstance(action, OpenStepPR) and action.labels == labels


def test_the_outcome_label_carries_the_pipelines_labels() -> None:
    decision = decide(PIPELINE, promotion(stage=1, step=8), prod(0, last_pr=12))
    label = next(a for a in decision.actions if isinstance(a, Label))
    assert label == Label(12, ("promoter", Outcome.SUCCEEDED.value))


def test_a_failing_last_change_labels_its_pr_with_the_pipelines_labels() -> None:
    degraded = apps(health=Health.DEGRADED, message="CrashLoopBackOff")
    decision = decide(ONLY_STAGING, promotion(), snap(30, merged, apps=degraded, deployed=STAGING_DEPLOYED))
    assert [a for a in decision.actions if isinstance(a, Label)] == [Label(7, ("promoter",))]
