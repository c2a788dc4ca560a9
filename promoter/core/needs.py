"""What the next decision must observe. Purely computational: the records in, a request out.

The shell fulfils exactly this (:mod:`promoter.engine.observe`) and never re-implements the decision's
dispatch: a new step kind or gate adds its needs here, next to the decision that uses them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import assert_never

from promoter.core import analysis, edits, schedule
from promoter.core import plan as plans
from promoter.core.measurements import Measurement
from promoter.core.model import Phase, Pipeline, Promotion, RunKey, branch_name, revert_branch_name
from promoter.core.runs import ChangeRun, ChangeState, GateRun, GateState, Run, StageRun, StageState
from promoter.core.strategies import ResourceRef


@dataclasses.dataclass(frozen=True)
class Needs:
    held: bool = False  # whether the version is on hold
    preflight: bool = False  # every stage checked before the first push
    commands: bool = False  # what operators asked
    found: tuple[ResourceRef, ...] = ()  # located and read at the base head
    pr: str | None = None  # the PR whose head is this branch
    # Only if promoter pushed that branch (a pass that stopped between its push and its record): a PR cannot
    # have a head branch that was never pushed, so without it there is none and the forge need not be asked.
    pr_if_pushed: bool = False
    approvals: bool = False  # of that PR's head, when it is open
    apps: tuple[str, ...] = ()  # each Application's status, after a refresh
    reference: str | None = None  # the merge commit the synced revisions must contain
    deployed: tuple[ResourceRef, ...] = ()  # read at each synced revision that contains ``reference``
    revert_pr: str | None = None  # the PR whose head is this (stage revert) branch
    last_pr: bool = False  # the promotion's latest PR (to label its outcome)
    # analysis: the next measurement of each metric still measuring (taken at or after its due time); the
    # stage's measurements so far are in the snapshot whenever any run measures
    measure: tuple[analysis.Request, ...] = ()
    derive: bool = False  # the Applications deploying the stage's files (it names none), as it starts


def needs(
    pipeline: Pipeline,
    promotion: Promotion,
    stage: StageRun | None,
    runs: Mapping[int, Run],
    measured: Sequence[Measurement] = (),
) -> Needs:
    """What to observe before deciding about ``promotion`` (its current stage's records and measurements
    given)."""
    found = _needs(pipeline, promotion, stage, runs)
    if stage is None or stage.facts is None or stage.state is not StageState.RUNNING:
        return found
    try:
        walked = plans.build(pipeline.stage(promotion.stage), promotion.version, stage.facts)
        requests = tuple(
            request
            for running in schedule.active(walked, runs, promotion.step)
            for request in running.state(promotion.stage, measured).due
        )
    except (plans.PlanError, analysis.AnalysisError):
        return found  # the decision fails the stage with the reason
    return dataclasses.replace(found, measure=requests) if requests else found


def _needs(pipeline: Pipeline, promotion: Promotion, stage: StageRun | None, runs: Mapping[int, Run]) -> Needs:
    if promotion.phase is Phase.PENDING:
        return Needs(held=True, preflight=True)
    if promotion.phase is not Phase.PROGRESSING:
        return Needs()
    config = pipeline.stage(promotion.stage)
    if stage is None or stage.facts is None:
        return Needs(commands=True, found=plans.fact_refs(config), last_pr=True, derive=plans.derives(config))
    config = plans.with_applications(pipeline, promotion.stage, stage.facts).stage(promotion.stage)
    if stage.state is StageState.REVERTING:
        branch = revert_branch_name(pipeline.name, promotion.id, promotion.stage)
        return Needs(commands=True, revert_pr=branch, last_pr=True)
    if stage.state is not StageState.RUNNING:
        return Needs(last_pr=True)
    try:
        walked = plans.build(config, promotion.version, stage.facts)
    except plans.PlanError:
        return Needs(commands=True, last_pr=True)
    index = promotion.step
    if index >= len(walked.items):
        return Needs(commands=True, last_pr=True)
    item, run = walked.items[index], runs.get(index)
    evidence = _evidence(config.applications, walked, runs, index)
    if isinstance(item, plans.Gate):
        if isinstance(run, GateRun) and run.state is GateState.PASSED:
            return Needs(commands=True)
        return dataclasses.replace(evidence, commands=True, last_pr=True)
    change = run if isinstance(run, ChangeRun) else ChangeRun(RunKey(promotion.id, promotion.stage, index))
    branch = branch_name(pipeline.name, change.key)
    refs = tuple(dict.fromkeys(plans_refs(item)))
    match change.state:
        case ChangeState.PLANNED:
            return Needs(commands=True, pr=branch, pr_if_pushed=True, found=refs, last_pr=True)
        case ChangeState.OPEN:
            return Needs(commands=True, pr=branch, approvals=config.merge.approvals > 0, last_pr=True)
        case ChangeState.MERGED:
            return dataclasses.replace(
                _evidence(config.applications, walked, runs, index + 1), commands=True, last_pr=True
            )
        case ChangeState.DONE:
            return Needs(commands=True, last_pr=True)
        case unreachable:
            assert_never(unreachable)


def plans_refs(change: plans.Change) -> tuple[ResourceRef, ...]:
    return tuple(edits.ref(e) for e in change.edits)


def _evidence(applications: tuple[str, ...], walked: plans.StagePlan, runs: Mapping[int, Run], upto: int) -> Needs:
    """The stage's Applications, judged at its latest merged change before item ``upto``, on the files of
    every change merged so far (their edits must all still hold there)."""
    merged = merged_changes(walked, runs, upto)
    if not merged:
        return Needs()
    refs: dict[ResourceRef, None] = {}
    for _, change, _ in merged:
        refs.update(dict.fromkeys(plans_refs(change)))
    return Needs(apps=applications, reference=merged[-1][2].merge_sha, deployed=tuple(refs))


def merged_changes(
    walked: plans.StagePlan, runs: Mapping[int, Run], upto: int
) -> list[tuple[int, plans.Change, ChangeRun]]:
    """The stage's changes merged before item ``upto``, in order, with their runs."""
    found = []
    for index, item in enumerate(walked.items[:upto]):
        run = runs.get(index)
        if isinstance(item, plans.Change) and isinstance(run, ChangeRun) and run.merge_sha is not None:
            found.append((index, item, run))
    return found
