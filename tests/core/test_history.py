"""Rebuilding a lost store from PR markers and labels, commit statuses and trailers, as a truth table."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from promoter.core import history, markers
from promoter.core.changes import Changes
from promoter.core.history import CommitStatus, Found, Trail
from promoter.core.markers import Kind, Outcome
from promoter.core.model import Phase, StepState
from promoter.core.pullrequest import PullRequest
from tests.core.builders import PIPELINE, at, marker, pr

NOW = at(1000)
OLD, NEW = "1.4.0-aaa", "1.5.0-bbb"


def step_pr(number: int, stage: int = 0, promotion: str = NEW, **fields: object) -> PullRequest:
    """promoter's PR of a step (or, with kind=Kind.REVERT, of its revert)."""
    kind = fields.pop("kind", Kind.STEP)
    assert isinstance(kind, Kind)
    owner = dataclasses.replace(marker(stage, kind, promotion), version=promotion.split("-", maxsplit=1)[0])
    suffix = "-revert" if kind is Kind.REVERT else ""
    branch = f"promoter/guestbook/{promotion}/{stage}-0{suffix}"
    fields.setdefault("created", at(number))
    return pr(number, branch=branch, owner=owner, merge_sha=f"{number}" * 40, **fields)  # type: ignore[arg-type]


def merged(number: int, stage: int = 0, promotion: str = NEW, **fields: object) -> PullRequest:
    return step_pr(number, stage, promotion, state="closed", merged=True, merged_at=at(number + 1), **fields)


def trail(stage: int = 0, revert: bool = False, merged: bool = False, promotion: str = NEW, when: float = 50) -> Trail:
    return Trail("c" * 40, promotion, promotion.split("-", maxsplit=1)[0], stage, 0, revert, merged, at(when))


def only(changes: tuple[Changes, ...], promotion: str = NEW) -> Changes:
    return next(c for c in changes if c.promotion is not None and c.promotion.id == promotion)


SUCCESS = CommitStatus("success", "staging: verified on Argo CD", at(30))

# name: (what was found, promotion -> (phase, current stage, current step state, held))
CASES: dict[str, tuple[Found, dict[str, tuple[Phase, int, StepState, bool]]]] = {
    "a branch pushed just before a crash, no PR yet": (
        Found(trails=(trail(),)),
        {NEW: (Phase.PROGRESSING, 0, StepState.PLANNED, False)},
    ),
    "an open step PR": (Found((step_pr(1),)), {NEW: (Phase.PROGRESSING, 0, StepState.OPEN, False)}),
    "a PR closed by a person: the decision aborts it": (
        Found((step_pr(1, state="closed"),)),
        {NEW: (Phase.PROGRESSING, 0, StepState.OPEN, False)},
    ),
    "merged, no verdict yet": (Found((merged(1),)), {NEW: (Phase.PROGRESSING, 0, StepState.MERGED, False)}),
    "merged and verified: soaking": (
        Found((merged(1),), {"1" * 40: SUCCESS}),
        {NEW: (Phase.PROGRESSING, 0, StepState.VERIFIED, False)},
    ),
    "staging done, prod open": (
        Found((merged(1), step_pr(3, stage=1))),
        {NEW: (Phase.PROGRESSING, 1, StepState.OPEN, False)},
    ),
    "failed: the revert is next": (
        Found((merged(1),), {"1" * 40: CommitStatus("failure", "app-staging: Degraded", at(40))}),
        {NEW: (Phase.PROGRESSING, 0, StepState.REVERTING, False)},
    ),
    "failed, revert branch pushed, no revert PR yet": (
        Found((merged(1),), {"1" * 40: CommitStatus("failure", "Degraded", at(40))}, (trail(revert=True),)),
        {NEW: (Phase.PROGRESSING, 0, StepState.REVERTING, False)},
    ),
    "revert PR open": (
        Found((merged(1), step_pr(2, kind=Kind.REVERT))),
        {NEW: (Phase.PROGRESSING, 0, StepState.REVERTING, False)},
    ),
    "revert PR closed by a person": (
        Found((merged(1), step_pr(2, kind=Kind.REVERT, state="closed"))),
        {NEW: (Phase.PROGRESSING, 0, StepState.STUCK, True)},
    ),
    "revert merged, outcome not labelled yet (crash): held, the decision finishes it": (
        Found((merged(1), merged(2, kind=Kind.REVERT))),
        {NEW: (Phase.PROGRESSING, 0, StepState.REVERTED, True)},
    ),
    "failed and held, labelled": (
        Found((merged(1), merged(2, kind=Kind.REVERT, labels=(Outcome.FAILED.value, markers.HELD)))),
        {NEW: (Phase.FAILED, 0, StepState.REVERTED, True)},
    ),
    "failed, hold lifted (the label removed)": (
        Found((merged(1), merged(2, kind=Kind.REVERT, labels=(Outcome.FAILED.value,)))),
        {NEW: (Phase.FAILED, 0, StepState.REVERTED, False)},
    ),
    "succeeded, labelled on the last PR": (
        Found((merged(1), merged(3, stage=1, labels=(Outcome.SUCCEEDED.value,)))),
        {NEW: (Phase.SUCCEEDED, 1, StepState.DONE, False)},
    ),
    "aborted, labelled": (
        Found((step_pr(1, state="closed", labels=(Outcome.ABORTED.value,)),)),
        {NEW: (Phase.ABORTED, 0, StepState.OPEN, False)},
    ),
    "an older promotion without an outcome label ended before the newer one": (
        Found((merged(1, promotion=OLD), step_pr(5))),
        {OLD: (Phase.ABORTED, 0, StepState.DONE, False), NEW: (Phase.PROGRESSING, 0, StepState.OPEN, False)},
    ),
    "an older promotion reverted (commit trailers only) is failed and held": (
        Found(
            (step_pr(5),),
            trails=(trail(promotion=OLD, when=1), trail(revert=True, merged=True, promotion=OLD, when=2)),
        ),
        {OLD: (Phase.FAILED, 0, StepState.PLANNED, True), NEW: (Phase.PROGRESSING, 0, StepState.OPEN, False)},
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
def test_rebuild(found: Found, expected: dict[str, tuple[Phase, int, StepState, bool]]) -> None:
    changes = history.rebuild(PIPELINE, found, NOW)
    got = {}
    for change in changes:
        assert change.promotion is not None
        current = next(s for s in change.steps if (s.key.stage, s.key.step) == (change.promotion.stage, 0))
        got[change.promotion.id] = (change.promotion.phase, change.promotion.stage, current.state, bool(change.holds))
        assert [e.kind for e in change.events] == ["promotion_rebuilt"]
    assert got == expected


def test_the_rebuilt_records_carry_what_the_decision_needs() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1), step_pr(3, stage=1))), NOW)
    assert change.promotion is not None
    assert (change.promotion.version, change.promotion.created_at) == ("1.5.0", at(1))
    staging, prod = change.steps
    assert (staging.state, staging.pr_number, staging.merge_sha) == (StepState.DONE, 1, "1" * 40)
    assert (prod.state, prod.pr_number) == (StepState.OPEN, 3)


def test_a_merged_step_keeps_its_merge_time_so_the_deadline_is_unchanged() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1),)), NOW)
    (step,) = change.steps
    assert step.merged_at == step.waiting_since == at(2)


def test_a_lost_verification_waits_from_when_it_was_lost() -> None:
    lost = CommitStatus("pending", "staging: verification lost, waiting again", at(70))
    (change,) = history.rebuild(PIPELINE, Found((merged(1),), {"1" * 40: lost}), NOW)
    (step,) = change.steps
    assert (step.state, step.merged_at, step.waiting_since) == (StepState.MERGED, at(2), at(70))


def test_a_verified_step_soaks_from_its_verification() -> None:
    (change,) = history.rebuild(PIPELINE, Found((merged(1),), {"1" * 40: SUCCESS}), NOW)
    assert change.steps[0].verified_at == at(30)


def test_a_failed_step_keeps_its_reason_and_the_hold_says_why() -> None:
    failure = CommitStatus("failure", "app-staging: Degraded: CrashLoopBackOff", at(40))
    found = Found((merged(1), merged(2, kind=Kind.REVERT)), {"1" * 40: failure})
    (change,) = history.rebuild(PIPELINE, found, NOW)
    (step,) = change.steps
    assert (step.state, step.revert_pr_number, step.revert_merge_sha) == (StepState.REVERTED, 2, "2" * 40)
    assert step.failure == failure.description
    assert change.holds[0].reason == failure.description


def test_the_newest_promotion_is_the_one_that_may_run() -> None:
    found = Found((step_pr(9, promotion=OLD), merged(1)))  # OLD's PR is newer: it is the newest promotion
    changes = history.rebuild(PIPELINE, found, NOW)
    assert only(changes, NEW).promotion.phase is Phase.ABORTED  # type: ignore[union-attr]
    assert only(changes, OLD).promotion.phase is Phase.PROGRESSING  # type: ignore[union-attr]


def test_statuses_are_read_only_for_the_step_that_may_still_run() -> None:
    assert history.needs_statuses(PIPELINE, Found()) == ()
    assert history.needs_statuses(PIPELINE, Found((merged(1, promotion=OLD), merged(3)))) == ("3" * 40,)
    assert history.needs_statuses(PIPELINE, Found((merged(1), step_pr(3, stage=1)))) == ()
    assert Found().empty and not Found((step_pr(1),)).empty


def test_times_without_a_pr_come_from_the_commits() -> None:
    (change,) = history.rebuild(PIPELINE, Found(trails=(trail(),)), NOW)
    assert change.promotion is not None
    assert change.promotion.created_at == at(50)
    (rebuilt,) = history.rebuild(PIPELINE, Found((step_pr(1, created=None),)), NOW)
    assert rebuilt.promotion is not None and rebuilt.promotion.created_at == NOW
    assert dt.timedelta(0) == NOW - rebuilt.promotion.updated_at
