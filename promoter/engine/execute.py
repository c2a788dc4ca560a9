"""Applying the decision's actions. Each one is idempotent; results are folded into the snapshot.

A permanent failure of an action that changes something (a push, a merge) is handed back to the decision;
a report that cannot be written (a comment, a status, a label) is logged and skipped, so what a person is
told never blocks what promoter must do; a refused token stops the pass (a person must fix it). A refresh
Argo CD cannot take now (it is down) is kept in the store and asked again at the start of later passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from promoter import logs
from promoter.core import texts
from promoter.core.actions import (
    Action,
    Comment,
    Label,
    MergePR,
    OpenRevertPR,
    OpenStepPR,
    Record,
    RefreshApps,
    SetStatus,
    Unlabel,
)
from promoter.core.model import EventKind, Pipeline, Promotion
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import StageState
from promoter.core.snapshot import Snapshot
from promoter.engine.runtime import Runtime
from promoter.errors import CredentialError, PermanentError, PromoterError

log = logs.get("promoter.execute")

# Events that mean something went wrong: logged at warning (or error, when a person must act).
_WARNINGS = frozenset(
    {
        EventKind.STEP_FAILED,
        EventKind.GATE_UNVERIFIED,
        EventKind.REVERT_PR_OPENED,
        EventKind.REVERT_MERGED,
        EventKind.PROMOTION_FAILED,
        EventKind.PROMOTION_ABORTED,
        EventKind.PROMOTION_REFUSED,
        EventKind.COMMAND_REFUSED,
    }
)
_ERRORS = frozenset({EventKind.REVERT_STUCK, EventKind.STEP_BLOCKED})  # a person must act


@dataclasses.dataclass(frozen=True)
class Outcome:
    snapshot: Snapshot
    recorded: bool  # the store changed: observe again before deciding
    opened: bool = False  # a step PR was opened (``snapshot.pr`` is the forge's answer): no need to read it


def execute(
    rt: Runtime, pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, actions: tuple[Action, ...]
) -> Outcome:
    """Apply the actions in order; a permanent failure stops the list and is handed back to ``decide``."""
    recorded = opened = False
    for action in actions:
        try:
            before = snapshot
            snapshot, changed = _apply(rt, pipeline, promotion, snapshot, action)
            rt.faults.reached(*_points(pipeline, before, type(action).__name__, promotion.stage))
        except CredentialError:
            raise
        except PermanentError as exc:
            log.warning("action_failed", pipeline=pipeline.name, action=type(action).__name__, error=str(exc))
            return Outcome(dataclasses.replace(snapshot, failure=str(exc)), recorded, opened)
        recorded = recorded or changed
        opened = opened or isinstance(action, OpenStepPR)
    return Outcome(snapshot, recorded, opened)


def _apply(
    rt: Runtime, pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, action: Action
) -> tuple[Snapshot, bool]:
    match action:
        case Record(changes):
            rt.store.commit(pipeline.name, changes)
            for event in changes.events:
                level = log.error if event.kind in _ERRORS else log.warning if event.kind in _WARNINGS else log.info
                level(event.kind.value, pipeline=event.pipeline, promotion=event.promotion, message=event.message)
            return snapshot, True
        case OpenStepPR():
            # The proposal was computed on a fetch made moments ago in this pass: no second fetch.
            message = texts.commit_message(action.title, f"Promotes {pipeline.name} ({action.key.promotion}).")
            rt.repo.commit_edit(action.branch, action.base_sha, action.changes, message, action.trailers)
            rt.faults.reached(*_points(pipeline, snapshot, "OpenStepPR.pushed", promotion.stage))
            pr = rt.forge.open_pr(action.branch, action.base_branch, action.title, action.body, action.labels)
            # No pending status here: the core sets one where a PR waits (for approvals); one merged at once
            # gets its verdict only (fewer requests per step).
            return dataclasses.replace(snapshot, pr=pr), False
        case MergePR(number, head_sha, method, title):
            sha = rt.forge.merge(number, head_sha, method.value, title)
            merged = _merged(snapshot, number, sha)
            return merged, False
        case OpenRevertPR():
            rt.repo.fetch(action.base_branch)
            result = rt.repo.revert(action.branch, action.base_branch, action.merge_shas, action.title, action.trailers)
            rt.faults.reached(*_points(pipeline, snapshot, "OpenRevertPR.pushed", promotion.stage))
            if result.sha is None:
                merges = ", ".join(sha[:12] for sha in action.merge_shas)
                raise PermanentError(f"nothing to revert: {merges} already undone on the base branch")
            pr = rt.forge.open_pr(action.branch, action.base_branch, action.title, action.body, action.labels)
            return dataclasses.replace(snapshot, revert_pr=pr, revert_conflicts=result.conflicts), False
        case RefreshApps(names):
            refresh(rt, pipeline.name, names)
            return snapshot, False
        case Comment(number, marker, body):
            _report(pipeline, action, lambda: rt.forge.upsert_comment(number, marker, body))
            return snapshot, False
        case Label(number, names):
            _report(pipeline, action, lambda: rt.forge.add_labels(number, names))
            return snapshot, False
        case Unlabel(number, names):
            _report(pipeline, action, lambda: rt.forge.remove_labels(number, names))
            return snapshot, False
        case SetStatus(sha, state, description, context):
            _report(pipeline, action, lambda: rt.forge.set_status(sha, state.value, description, context=context))
            return snapshot, False


def refresh(rt: Runtime, pipeline: str, names: Sequence[str]) -> None:
    """Ask Argo CD to refresh; what it cannot take now is remembered and asked again later."""
    owed = []
    for name in names:
        try:
            rt.deployments.app_status(name, refresh=True)
        except PromoterError as exc:
            log.warning("refresh_deferred", pipeline=pipeline, application=name, error=str(exc))
            owed.append(name)
    if owed:
        rt.store.want_refresh(pipeline, owed, rt.clock.now())


def _report(pipeline: Pipeline, action: Action, write: Callable[[], None]) -> None:
    try:
        write()
    except CredentialError:
        raise
    except PermanentError as exc:
        log.warning("report_failed", pipeline=pipeline.name, action=type(action).__name__, error=str(exc))


def _merged(snapshot: Snapshot, number: int, sha: str) -> Snapshot:
    """The snapshot after a merge: the PR (a change's or the revert) is merged at ``sha``, now."""
    merged = {"merged": True, "state": "closed", "merge_sha": sha, "merged_at": snapshot.now}
    if isinstance(snapshot.pr, PullRequest) and snapshot.pr.number == number:
        return dataclasses.replace(snapshot, pr=dataclasses.replace(snapshot.pr, **merged))  # type: ignore[arg-type]
    if isinstance(snapshot.revert_pr, PullRequest) and snapshot.revert_pr.number == number:
        revert = dataclasses.replace(snapshot.revert_pr, **merged)  # type: ignore[arg-type]
        return dataclasses.replace(snapshot, revert_pr=revert)
    return snapshot


def _points(pipeline: Pipeline, snapshot: Snapshot, name: str, stage_index: int) -> tuple[str, ...]:
    """A fault point by name, by name in a stage (``MergePR@prod``), and during a revert (``MergePR@revert``)."""
    stage = pipeline.stage(stage_index).name
    reverting = snapshot.stage is not None and snapshot.stage.state is StageState.REVERTING
    return (name, f"{name}@{stage}", *((f"{name}@revert",) if reverting else ()))
