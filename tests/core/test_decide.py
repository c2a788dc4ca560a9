"""The decision core as a truth table: (promotion, step, observations) -> actions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from promoter.core import texts
from promoter.core.actions import (
    Action,
    Comment,
    FileChange,
    MergePR,
    OpenRevertPR,
    OpenStepPR,
    Record,
    RefreshApps,
    SetStatus,
)
from promoter.core.appstatus import Health, OperationPhase
from promoter.core.decide import decide
from promoter.core.model import Phase, Promotion, StepState, branch_name, promotion_id, revert_branch_name
from promoter.core.snapshot import Proposal, Snapshot
from tests.core.builders import MERGE, PIPELINE, at, observed, pr, promotion, step

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


merged_step = step(StepState.MERGED, pr_number=7, merge_sha=MERGE, merged_at=at(0))
healthy_since = dataclasses.replace(merged_step, healthy_since=at(20))
verified_step = step(StepState.VERIFIED, pr_number=7, merge_sha=MERGE, merged_at=at(0), verified_at=at(30))
reverting = step(StepState.REVERTING, pr_number=7, merge_sha=MERGE, merged_at=at(0), failure="Degraded")
REVERT_BRANCH = "promoter/guestbook/1.5.0-1/0-0-revert"

CASES: dict[str, tuple[Promotion, Snapshot, Check]] = {
    # Pending
    "pending starts": (
        promotion(Phase.PENDING),
        Snapshot(at(0), step(StepState.PLANNED)),
        expect("Record", moved_to=Phase.PROGRESSING, events=("promotion_started",)),
    ),
    "pending held version is refused": (
        promotion(Phase.PENDING),
        Snapshot(at(0), step(StepState.PLANNED), held=True),
        expect("Record", moved_to=Phase.ABORTED, events=("promotion_refused",)),
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
    "planned adopts an open PR (crash after opening)": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr()),
        expect("Record", state=StepState.OPEN, events=("step_pr_opened",)),
    ),
    "planned adopts a merged PR": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(state="closed", merged=True)),
        expect("Record", "RefreshApps", "Comment", state=StepState.MERGED, events=("step_merged",)),
    ),
    "planned PR closed by a person aborts": (
        promotion(),
        Snapshot(at(0), step(StepState.PLANNED), pr=pr(state="closed")),
        expect("Record", "Comment", moved_to=Phase.ABORTED, events=("promotion_aborted",)),
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
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr()),
        expect("Record", "SetStatus"),
    ),
    "open waiting again says nothing new": (
        promotion(stage=1, reason="prod: #7 waits for 1 more approval(s)"),
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr()),
        expect(),
    ),
    "open approved merges": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr(), approvals=frozenset({"alice"})),
        expect("MergePR"),
    ),
    "open merged records and refreshes": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(state="closed", merged=True)),
        expect("Record", "RefreshApps", "Comment", state=StepState.MERGED, events=("step_merged",)),
    ),
    "open closed by a person aborts": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(state="closed")),
        expect("Record", "Comment", moved_to=Phase.ABORTED),
    ),
    "open merge refused fails": (
        promotion(),
        Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr(), failure="not mergeable"),
        expect("Record", moved_to=Phase.FAILED),
    ),
    # Merged
    "merged not observed waits": (promotion(), Snapshot(at(5), merged_step), expect()),
    "merged waiting records why": (
        promotion(),
        Snapshot(at(5), merged_step, apps={"guestbook-staging": observed(deployed=False)}),
        expect("Record"),
    ),
    "merged waiting, same reason, says nothing": (
        promotion(reason="staging: guestbook-staging: not yet synced to the merged commit"),
        Snapshot(at(5), merged_step, apps={"guestbook-staging": observed(deployed=False)}),
        expect(),
    ),
    "merged healthy starts the debounce": (
        promotion(),
        Snapshot(at(20), merged_step, apps={"guestbook-staging": observed()}),
        expect("Record"),
    ),
    "merged healthy within the debounce waits": (
        promotion(),
        Snapshot(at(22), healthy_since, apps={"guestbook-staging": observed()}),
        expect(),
    ),
    "merged healthy after the debounce verifies": (
        promotion(),
        Snapshot(at(26), healthy_since, apps={"guestbook-staging": observed()}),
        expect("Record", "SetStatus", "Comment", state=StepState.VERIFIED, events=("step_verified",)),
    ),
    "merged flapping resets the debounce": (
        promotion(),
        Snapshot(at(22), healthy_since, apps={"guestbook-staging": observed(health=Health.PROGRESSING)}),
        expect("Record"),
    ),
    "merged degraded fails": (
        promotion(),
        Snapshot(at(30), merged_step, apps={"guestbook-staging": observed(health=Health.DEGRADED)}),
        expect("Record", "SetStatus", "Comment", state=StepState.REVERTING, events=("step_failed",)),
    ),
    "merged sync failed fails": (
        promotion(),
        Snapshot(at(30), merged_step, apps={"guestbook-staging": observed(phase=OperationPhase.FAILED)}),
        expect("Record", "SetStatus", "Comment", state=StepState.REVERTING),
    ),
    "merged past the deadline fails": (
        promotion(),
        Snapshot(at(301), merged_step, apps={"guestbook-staging": observed(deployed=False)}),
        expect("Record", "SetStatus", "Comment", state=StepState.REVERTING),
    ),
    "merged suspended waits": (
        promotion(),
        Snapshot(at(30), merged_step, apps={"guestbook-staging": observed(health=Health.SUSPENDED)}),
        expect("Record"),
    ),
    # Verified
    "verified soaks": (promotion(), Snapshot(at(40), verified_step, apps={"guestbook-staging": observed()}), expect()),
    "verified soak done": (
        promotion(),
        Snapshot(at(61), verified_step, apps={"guestbook-staging": observed()}),
        expect("Record", state=StepState.DONE),
    ),
    "verified breaks during the soak": (
        promotion(),
        Snapshot(at(40), verified_step, apps={"guestbook-staging": observed(health=Health.DEGRADED)}),
        expect("Record", "SetStatus", "Comment", state=StepState.REVERTING),
    ),
    # Done
    "done moves to the next stage": (
        promotion(),
        Snapshot(at(0), step(StepState.DONE)),
        expect("Record", events=("stage_done",)),
    ),
    "done in the last stage succeeds": (
        promotion(stage=1),
        Snapshot(at(0), step(StepState.DONE, stage=1)),
        expect("Record", moved_to=Phase.SUCCEEDED, events=("promotion_succeeded",)),
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
    "reverting merged refreshes": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, "closed", True, REVERT_BRANCH)),
        expect("Record", "RefreshApps", state=StepState.REVERTED, events=("revert_merged",)),
    ),
    "reverting conflict gets stuck and asks for help": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, branch=REVERT_BRANCH), revert_conflicts=("a.yaml",)),
        expect("Record", "Comment", state=StepState.STUCK, events=("revert_stuck",)),
    ),
    "reverting closed by a person gets stuck": (
        promotion(),
        Snapshot(at(0), reverting, revert_pr=pr(9, "closed", False, REVERT_BRANCH)),
        expect("Record", "Comment", state=StepState.STUCK),
    ),
    "reverting impossible gets stuck": (
        promotion(),
        Snapshot(at(0), reverting, failure="nothing to revert"),
        expect("Record", state=StepState.STUCK),
    ),
    # Reverted / Stuck
    "reverted fails and holds": (
        promotion(),
        Snapshot(at(0), step(StepState.REVERTED, revert_pr_number=9, failure="Degraded")),
        expect("Record", "Comment", moved_to=Phase.FAILED, events=("promotion_failed",)),
    ),
    "stuck fails and holds": (
        promotion(),
        Snapshot(at(0), step(StepState.STUCK, failure="Degraded")),
        expect("Record", moved_to=Phase.FAILED),
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
    assert "<!-- promoter:" in action.body
    assert "- [ ] **staging**" in action.body and "← this PR" in action.body
    assert action == decide(PIPELINE, promotion(), snapshot)[0]  # same input, same output


def test_failure_records_the_evidence() -> None:
    snapshot = Snapshot(
        at(30), merged_step, apps={"guestbook-staging": observed(health=Health.DEGRADED, message="CrashLoopBackOff")}
    )
    actions = decide(PIPELINE, promotion(), snapshot)
    (event,) = recorded(actions).changes.events
    assert event.evidence["merge_sha"] == MERGE
    assert "CrashLoopBackOff" in str(event.evidence["apps"])
    status = next(a for a in actions if isinstance(a, SetStatus))
    assert status.state == "failure"
    comment = next(a for a in actions if isinstance(a, Comment))
    assert "CrashLoopBackOff" in comment.body


def test_revert_pr_targets_the_merge() -> None:
    (action,) = decide(PIPELINE, promotion(), Snapshot(at(0), reverting))
    assert isinstance(action, OpenRevertPR)
    assert action.merge_sha == MERGE
    assert action.branch == REVERT_BRANCH
    assert "revert" in action.labels


def test_reverted_puts_the_version_on_hold() -> None:
    actions = decide(
        PIPELINE, promotion(), Snapshot(at(0), step(StepState.REVERTED, revert_pr_number=9, failure="Degraded"))
    )
    (hold,) = recorded(actions).changes.holds
    assert (hold.pipeline, hold.version) == ("guestbook", "1.5.0")


def test_merge_uses_the_stage_policy() -> None:
    (action,) = decide(PIPELINE, promotion(), Snapshot(at(0), step(StepState.OPEN, pr_number=7), pr=pr()))
    assert isinstance(action, MergePR)
    assert (action.number, action.method) == (7, "merge")


def test_refresh_names_every_application_of_the_stage() -> None:
    actions = decide(
        PIPELINE,
        promotion(stage=1),
        Snapshot(at(0), step(StepState.OPEN, stage=1, pr_number=7), pr=pr(state="closed", merged=True)),
    )
    refresh = next(a for a in actions if isinstance(a, RefreshApps))
    assert refresh.names == ("guestbook-prod", "guestbook-prod-eu")


def test_verified_soak_ends_without_a_fresh_observation() -> None:
    actions = decide(PIPELINE, promotion(), Snapshot(at(61), verified_step))
    assert step_state(actions) is StepState.DONE


def test_model_helpers() -> None:
    assert promotion_id("1.5.0", 2) == "1.5.0-2"
    assert promotion_id("sha256:ab/cd", 1) == "sha256-ab-cd-1"
    assert promotion_id("///", 3) == "version-3"
    key = promotion().key()
    assert branch_name("app", key) == "promoter/app/1.5.0-1/0-0"
    assert revert_branch_name("app", key) == "promoter/app/1.5.0-1/0-0-revert"
    assert Phase.SUCCEEDED.finished and not Phase.PROGRESSING.finished
    assert pr().open and not pr(state="closed").open
    assert pr(state="closed").closed_unmerged and not pr(state="closed", merged=True).closed_unmerged


def test_commit_message_and_markers() -> None:
    assert texts.commit_message("title", "body") == "title\n\nbody"
    key = promotion().key()
    assert texts.marker("app", key) != texts.marker("app", key, "revert")
    assert texts.trailers("app", key, "revert")[1] == ("Promoter-Step", "0-0-revert")
