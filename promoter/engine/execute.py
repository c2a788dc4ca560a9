"""Applying the decision's actions. Each one is idempotent; results are folded into the snapshot."""

from __future__ import annotations

import dataclasses

import structlog

from promoter.core import texts
from promoter.core.actions import Action, Comment, MergePR, OpenRevertPR, OpenStepPR, Record, RefreshApps, SetStatus
from promoter.core.model import Pipeline, StepState
from promoter.core.snapshot import Snapshot
from promoter.engine.runtime import Runtime
from promoter.errors import PermanentError

log = structlog.get_logger("promoter.execute")


@dataclasses.dataclass(frozen=True)
class Outcome:
    snapshot: Snapshot
    recorded: bool  # the store changed: observe again before deciding


def execute(rt: Runtime, pipeline: Pipeline, snapshot: Snapshot, actions: tuple[Action, ...]) -> Outcome:
    """Apply the actions in order; a permanent failure stops the list and is handed back to ``decide``."""
    recorded = False
    for action in actions:
        try:
            before = snapshot
            snapshot, changed = _apply(rt, pipeline, snapshot, action)
            rt.faults.reached(*_points(pipeline, before, type(action).__name__))
        except PermanentError as exc:
            log.warning("action_failed", pipeline=pipeline.name, action=type(action).__name__, error=str(exc))
            return Outcome(dataclasses.replace(snapshot, failure=str(exc)), recorded)
        recorded = recorded or changed
    return Outcome(snapshot, recorded)


def _apply(rt: Runtime, pipeline: Pipeline, snapshot: Snapshot, action: Action) -> tuple[Snapshot, bool]:
    match action:
        case Record(changes):
            rt.store.commit(pipeline.name, changes)
            for event in changes.events:
                log.info(event.kind, pipeline=event.pipeline, promotion=event.promotion, message=event.message)
            return snapshot, True
        case OpenStepPR():
            # The proposal was computed on a fetch made moments ago in this pass: no second fetch.
            message = texts.commit_message(action.title, f"Promotes {pipeline.name} ({action.key.promotion}).")
            head = rt.repo.commit_edit(action.branch, action.base_sha, action.changes, message, action.trailers)
            rt.faults.reached(*_points(pipeline, snapshot, "OpenStepPR.pushed"))
            pr = rt.forge.open_pr(action.branch, action.base_branch, action.title, action.body, action.labels)
            rt.forge.set_status(head, "pending", "waiting for the merge policy")
            return dataclasses.replace(snapshot, pr=pr), False
        case MergePR(number, head_sha, method, title):
            sha = rt.forge.merge(number, head_sha, method, title)
            merged = _merged(snapshot, number, sha)
            return merged, False
        case OpenRevertPR():
            rt.repo.fetch(action.base_branch)
            result = rt.repo.revert(action.branch, action.base_branch, action.merge_sha, action.title, action.trailers)
            rt.faults.reached(*_points(pipeline, snapshot, "OpenRevertPR.pushed"))
            if result.sha is None:
                raise PermanentError(f"nothing to revert: {action.merge_sha[:12]} is already undone on the base branch")
            pr = rt.forge.open_pr(action.branch, action.base_branch, action.title, action.body, action.labels)
            return dataclasses.replace(snapshot, revert_pr=pr, revert_conflicts=result.conflicts), False
        case RefreshApps(names):
            for name in names:
                rt.deployments.app_status(name, refresh=True)
            return snapshot, False
        case Comment(number, marker, body):
            rt.forge.upsert_comment(number, marker, body)
            return snapshot, False
        case SetStatus(sha, state, description):
            rt.forge.set_status(sha, state, description)
            return snapshot, False


def _merged(snapshot: Snapshot, number: int, sha: str) -> Snapshot:
    """The snapshot after a merge: the PR (step or revert) is merged at ``sha``."""
    if snapshot.pr is not None and snapshot.pr.number == number:
        return dataclasses.replace(
            snapshot, pr=dataclasses.replace(snapshot.pr, merged=True, state="closed", merge_sha=sha)
        )
    if snapshot.revert_pr is not None and snapshot.revert_pr.number == number:
        revert = dataclasses.replace(snapshot.revert_pr, merged=True, state="closed", merge_sha=sha)
        return dataclasses.replace(snapshot, revert_pr=revert)
    return snapshot


def _points(pipeline: Pipeline, snapshot: Snapshot, name: str) -> tuple[str, ...]:
    """A fault point by name, by name in a stage (``MergePR@prod``), and during a revert (``MergePR@revert``)."""
    stage = pipeline.stage(snapshot.step.key.stage).name
    reverting = snapshot.step.state is StepState.REVERTING
    return (name, f"{name}@{stage}", *((f"{name}@revert",) if reverting else ()))
