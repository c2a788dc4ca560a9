"""Rebuilding a lost store from PR markers and labels, commit statuses and trailers, as a truth table."""

from __future__ import annotations

import dataclasses

import pytest

from promoter.core import history, markers
from promoter.core.actions import StatusState
from promoter.core.changes import Changes
from promoter.core.history import CommitStatus, Found, Trail
from promoter.core.markers import Kind, Outcome
from promoter.core.model import Phase
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import ChangeRun, ChangeState, GateRun, GateState, StageState
from tests.core.builders import BG_PIPELINE, PIPELINE, PROD_FACTS, at, marker, pr

NOW = at(1000)
OLD, NEW = "1.4.0-aaa", "1.5.0-bbb"


def change_pr(number: int, stage: int = 0, item: int = 0, promotion: str = NEW, **fields: object) -> PullRequest:
    """promoter's PR of a change (or, with kind=Kind.REVERT, of the stage's revert)."""
    kind = fields.pop("kind", Kind.STEP)
    assert isinstance(kind, Kind)
    facts = fields.pop("facts", PROD_FACTS.to_json() if stage == 1 else None)
    owner = dataclasses.replace(
        marker(stage, kind, promotion, item), version=promotion.split("-", maxsplit=1)[0], facts=facts
    )
    suffix = "revert" if kind is Kind.REVERT else str(item)
    branch = f"promoter/guestbook/{promotion}/{stage}-{suffix}"
    fields.setdefault("created", at(number))
    return pr(number, branch=branch, owner=owner, merge_sha=f"{number}" * 40, **fields)  # type: ignore[arg-type]


def merged(number: int, stage: int = 0, item: int = 0, promotion: str = NEW, **fields: object) -> PullRequest:
    return change_pr(number, stage, item, promotion, state="closed", merged=True, merged_at=at(number + 1), **fields)


def trail(
    stage: int = 0, item: int = 0, revert: bool = False, merged: bool = False, promotion: str = NEW, when: float = 50
) -> Trail:
    return Trail("c" * 40, promotion, promotion.split("-", maxsplit=1)[0], stage, item, revert, merged, at(when))


def only(changes: tuple[Changes, ...], promotion: str = NEW) -> Changes:
    return next(c for c in changes if c.promotion is not None and c.promotion.id == promotion)


def verified(sha_of: int, when: float = 30) -> dict[str, CommitStatus]:
    return {f"{sha_of}" * 40: CommitStatus(StatusState.SUCCESS, "verified on Argo CD", at(when))}


# name: (what was found, promotion -> (phase, stage, step, stage state, current item's state, held))
Row = tuple[Phase, int, int, StageState, ChangeState | GateState | None, bool]
CASES: dict[str, tuple[Found, dict[str, Row]]] = {
    "a branch pushed just before a crash, no PR yet": (
        Found(trails=(trail(),)),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.RUNNING, ChangeState.PLANNED, False)},
    ),
    "an open change PR": (
        Found((change_pr(1),)),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.RUNNING, ChangeState.OPEN, False)},
    ),
    "merged, no verdict yet": (
        Found((merged(1),)),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.RUNNING, ChangeState.MERGED, False)},
    ),
    "merged and verified: the soak waits, its timer from the verification": (
        Found((merged(1),), verified(1)),
        {NEW: (Phase.PROGRESSING, 0, 1, StageState.RUNNING, GateState.WAITING, False)},
    ),
    "verified and no gate after it: the stage is done": (
        Found((merged(1, stage=1, item=6),), verified(1)),
        {NEW: (Phase.PROGRESSING, 1, 7, StageState.RUNNING, None, False)},
    ),
    "verified, the next change not opened yet": (
        Found((merged(1, stage=1, item=0),), verified(1)),
        {NEW: (Phase.PROGRESSING, 1, 1, StageState.RUNNING, None, False)},
    ),
    "a canary between its weights: the pause after the last merged weight": (
        Found((merged(1, stage=1, item=0), merged(2, stage=1, item=1)), verified(2)),
        {NEW: (Phase.PROGRESSING, 1, 2, StageState.RUNNING, GateState.WAITING, False)},
    ),
    "staging done, prod open": (
        Found((merged(1), change_pr(3, stage=1))),
        {NEW: (Phase.PROGRESSING, 1, 0, StageState.RUNNING, ChangeState.OPEN, False)},
    ),
    "failed: the revert is next": (
        Found((merged(1),), {"1" * 40: CommitStatus(StatusState.FAILURE, "app-staging: Degraded", at(40))}),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.REVERTING, ChangeState.MERGED, False)},
    ),
    "failed, revert branch pushed, no revert PR yet": (
        Found((merged(1),), trails=(trail(revert=True),)),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.REVERTING, ChangeState.MERGED, False)},
    ),
    "revert PR open": (
        Found((merged(1), change_pr(2, kind=Kind.REVERT))),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.REVERTING, ChangeState.MERGED, False)},
    ),
    "revert PR closed by a person": (
        Found((merged(1), change_pr(2, kind=Kind.REVERT, state="closed"))),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.STUCK, ChangeState.MERGED, True)},
    ),
    "revert merged, outcome not labelled yet (crash): held, the decision finishes it": (
        Found((merged(1), merged(2, kind=Kind.REVERT))),
        {NEW: (Phase.PROGRESSING, 0, 0, StageState.REVERTED, ChangeState.MERGED, True)},
    ),
    "failed and held, labelled": (
        Found((merged(1), merged(2, kind=Kind.REVERT, labels=(Outcome.FAILED.value, markers.HELD)))),
        {NEW: (Phase.FAILED, 0, 0, StageState.REVERTED, ChangeState.MERGED, True)},
    ),
    "failed, hold lifted (the label removed)": (
        Found((merged(1), merged(2, kind=Kind.REVERT, labels=(Outcome.FAILED.value,)))),
        {NEW: (Phase.FAILED, 0, 0, StageState.REVERTED, ChangeState.MERGED, False)},
    ),
    "succeeded, labelled on the last PR": (
        Found((merged(1), merged(3, stage=1, item=7, labels=(Outcome.SUCCEEDED.value,))), verified(3)),
        {NEW: (Phase.SUCCEEDED, 1, 8, StageState.RUNNING, None, False)},
    ),
    "aborted, labelled": (
        Found((change_pr(1, state="closed", labels=(Outcome.ABORTED.value,)),)),
        {NEW: (Phase.ABORTED, 0, 0, StageState.RUNNING, ChangeState.OPEN, False)},
    ),
    "an older promotion without an outcome label ended before the newer one": (
        Found((merged(1, promotion=OLD), change_pr(5))),
        {
            OLD: (Phase.ABORTED, 0, 0, StageState.RUNNING, ChangeState.MERGED, False),
            NEW: (Phase.PROGRESSING, 0, 0, StageState.RUNNING, ChangeState.OPEN, False),
        },
    ),
    "an older promotion reverted (commit trailers only) is failed and held": (
        Found(
            (change_pr(5),),
            trails=(trail(promotion=OLD, when=1), trail(revert=True, merged=True, promotion=OLD, when=2)),
        ),
        {
            OLD: (Phase.FAILED, 0, 0, StageState.RUNNING, ChangeState.PLANNED, True),
            NEW: (Phase.PROGRESSING, 0, 0, StageState.RUNNING, ChangeState.OPEN, False),
        },
    ),
    "another pipeline's PRs and unknown stages are not this pipeline's": (
        Found(
            (
                pr(1, body=dataclasses.replace(marker(), pipeline="other").render()),
                pr(2, body=marker(stage=7).render()),
                pr(3, body="a person's PR"),
            ),
            trails=(trail(stage=9),),
        ),
        {},
    ),
}


@pytest.mark.parametrize(("found", "expected"), CASES.values(), ids=CASES.keys())
def test_rebuild(found: Found, expected: dict[str, Row]) -> None:
    changes = history.rebuild(PIPELINE, found, NOW)
    got = {}
    for change in changes:
        assert change.promotion is not None and change.stage is not None
        p = change.promotion
        current = next((r for r in change.runs if (r.key.stage, r.key.item) == (p.stage, p.step)), None)
        state = current.state if current is not None else None
        got[p.id] = (p.phase, p.stage, p.step, change.stage.state, state, bool(change.holds))
        assert [e.kind.value for e in change.events] == ["promotion_rebuilt"]
    assert got == expected


def test_the_rebuilt_records_carry_what_the_decision_needs() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1), change_pr(3, stage=1))), NOW)
    assert change.promotion is not None and change.stage is not None
    assert (change.promotion.version, change.promotion.created_at) == ("1.5.0", at(1))
    assert change.stage.facts == PROD_FACTS  # from the marker: a canary's replica counts at its start
    (prod,) = change.runs
    assert isinstance(prod, ChangeRun)
    assert (prod.state, prod.pr_number) == (ChangeState.OPEN, 3)


def test_a_stage_that_needs_facts_has_none_without_them_in_its_marker() -> None:
    (change,) = history.rebuild(PIPELINE, Found((change_pr(3, stage=1, facts=None),)), NOW)
    assert change.stage is not None and change.stage.facts is None  # the decision reads them again


def test_a_merged_change_keeps_its_merge_time_so_the_deadline_is_unchanged() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1),)), NOW)
    (run,) = change.runs
    assert isinstance(run, ChangeRun) and run.merged_at == at(2)


def test_a_lost_verification_waits_again_from_when_it_was_lost() -> None:
    lost = CommitStatus(StatusState.PENDING, "staging: verification lost, waiting again", at(70))
    (change,) = history.rebuild(PIPELINE, Found((merged(1),), {"1" * 40: lost}), NOW)
    _, gate = change.runs
    assert isinstance(gate, GateRun)
    assert (gate.state, gate.unverified_since) == (GateState.WAITING, at(70))


def test_a_verified_change_soaks_from_its_verification() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1),), verified(1)), NOW)
    run, gate = change.runs
    assert isinstance(run, ChangeRun) and run.verified_at == at(30)
    assert isinstance(gate, GateRun) and gate.started_at == at(30)


def test_a_failed_stage_keeps_its_reason_and_the_hold_says_why() -> None:
    failure = CommitStatus(StatusState.FAILURE, "app-staging: Degraded: CrashLoopBackOff", at(40))
    found = Found((merged(1), merged(2, kind=Kind.REVERT)), {"1" * 40: failure})
    (change,) = history.rebuild(PIPELINE, found, NOW)
    assert change.stage is not None
    assert (change.stage.state, change.stage.revert_pr_number) == (StageState.REVERTED, 2)
    assert change.stage.revert_merge_sha == "2" * 40
    assert change.stage.failure == failure.description
    assert change.holds[0].reason == failure.description


def test_a_stage_reverted_without_a_known_reason_says_so() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1), change_pr(2, kind=Kind.REVERT))), NOW)
    assert change.stage is not None and "lost store" in (change.stage.failure or "")


def test_a_blue_green_stage_without_facts_cannot_place_its_gates() -> None:
    (change,) = history.rebuild(BG_PIPELINE, Found((merged(1, facts='{"active": "purple"}'),), verified(1)), NOW)
    assert change.promotion is not None and change.promotion.step == 0  # its plan cannot be built: no move


def test_the_newest_promotion_is_the_one_that_may_run() -> None:
    found = Found((change_pr(9, promotion=OLD), merged(1)))  # OLD's PR is newer: it is the newest promotion
    changes = history.rebuild(PIPELINE, found, NOW)
    assert only(changes, NEW).promotion.phase is Phase.ABORTED  # type: ignore[union-attr]
    assert only(changes, OLD).promotion.phase is Phase.PROGRESSING  # type: ignore[union-attr]


def test_statuses_are_read_only_for_the_change_that_may_still_run() -> None:
    assert history.needs_statuses(PIPELINE, Found()) == ()
    assert history.needs_statuses(PIPELINE, Found((merged(1, promotion=OLD), merged(3)))) == ("3" * 40,)
    assert history.needs_statuses(PIPELINE, Found((merged(1), change_pr(3, stage=1)))) == ()
    assert history.needs_statuses(PIPELINE, Found(trails=(trail(revert=True),))) == ()
    assert Found().empty and not Found((change_pr(1),)).empty


def test_times_without_a_pr_come_from_the_commits() -> None:
    (change,) = history.rebuild(PIPELINE, Found(trails=(trail(),)), NOW)
    assert change.promotion is not None
    assert change.promotion.created_at == at(50)
    (rebuilt,) = history.rebuild(PIPELINE, Found((change_pr(1, created=None),)), NOW)
    assert rebuilt.promotion is not None and rebuilt.promotion.created_at == NOW


@pytest.mark.parametrize(
    ("found", "paused"),
    [
        pytest.param(Found((merged(1), change_pr(3, stage=1, labels=(markers.PAUSED,)))), True, id="paused"),
        pytest.param(Found((merged(1), change_pr(3, stage=1))), False, id="running"),
        pytest.param(
            Found((merged(1, labels=(Outcome.SUCCEEDED.value, markers.PAUSED)),)), False, id="finished-not-paused"
        ),
    ],
)
def test_a_paused_promotion_stays_paused(found: Found, paused: bool) -> None:
    (change,) = history.rebuild(PIPELINE, found, NOW)
    assert change.promotion is not None and change.promotion.paused is paused
