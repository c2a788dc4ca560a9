"""The decision core as a truth table: (promotion, step, observations) -> actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from promoter.core import markers, texts
from promoter.core.actions import (
    Action,
    Comment,
    FileChange,
    Label,
    MergePR,
    OpenRevertPR,
    OpenStepPR,
    Record,
    RefreshApps,
    SetStatus,
)
from promoter.core.appstatus import Health, OperationPhase, SyncStatus
from promoter.core.decide import decide
from promoter.core.markers import Kind
from promoter.core.model import Phase, Promotion, StepState, branch_name, promotion_id, revert_branch_name
from promoter.core.snapshot import Preflight, Proposal, Snapshot
from promoter.core.verification import Deployed, Observed
from tests.core.builders import MERGE, PIPELINE, at, marker, observed, pr, promotion, step

CHANGE = (FileChange("envs/staging/deploy.yaml", "image: ghcr.io/acme/guestbook:1.5.0\n"),)


def kinds(actions: tuple[Action, ...]) -> list[str]:
    return [type(a).__name__ for a in actions]


def recorded(actions: tuple[Action, ...]) -> Record:
    records = [a for a in actions if isinstance(a, Record)]
    assert len(records) == 1
    return records[0]


def step_state(actions: tuple[Action, ...]) -> StepState | None:
    steps = recorded(actions).changes.steps
    return steps[0].state if steps else None


def phase(actions: tuple[Action, ...]) -> Phase | None:
    moved = recorded(actions).changes.promotion
    return moved.phase if moved else None


def event_kinds(actions: tuple[Action, ...]) -> list[str]:
    return [e.kind for e in recorded(actions).changes.events]


Check = Callable[[tuple[Action, ...]], None]


def expect(
    *names: str, state: StepState | None = None, moved_to: Phase | None = None, events: tuple[str, ...] = ()
) -> Check:
    def check(actions: tuple[Action, ...]) -> None:
        assert kinds(actions) == list(names)
        if state is not None:
            assert step_state(actions) is state
        if moved_to is not None:
            assert phase(actions) is moved_to
        for kind in events:
            assert kind in event_kinds(actions)

    return check


merged_step = step(StepState.MERGED, pr_number=7, merge_sha=MERGE, merged_at=at(0), waiting_since=at(0))
healthy_since = dataclasses.replace(merged_step, healthy_since=at(20))
verified_step = step(
    StepState.VERIFIED, pr_number=7, merge_sha=MERGE, merged_at=at(0), waiting_since=at(0), verified_at=at(30)
)
# verification lost while soaking at 400s: waiting again, the deadline (5 min) counts from there
rewaiting = dataclasses.replace(merged_step, waiting_since=at(400))
reverting = step(StepState.REVERTING, pr_number=7, merge_sha=MERGE, merged_at=at(0), failure="Degraded")
REVERT_BRANCH = "promoter/guestbook/1.5.0-1/0-0-revert"
STAGING = "guestbook-staging"
DOWN = Observed.unobservable("Argo CD application 'guestbook-staging': GET ... timed out")
REFUSED = Observed.unobservable("Argo CD application 'guestbook-staging': 401 (check the token)", permanent=True)
SELF_HEAL = observed(phase=OperationPhase.RUNNING, finished=None, health=Health.DEGRADED)
STRANGER = marker(promotion_id="1.5.0-9")  # another promotion's marker on the same branch name

CASES: dict[str, tuple[Promotion, Snapshot, Check]] = {
    # Pending: the version, the hold and the preflight of every stage come before anything is pushed
    "pending waits for the preflight": (promotion(Phase.PENDING), Snapshot(at(0), step(StepState.PLANNED)), expect()),
    "pending starts when every stage passed the preflight": (
        promotion(Phase.PENDING),
        Snapshot(at(0), step(StepState.PLANNED), preflight=Preflight()),
        expect("Record", moved_to=Phase.PROGRESSING, events=("promotion_started",)),
    ),
    "pending held version is refused": (
        promotion(Phase.PENDING),
        Snapshot(at(0), step(StepState.PLANNED), held=True),
        expect("Record", moved_to=Phase.ABORTED, events=("promotion_refused",)),
    ),
    "pending empty version is refused": (
        dataclasses.replace(promotion(Phase.PENDING), version=""),
        Snapshot(at(0), step(StepState.PLANNED), preflight=Preflight()),
        expect("Record", moved_to=Phase.FAILED, events=("promotion_refused",)),
    ),
    "pending version with shell metacharacters is refused": (
        dataclasses.replace(promotion(Phase.PENDING), version="1.0;rm -rf"),
        Snapshot(at(0), step(StepState.PLANNED), preflight=Preflight()),
        expect("Record", moved_to=Phase.FAILED, events=("promotion_refused",)),
    ),
    "pending preflight problem in a later stage refuses before any push": (
        promotion(Phase.PENDING),
        Snapshot(at(0), step(StepState.PLANNED), preflight=Preflight(("prod: envs/prod/deploy.yaml: not found",))),
        expect("Record", moved_to=Phase.FAILED, events=("promotion_refused",)),
    ),
    # Planned
    "planned waits for the proposal": (promotion(), Snapshot(at(0), step(StepState.PLANNED)), expect()),
    "planned opens the PR": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), proposal=Proposal("b" * 40, CHANGE)),
        expect("OpenStepPR"),
    ),
    "planned with nothing to change is done": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), proposal=Proposal("b" * 40, ())),
        expect("Record", state=StepState.DONE, events=("step_skipped",)),
    ),
    "planned edit error fails without revert": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), proposal=Proposal("b" * 40, (), "deploy.yaml:3: no key")),
        expect("Record", moved_to=Phase.FAILED, events=("promotion_failed",)),
    ),
    "planned edit error in a later stage labels the last PR failed": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.PLANNED, stage=1), proposal=Proposal("b" * 40, (), "gone"), last_pr=3),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    "planned adopts its own open PR (crash after opening)": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr()),
        expect("Record", state=StepState.OPEN, events=("step_pr_opened",)),
    ),
    "planned adopts its own merged PR": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(state="closed", merged=True)),
        expect("Comment", "Record", "RefreshApps", state=StepState.MERGED, events=("step_merged",)),
    ),
    "planned never adopts another promotion's PR on its branch": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(state="closed", merged=True, owner=STRANGER)),
        expect("Record", moved_to=Phase.FAILED, events=("promotion_failed",)),
    ),
    "planned never adopts a PR without a marker": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(body="a person's PR")),
        expect("Record", moved_to=Phase.FAILED),
    ),
    "planned PR closed by a person aborts": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(state="closed")),
        expect("Label", "Comment", "Record", moved_to=Phase.ABORTED, events=("promotion_aborted",)),
    ),
    "planned push failure fails": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), failure="protected branch"),
        expect("Record", moved_to=Phase.FAILED),
    ),
    # Open
    "open not observed waits": (promotion(), Snapshot(at(0), step(StepState.OPEN, pr_number=7)), expect()),
    "open auto-merges": (promotion(), Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr()), expect("MergePR")),
    "open waits for approvals": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr(branch="promoter/guestbook/1.5.0-1/1-0")),
        expect("SetStatus", "Record"),
    ),
    "open waiting again says nothing new": (
        promotion(stage=1, reason="prod: #7 waits for 1 more approval(s)"),
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr(branch="promoter/guestbook/1.5.0-1/1-0")),
        expect(),
    ),
    "open approved merges": (
        promotion(stage=1),
        Snapshot(
            at(0),
            step(StepState.OPEN, stage=1, pr_number=7),
            pr=pr(branch="promoter/guestbook/1.5.0-1/1-0"),
            approvals=frozenset({"alice"}),
        ),
        expect("MergePR"),
    ),
    "open merged records and refreshes": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(state="closed", merged=True)),
        expect("Comment", "Record", "RefreshApps", state=StepState.MERGED, events=("step_merged",)),
    ),
    "open PR replaced by a stranger's is never merged": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(8, owner=STRANGER)),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    "open closed by a person aborts": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(state="closed")),
        expect("Label", "Comment", "Record", moved_to=Phase.ABORTED),
    ),
    "open merge refused fails": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(), failure="not mergeable"),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    # Merged: verified only within the deadline, on fresh evidence
    "merged not observed records why (the deadline still counts)": (
        promotion(),
        Snapshot(at(5), merged_step),
        expect("Record"),
    ),
    "merged waiting records why": (
        promotion(),
        Snapshot(at(5), merged_step, apps={STAGING: observed(deployed=False)}),
        expect("Record"),
    ),
    "merged waiting, same reason, says nothing": (
        promotion(reason="staging: guestbook-staging: not yet synced to the merged commit"),
        Snapshot(at(5), merged_step, apps={STAGING: observed(deployed=False)}),
        expect(),
    ),
    "merged healthy starts the debounce": (
        promotion(),
        Snapshot(at(20), merged_step, apps={STAGING: observed()}),
        expect("Record"),
    ),
    "merged healthy within the debounce waits": (
        promotion(),
        Snapshot(at(22), healthy_since, apps={STAGING: observed()}),
        expect(),
    ),
    "merged healthy after the debounce verifies": (
        promotion(),
        Snapshot(at(26), healthy_since, apps={STAGING: observed()}),
        expect("SetStatus", "Comment", "Record", state=StepState.VERIFIED, events=("step_verified",)),
    ),
    "merged flapping resets the debounce": (
        promotion(),
        Snapshot(at(22), healthy_since, apps={STAGING: observed(health=Health.PROGRESSING)}),
        expect("Record"),
    ),
    "merged degraded fails": (
        promotion(),
        Snapshot(at(30), merged_step, apps={STAGING: observed(health=Health.DEGRADED)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING, events=("step_failed",)),
    ),
    "merged sync failed fails": (
        promotion(),
        Snapshot(at(30), merged_step, apps={STAGING: observed(phase=OperationPhase.FAILED)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged edit undone by a later commit fails": (
        promotion(),
        Snapshot(at(30), merged_step, apps={STAGING: observed(deployed=Deployed.EDIT_UNDONE)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged degraded before the sync reached the merge waits (a fix rolling forward)": (
        promotion(),
        Snapshot(at(30), merged_step, apps={STAGING: observed(deployed=False, health=Health.DEGRADED)}),
        expect("Record"),
    ),
    "merged past the deadline fails": (
        promotion(),
        Snapshot(at(301), merged_step, apps={STAGING: observed(deployed=False)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged healthy seen first after the deadline fails": (
        promotion(),
        Snapshot(at(301), merged_step, apps={STAGING: observed()}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING, events=("step_failed",)),
    ),
    "merged debounce completing after the deadline fails": (
        promotion(),
        Snapshot(at(301), dataclasses.replace(merged_step, healthy_since=at(298)), apps={STAGING: observed()}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged with Argo CD down waits before the deadline": (
        promotion(),
        Snapshot(at(60), merged_step, apps={STAGING: DOWN}),
        expect("Record"),
    ),
    "merged with Argo CD down fails at the deadline (the revert needs only git and the forge)": (
        promotion(),
        Snapshot(at(301), merged_step, apps={STAGING: DOWN}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged not observed at all fails at the deadline": (
        promotion(),
        Snapshot(at(301), merged_step),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged refused token is told on the PR": (
        promotion(),
        Snapshot(at(60), merged_step, apps={STAGING: REFUSED}),
        expect("Comment", "Record", events=("step_blocked",)),
    ),
    "merged refused token already told says nothing new": (
        promotion(reason=f"staging: guestbook-staging: not observed: {REFUSED.error}"),
        Snapshot(
            at(61), dataclasses.replace(merged_step, blocked=f"{STAGING}: {REFUSED.error}"), apps={STAGING: REFUSED}
        ),
        expect(),
    ),
    "merged refused token fixed is told on the PR": (
        promotion(),
        Snapshot(
            at(61),
            dataclasses.replace(merged_step, blocked=f"{STAGING}: {REFUSED.error}"),
            apps={STAGING: observed(deployed=False)},
        ),
        expect("Comment", "Record", events=("step_unblocked",)),
    ),
    "merged waiting again counts the deadline from the loss of verification": (
        promotion(),
        Snapshot(at(650), rewaiting, apps={STAGING: observed(health=Health.PROGRESSING)}),
        expect("Record"),
    ),
    "merged waiting again past its own deadline fails": (
        promotion(),
        Snapshot(at(701), rewaiting, apps={STAGING: observed(health=Health.PROGRESSING)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged waiting again: degraded during a self-heal re-sync fails": (
        promotion(),
        Snapshot(at(420), rewaiting, apps={STAGING: SELF_HEAL}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "merged suspended waits": (
        promotion(),
        Snapshot(at(30), merged_step, apps={STAGING: observed(health=Health.SUSPENDED)}),
        expect("Record"),
    ),
    # Verified: a stage is left only when its latest observation still says verified
    "verified soaks": (promotion(), Snapshot(at(40), verified_step, apps={STAGING: observed()}), expect()),
    "verified soak done": (
        promotion(),
        Snapshot(at(61), verified_step, apps={STAGING: observed()}),
        expect("Record", state=StepState.DONE, events=("step_done",)),
    ),
    "verified breaks during the soak": (
        promotion(),
        Snapshot(at(40), verified_step, apps={STAGING: observed(health=Health.DEGRADED)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "verified degraded during a self-heal re-sync fails": (
        promotion(),
        Snapshot(at(40), verified_step, apps={STAGING: SELF_HEAL}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "verified degraded before health was re-checked fails": (
        promotion(),
        Snapshot(at(40), verified_step, apps={STAGING: observed(health=Health.DEGRADED, reconciled=at(9))}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    "verified edit undone during the soak fails": (
        promotion(),
        Snapshot(at(40), verified_step, apps={STAGING: observed(deployed=Deployed.EDIT_UNDONE)}),
        expect("SetStatus", "Comment", "Record", state=StepState.REVERTING),
    ),
    **{
        f"verified turning {name} during the soak waits again": (
            promotion(),
            Snapshot(at(40), verified_step, apps={STAGING: app}),
            expect("SetStatus", "Comment", "Record", state=StepState.MERGED, events=("step_unverified",)),
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
    "verified soak over but not observed waits again": (
        promotion(),
        Snapshot(at(61), verified_step),
        expect("SetStatus", "Comment", "Record", state=StepState.MERGED, events=("step_unverified",)),
    ),
    # Done
    "done moves to the next stage": (
        promotion(),
        Snapshot(at(0), step(StepState.DONE)),
        expect("Record", events=("stage_done",)),
    ),
    "done in the last stage succeeds and labels its PR": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.DONE, stage=1, pr_number=8)),
        expect("Label", "Record", moved_to=Phase.SUCCEEDED, events=("promotion_succeeded",)),
    ),
    "done in the last stage with nothing changed labels the last PR": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.DONE, stage=1), last_pr=7),
        expect("Label", "Record", moved_to=Phase.SUCCEEDED),
    ),
    "done with no PR at all succeeds": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.DONE, stage=1)),
        expect("Record", moved_to=Phase.SUCCEEDED),
    ),
    # Reverting
    "reverting opens the revert PR": (promotion(), Snapshot(at(0), reverting), expect("OpenRevertPR")),
    "reverting records the revert PR and merges it at once": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, branch=REVERT_BRANCH)),
        expect("Record", "MergePR", events=("revert_pr_opened",)),
    ),
    "reverting merges a known revert PR": (
        promotion(),
        Snapshot(at(0), dataclasses.replace(reverting, revert_pr_number=9), revert_pr=pr(9, branch=REVERT_BRANCH)),
        expect("MergePR"),
    ),
    "reverting never merges a stranger's PR on the revert branch": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, branch=REVERT_BRANCH, owner=STRANGER)),
        expect("Record", state=StepState.STUCK, events=("revert_stuck",)),
    ),
    "reverting merged refreshes": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, "closed", True, REVERT_BRANCH)),
        expect("Record", "RefreshApps", state=StepState.REVERTED, events=("revert_merged",)),
    ),
    "reverting conflict gets stuck and asks for help": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, branch=REVERT_BRANCH), revert_conflicts=("a.yaml",)),
        expect("Comment", "Record", state=StepState.STUCK, events=("revert_stuck",)),
    ),
    "reverting closed by a person gets stuck": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, "closed", False, REVERT_BRANCH)),
        expect("Comment", "Record", state=StepState.STUCK),
    ),
    "reverting impossible gets stuck": (
        promotion(),
        Snapshot(at(0), reverting, failure="nothing to revert"),
        expect("Record", state=StepState.STUCK),
    ),
    # Reverted / Stuck: the outcome and the hold are labelled before they are recorded
    "reverted fails, holds and labels the revert PR": (
        promotion(),
        Snapshot(at(0), step(StepState.REVERTED, pr_number=7, revert_pr_number=9, failure="Degraded")),
        expect("Label", "Comment", "Record", moved_to=Phase.FAILED, events=("promotion_failed",)),
    ),
    "stuck fails, holds and labels": (
        promotion(),
        Snapshot(at(0), step(StepState.STUCK, pr_number=7, failure="Degraded")),
        expect("Label", "Record", moved_to=Phase.FAILED),
    ),
    # finished
    "succeeded does nothing": (promotion(Phase.SUCCEEDED), Snapshot(at(0), step(StepState.DONE)), expect()),
    "failed does nothing": (promotion(Phase.FAILED), Snapshot(at(0), step(StepState.REVERTED)), expect()),
    "aborted does nothing": (promotion(Phase.ABORTED), Snapshot(at(0), step(StepState.OPEN)), expect()),
}


@pytest.mark.parametrize(("promo", "snapshot", "check"), CASES.values(), ids=CASES.keys())
def test_decide(promo: Promotion, snapshot: Snapshot, check: Check) -> None:
    check(decide(PIPELINE, promo, snapshot))


def test_open_step_pr_is_deterministic() -> None:
    snapshot = Snapshot(at(0), step(StepState.PLANNED), proposal=Proposal("b" * 40, CHANGE))
    (action,) = decide(PIPELINE, promotion(), snapshot)
    assert isinstance(action, OpenStepPR)
    assert action.branch == "promoter/guestbook/1.5.0-1/0-0"
    assert action.base_sha == "b" * 40
    assert ("Promoter-Step", "0-0") in action.trailers
    assert ("Promoter-Promotion", "guestbook/1.5.0-1") in action.trailers
    assert ("Promoter-Version", "1.5.0") in action.trailers
    assert markers.parse(action.body) == marker()
    assert "- [ ] **staging**" in action.body and "← this PR" in action.body
    assert action == decide(PIPELINE, promotion(), snapshot)[0]  # same input, same output


def test_failure_records_the_evidence() -> None:
    snapshot = Snapshot(
        at(30), merged_step, apps={STAGING: observed(health=Health.DEGRADED, message="CrashLoopBackOff")}
    )
    actions = decide(PIPELINE, promotion(), snapshot)
    (event,) = recorded(actions).changes.events
    assert event.evidence["merge_sha"] == MERGE
    assert "CrashLoopBackOff" in str(event.evidence["apps"])
    status = next(a for a in actions if isinstance(a, SetStatus))
    assert status.state == "failure"
    comment = next(a for a in actions if isinstance(a, Comment))
    assert "CrashLoopBackOff" in comment.body
    assert comment.marker == marker().status()  # this step's own status comment, not any promoter comment


def test_a_failure_while_argocd_is_down_names_the_outage() -> None:
    actions = decide(PIPELINE, promotion(), Snapshot(at(301), merged_step, apps={STAGING: DOWN}))
    reason = recorded(actions).changes.steps[0].failure or ""
    assert "not verified within 0:05:00" in reason and "timed out" in reason


def test_revert_pr_targets_the_merge() -> None:
    (action,) = decide(PIPELINE, promotion(), Snapshot(at(0), reverting))
    assert isinstance(action, OpenRevertPR)
    assert action.merge_sha == MERGE
    assert action.branch == REVERT_BRANCH
    assert "revert" in action.labels
    assert markers.parse(action.body) == marker(kind=Kind.REVERT)
    assert ("Promoter-Step", "0-0-revert") in action.trailers


def test_reverted_puts_the_version_on_hold_and_says_so_on_the_forge() -> None:
    actions = decide(
        PIPELINE, promotion(), Snapshot(at(0), step(StepState.REVERTED, revert_pr_number=9, failure="Degraded"))
    )
    (hold,) = recorded(actions).changes.holds
    assert (hold.pipeline, hold.version) == ("guestbook", "1.5.0")
    label = next(a for a in actions if isinstance(a, Label))
    assert label.number == 9
    assert set(label.names) == {markers.HELD, markers.Outcome.FAILED.value}
    assert kinds(actions)[-1] == "Record"  # the forge hears of it before the store records it


def test_merge_uses_the_stage_policy() -> None:
    (action,) = decide(PIPELINE, promotion(), Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr()))
    assert isinstance(action, MergePR)
    assert (action.number, action.method) == (7, "merge")


def test_merge_deadline_counts_from_the_merge_itself() -> None:
    merged_long_ago = pr(state="closed", merged=True, merged_at=at(-100))
    actions = decide(PIPELINE, promotion(), Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=merged_long_ago))
    (merged,) = recorded(actions).changes.steps
    assert merged.merged_at == merged.waiting_since == at(-100)


def test_refresh_names_every_application_of_the_stage() -> None:
    actions = decide(
        PIPELINE,
        promotion(stage=1),
        Snapshot(
            at(0),
            step(StepState.OPEN, stage=1, pr_number=7),
            pr=pr(state="closed", merged=True, branch="promoter/guestbook/1.5.0-1/1-0"),
        ),
    )
    refresh = next(a for a in actions if isinstance(a, RefreshApps))
    assert refresh.names == ("guestbook-prod", "guestbook-prod-eu")


def test_a_lost_verification_restarts_the_wait_and_the_soak() -> None:
    actions = decide(PIPELINE, promotion(), Snapshot(at(40), verified_step, apps={STAGING: DOWN}))
    (waiting,) = recorded(actions).changes.steps
    assert (waiting.state, waiting.waiting_since, waiting.verified_at, waiting.healthy_since) == (
        StepState.MERGED,
        at(40),
        None,
        None,
    )
    assert waiting.merged_at == at(0)
    status = next(a for a in actions if isinstance(a, SetStatus))
    assert status.state == "pending"  # the merge commit's status mirrors the step (a lost store reads it)


def test_a_foreign_pr_is_named_in_the_reason() -> None:
    actions = decide(PIPELINE, promotion(), Snapshot(at(0), step(StepState.PLANNED), pr=pr(owner=STRANGER)))
    moved = recorded(actions).changes.promotion
    assert moved is not None
    assert "guestbook/1.5.0-9" in moved.reason and "never adopts" in moved.reason
    assert not any(isinstance(a, Comment | Label) for a in actions)  # nothing is written on a stranger's PR


def test_model_helpers() -> None:
    first = promotion_id("1.5.0", at(0), 7)
    assert first.startswith("1.5.0-") and first != promotion_id("1.5.0", at(0), 8)
    assert promotion_id("1.5.0", at(1), 7) > first  # ids of one version sort by age
    assert promotion_id("sha256:ab/cd", at(0), 1).startswith("sha256-ab-cd-")
    assert promotion_id("///", at(0), 3).startswith("version-")
    assert promotion_id("1.5.0", dt.datetime(1970, 1, 1, tzinfo=dt.UTC), 0) == "1.5.0-000"
    key = promotion().key()
    assert branch_name("app", key) == "promoter/app/1.5.0-1/0-0"
    assert revert_branch_name("app", key) == "promoter/app/1.5.0-1/0-0-revert"
    assert Phase.SUCCEEDED.finished and not Phase.PROGRESSING.finished
    assert pr().open and not pr(state="closed").open
    assert pr(state="closed").closed_unmerged and not pr(state="closed", merged=True).closed_unmerged
    assert step(StepState.PLANNED).deadline(PIPELINE.stage(0)) is None


def test_commit_message_and_markers() -> None:
    assert texts.commit_message("title", "body") == "title\n\nbody"
    assert texts.marker(PIPELINE, promotion()) != texts.marker(PIPELINE, promotion(), Kind.REVERT)
    assert texts.trailers(texts.marker(PIPELINE, promotion(), Kind.REVERT))[2] == ("Promoter-Step", "0-0-revert")
    assert texts.moment(at(0)) == "2026-11-21 12:00:00 UTC"
