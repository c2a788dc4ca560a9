"""``promoter rollback``: only the newest promotion, only once it succeeded, only a stage that merged something."""

from __future__ import annotations

import dataclasses

import pytest

from promoter.core.model import EventKind, Phase
from promoter.core.rollback import RollbackRefused, rollback
from promoter.core.runs import ChangeState, StageState
from tests.core.builders import MERGE, PIPELINE, at, change, gate, promotion, stage_run

SUCCEEDED = promotion(stage=1, step=7, phase=Phase.SUCCEEDED)
PROD_RUNS = (change(ChangeState.DONE, 0, 1, merge_sha=MERGE, pr_number=7), gate(1, 1))


def test_the_last_stage_is_marked_reverting_as_an_abort_would() -> None:
    changes = rollback(PIPELINE, [SUCCEEDED], stage_run(1), PROD_RUNS, "cli:alice", at(60))
    assert changes.promotion is not None and changes.stage is not None
    assert changes.promotion.phase is Phase.PROGRESSING and changes.promotion.stage == 1
    assert changes.promotion.reason == "reverting prod: rolled back by cli:alice"
    assert (changes.stage.state, changes.stage.failure, changes.stage.aborted_by) == (
        StageState.REVERTING,
        "rolled back by cli:alice",
        "cli:alice",
    )
    (event,) = changes.events
    assert event.kind is EventKind.ROLLBACK_STARTED
    assert event.message == "prod: rolling back 1.5.0 (1 merged change(s)), asked by cli:alice"


REFUSED = {
    "no promotion": ([], "guestbook has no promotion to roll back"),
    "in progress": ([promotion(stage=1)], "is in progress: `promoter abort guestbook` reverts its stage"),
    "failed": (
        [dataclasses.replace(SUCCEEDED, phase=Phase.FAILED)],
        "ended Failed, not Succeeded: to run another version, promote it",
    ),
}


@pytest.mark.parametrize(("promotions", "reason"), REFUSED.values(), ids=list(REFUSED))
def test_refused_with_the_reason(promotions: list, reason: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(RollbackRefused) as refused:
        rollback(PIPELINE, promotions, stage_run(1), PROD_RUNS, "cli:alice", at(60))
    assert reason in str(refused.value)


def test_a_stage_that_merged_nothing_has_nothing_to_roll_back() -> None:
    skipped = (change(ChangeState.DONE, 0, 1, skipped=True, merge_sha=None, pr_number=None, merged_at=None), gate(1, 1))
    for record, runs in ((stage_run(1), skipped), (None, PROD_RUNS)):
        with pytest.raises(RollbackRefused, match="merged nothing in prod: nothing to roll back"):
            rollback(PIPELINE, [SUCCEEDED], record, runs, "cli:alice", at(60))
