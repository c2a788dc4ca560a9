"""What the next decision must observe, by where the promotion stands: exactly that, nothing more."""

from __future__ import annotations

import dataclasses

import pytest

from promoter.core import plan as plans
from promoter.core.model import Phase, Promotion, promotion_id
from promoter.core.needs import Needs, needs
from promoter.core.runs import ChangeState, GateState, Run, StageRun, StageState
from tests.core.builders import (
    CANARY,
    ID,
    MERGE,
    PIPELINE,
    PROD_FACTS,
    STABLE,
    STAGING_FILE,
    VS,
    at,
    change,
    gate,
    promotion,
    stage_run,
)

BRANCH = f"promoter/guestbook/{ID}/0-0"
STAGING_APPS = ("guestbook-staging",)
PROD_APPS = ("guestbook-prod", "guestbook-prod-eu")
canary_done = change(ChangeState.DONE, 0, 1)

CASES: dict[str, tuple[Promotion, StageRun | None, tuple[Run, ...], Needs]] = {
    "pending: the hold and the preflight": (promotion(Phase.PENDING), None, (), Needs(held=True, preflight=True)),
    "finished: nothing": (promotion(Phase.SUCCEEDED), None, (), Needs()),
    "a stage not started: its facts": (
        promotion(stage=1),
        None,
        (),
        Needs(commands=True, found=plans.fact_refs(PIPELINE.stage(1)), last_pr=True),
    ),
    "a rolling stage not started: nothing to read": (promotion(), None, (), Needs(commands=True, last_pr=True)),
    "planned: its PR and its resources at the base": (
        promotion(),
        stage_run(),
        (),
        Needs(commands=True, pr=BRANCH, pr_if_pushed=True, found=(STAGING_FILE,), last_pr=True),
    ),
    "open: its PR": (
        promotion(),
        stage_run(),
        (change(ChangeState.OPEN),),
        Needs(commands=True, pr=BRANCH, last_pr=True),
    ),
    "open with approvals to count": (
        promotion(stage=1),
        stage_run(1),
        (change(ChangeState.OPEN, 0, 1),),
        Needs(commands=True, pr=f"promoter/guestbook/{ID}/1-0", approvals=True, last_pr=True),
    ),
    "merged: every Application, at the merge, on the files it edited": (
        promotion(),
        stage_run(),
        (change(ChangeState.MERGED),),
        Needs(commands=True, apps=STAGING_APPS, reference=MERGE, deployed=(STAGING_FILE,), last_pr=True),
    ),
    "a later change merged: the files of every change merged so far": (
        promotion(stage=1, step=1),
        stage_run(1),
        (canary_done, change(ChangeState.MERGED, 1, 1, merge_sha="n" * 40)),
        Needs(commands=True, apps=PROD_APPS, reference="n" * 40, deployed=(CANARY, VS), last_pr=True),
    ),
    "done: only whether an operator asked something": (
        promotion(),
        stage_run(),
        (change(ChangeState.DONE),),
        Needs(commands=True, last_pr=True),
    ),
    "a gate: the stage's evidence at its latest merge": (
        promotion(step=1),
        stage_run(),
        (change(ChangeState.DONE), gate(1)),
        Needs(commands=True, apps=STAGING_APPS, reference=MERGE, deployed=(STAGING_FILE,), last_pr=True),
    ),
    "a gate after a skipped change: no evidence to look at": (
        promotion(step=1),
        stage_run(),
        (dataclasses.replace(change(ChangeState.DONE), merge_sha=None, skipped=True),),
        Needs(commands=True, last_pr=True),
    ),
    "a gate passed: nothing but commands": (
        promotion(step=1),
        stage_run(),
        (change(ChangeState.DONE), gate(1, state=GateState.PASSED)),
        Needs(commands=True),
    ),
    "the stage done: commands and the last PR": (
        promotion(step=2),
        stage_run(),
        (change(ChangeState.DONE),),
        Needs(commands=True, last_pr=True),
    ),
    "reverting: the stage's revert PR": (
        promotion(),
        stage_run(state=StageState.REVERTING),
        (),
        Needs(commands=True, revert_pr=f"promoter/guestbook/{ID}/0-revert", last_pr=True),
    ),
    "reverted: the last PR, to label": (promotion(), stage_run(state=StageState.REVERTED), (), Needs(last_pr=True)),
    "a plan the facts no longer allow: commands only": (
        promotion(stage=1),
        StageRun(ID, 1, facts=dataclasses.replace(PROD_FACTS, replicas=PROD_FACTS.replicas[1:])),
        (),
        Needs(commands=True, last_pr=True),
    ),
}


@pytest.mark.parametrize(("promo", "record", "runs", "expected"), CASES.values(), ids=CASES.keys())
def test_needs(promo: Promotion, record: StageRun | None, runs: tuple[Run, ...], expected: Needs) -> None:
    assert needs(PIPELINE, promo, record, {r.key.item: r for r in runs}) == expected


def test_the_stable_is_read_only_once_its_change_comes() -> None:
    later = needs(PIPELINE, promotion(stage=1, step=5), stage_run(1), {0: canary_done})
    assert later.found == (STABLE,)


def test_promotion_ids() -> None:
    first = promotion_id("1.5.0", at(0), 7)
    assert first.startswith("1.5.0-") and first != promotion_id("1.5.0", at(0), 8)
    assert promotion_id("1.5.0", at(1), 7) > first  # ids of one version sort by age
    assert promotion_id("sha256:ab/cd", at(0), 1).startswith("sha256-ab-cd-")
    assert promotion_id("///", at(0), 3).startswith("version-")
