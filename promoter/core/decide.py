"""The decision: ``decide(pipeline, promotion, snapshot) -> Decision``. Purely computational.

It performs no I/O, reads no clock and no environment: the snapshot holds everything observed (``now``
included; exactly what :func:`promoter.core.needs.needs` asked for) and the result is data: actions, and when
to look again. The shell executes the actions, folds their results into the snapshot and calls ``decide``
again until it asks for nothing more, so one pass moves a promotion as far as it can go.

A promotion starts only when every stage passed the preflight (files, edits, Applications, base branch).
Then, stage by stage, it walks the stage's plan (:mod:`promoter.core.plan`): each change is one PR
(:mod:`.change`: Planned -> Open -> Merged -> Done), each gate a wait on fresh evidence (:mod:`.gate`);
a failure anywhere reverts every merged change of the stage in one PR (:mod:`.failure`):

    stage:  Running --(an item fails, or abort)--> Reverting -> Reverted   (promotion Failed/Aborted, held)
                                                          \\-> Stuck      (a person must finish the revert)

Rules that keep it safe: a stage is left only when its latest observation still says verified; past a
deadline a change (or a lost verification) has failed, whatever is observed then (an observation error
included); promoter adopts only PRs whose hidden marker is exactly this promotion's. The forge is the truth
about pull requests: each change's PR is found by its deterministic branch name, so a crash between an action
and its record loses nothing; the next pass observes what happened and records it.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from promoter.core import change, evaluation, failure, gate, operators, records, versions
from promoter.core import plan as plans
from promoter.core.actions import Decision
from promoter.core.model import EventKind, Phase, Pipeline, Promotion
from promoter.core.resources import Found
from promoter.core.runs import ChangeRun, GateRun, StageRun, StageState
from promoter.core.snapshot import Snapshot
from promoter.core.strategies import ResourceRef
from promoter.core.walk import Walk, earliest


def decide(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Decision:
    """The next actions for this promotion (empty when it must wait, or is finished) and when to look again."""
    match promotion.phase:
        case Phase.PENDING:
            return _start(pipeline, promotion, snapshot)
        case Phase.PROGRESSING:
            return _progress(pipeline, promotion, snapshot)
        case Phase.SUCCEEDED | Phase.FAILED | Phase.ABORTED:
            return Decision()
        case unreachable:
            assert_never(unreachable)


# Pending ----------------------------------------------------------------------------------------------


def _start(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Decision:
    problem = versions.problem(promotion.version)
    if problem is not None:
        return _refused(pipeline, promotion, snapshot, Phase.FAILED, f"refused: {problem}")
    if snapshot.held:
        reason = f"{promotion.version} is on hold after a failure: `promoter retry` lifts it (or promote a newer one)"
        return _refused(pipeline, promotion, snapshot, Phase.ABORTED, reason)
    preflight = snapshot.preflight
    if preflight is None:
        return Decision()  # the shell observes the preflight next
    if preflight.problems:
        reason = "refused before anything was pushed: " + "; ".join(preflight.problems)
        return _refused(pipeline, promotion, snapshot, Phase.FAILED, reason)
    first = pipeline.stage(0).name
    event = records.event(
        pipeline, promotion, snapshot, EventKind.PROMOTION_STARTED, f"{promotion.version}: starting with {first}"
    )
    moved = records.moved(promotion, snapshot, phase=Phase.PROGRESSING, reason=f"promoting to {first}")
    return Decision((records.record(moved, events=(event,)),))


def _refused(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, phase: Phase, reason: str) -> Decision:
    event = records.event(pipeline, promotion, snapshot, EventKind.PROMOTION_REFUSED, reason)
    return Decision((records.record(records.moved(promotion, snapshot, phase=phase, reason=reason), events=(event,)),))


# Progressing ------------------------------------------------------------------------------------------


def _progress(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Decision:
    record = snapshot.stage or StageRun(promotion.id, promotion.stage)
    if record.facts is None:
        return _stage_start(pipeline, promotion, snapshot, record)
    pipeline = plans.with_applications(pipeline, promotion.stage, record.facts)
    stage = pipeline.stage(promotion.stage)
    try:
        walked = plans.build(stage, promotion.version, record.facts)
    except plans.PlanError as exc:  # the facts were read at the start: this is a bug upstream, or a new config
        w = Walk(pipeline, promotion, snapshot, stage, record, plans.StagePlan(()))
        return failure.fail(w, f"{stage.name}: {exc}")
    w = Walk(pipeline, promotion, snapshot, stage, record, walked)
    if snapshot.commands:
        return operators.apply(w, snapshot.commands)
    match record.state:
        case StageState.REVERTING:
            return failure.reverting(w)
        case StageState.REVERTED:
            return failure.reverted(w)
        case StageState.STUCK:
            return failure.stuck(w)
        case StageState.RUNNING:
            pass
        case unreachable:
            assert_never(unreachable)
    background, blocks = evaluation.background(w)
    if blocks:
        return background
    if w.index >= len(walked.items):
        return w.stage_done()
    item, run = walked.items[w.index], snapshot.runs.get(w.index)
    if isinstance(item, plans.Change):
        decided = change.walk(w, item, run if isinstance(run, ChangeRun) else None)
    else:
        decided = gate.walk(w, item, run if isinstance(run, GateRun) else None)
    if not background.actions and background.wake_at is None:
        return decided
    # the background run's table and its next measurement, with the item's own decision
    return Decision((*background.actions, *decided.actions), earliest(background.wake_at, decided.wake_at))


def _stage_start(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, record: StageRun) -> Decision:
    """Read the stage's facts (replica counts, the live colour) at the base head and build its plan."""
    stage = pipeline.stage(promotion.stage)
    empty = Walk(pipeline, promotion, snapshot, stage, record, plans.StagePlan(()))
    found: dict[ResourceRef, Found] = {}
    for ref in plans.fact_refs(stage):
        where = snapshot.found.get(ref)
        if where is None:
            return Decision()  # the shell observes them next
        if isinstance(where, str):
            return failure.before_merge(empty, f"{stage.name} cannot start: {where}")
        found[ref] = where
    facts = plans.read_facts(stage, found)
    if plans.derives(stage):
        derived = snapshot.derived
        if derived is None:
            return Decision()  # the shell finds them next
        if isinstance(derived, str):
            return failure.before_merge(empty, f"{stage.name} cannot start: {derived}")
        facts = dataclasses.replace(facts, applications=derived)
    try:
        walked = plans.build(stage, promotion.version, facts)
    except plans.PlanError as exc:
        return failure.before_merge(empty, f"{stage.name} cannot start: {exc}")
    if promotion.paused:
        return Decision()
    started = dataclasses.replace(record, facts=facts)
    steps = ", ".join(item.label for item in walked.items)
    event = records.event(
        pipeline, promotion, snapshot, EventKind.STAGE_STARTED, f"{stage.name}: {steps}", facts=facts.to_json()
    )
    return Decision((records.record(events=(event,), stage=started),))
