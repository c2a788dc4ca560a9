"""The failure side of the decision: a step that failed is reverted, and the version held.

Pure, like the rest of the core: ``fail`` records why (with the evidence) and marks the step Reverting; the
revert PR is opened, merged at once (rollbacks ignore windows and approvals), and the promotion ends Failed
with the version on hold. A revert that conflicts with a person's later commit asks for help and stops.
"""

from __future__ import annotations

import dataclasses

from promoter.core import records, texts
from promoter.core.actions import Action, Comment, MergePR, OpenRevertPR, RefreshApps, SetStatus
from promoter.core.model import Event, Hold, Phase, Pipeline, Promotion, StepState, revert_branch_name
from promoter.core.pullrequest import PullRequest
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Observed, judge_app

Actions = tuple[Action, ...]


def fail(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """A merged step failed: mark it Reverting, with the evidence; the revert PR follows."""
    step = snapshot.step
    evidence: dict[str, object] = {
        "stage": pipeline.stage(promotion.stage).name,
        "step": promotion.step,
        "reason": reason,
        "merge_sha": step.merge_sha,
        "apps": {name: describe(o) for name, o in sorted(snapshot.apps.items())},
    }
    failing = dataclasses.replace(step, state=StepState.REVERTING, failure=reason)
    event = Event(pipeline.name, promotion.id, snapshot.now, "step_failed", reason, evidence)
    # only a merged step fails this way
    assert step.merge_sha is not None
    assert step.pr_number is not None
    lines = [f"**failed**: {reason}", "reverting this change; the version goes on hold"]
    lines += [f"`{name}`: {describe(o)}" for name, o in sorted(snapshot.apps.items())]
    return (
        records.record(records.moved(promotion, snapshot, reason=f"reverting: {reason}"), failing, (event,)),
        SetStatus(step.merge_sha, "failure", reason[:140]),
        Comment(step.pr_number, texts.STATUS_MARKER, texts.status_comment("failed", lines)),
    )


def describe(observed: Observed) -> str:
    s = observed.status
    verdict, reason = judge_app(observed)
    revisions = ",".join(r[:12] for r in s.operation_revisions) or "none"
    operation = s.operation_phase.value if s.operation_phase else "none"
    health = f"sync {s.sync.value}, health {s.health.value}"
    return f"{verdict.value} ({reason}); {health}, operation {operation} at {revisions}"


def reverting(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step, pr = snapshot.step, snapshot.revert_pr
    stage = pipeline.stage(promotion.stage)
    if pr is None:
        if snapshot.failure is not None:
            return stuck_now(pipeline, promotion, snapshot, snapshot.failure)
        assert step.merge_sha is not None
        return (
            OpenRevertPR(
                key=promotion.key(),
                branch=revert_branch_name(pipeline.name, promotion.key()),
                base_branch=pipeline.base_branch,
                merge_sha=step.merge_sha,
                title=texts.revert_title(pipeline, promotion),
                body=texts.revert_body(pipeline, promotion, step.merge_sha, step.failure or "failed", step.pr_number),
                labels=(*pipeline.labels, "revert"),
                trailers=texts.trailers(pipeline.name, promotion.key(), "revert"),
            ),
        )
    if snapshot.revert_conflicts:
        files = ", ".join(f"`{f}`" for f in snapshot.revert_conflicts)
        return stuck_now(
            pipeline, promotion, snapshot, f"the revert #{pr.number} conflicts with later commits in {files}", pr.number
        )
    if pr.merged:
        reverted = dataclasses.replace(
            step, state=StepState.REVERTED, revert_pr_number=pr.number, revert_merge_sha=pr.merge_sha
        )
        event = records.event(
            pipeline,
            promotion,
            snapshot,
            "revert_merged",
            f"revert #{pr.number} merged as {(pr.merge_sha or '?')[:7]}",
            sha=pr.merge_sha,
        )
        return (records.record(step=reverted, events=(event,)), RefreshApps(stage.applications))
    if pr.closed_unmerged:
        return stuck_now(
            pipeline, promotion, snapshot, f"the revert #{pr.number} was closed without merging", pr.number
        )
    if step.revert_pr_number != pr.number:
        opened = dataclasses.replace(step, revert_pr_number=pr.number)
        event = records.event(
            pipeline, promotion, snapshot, "revert_pr_opened", f"revert #{pr.number} opened", url=pr.url
        )
        return (records.record(step=opened, events=(event,)), MergePR(pr.number, pr.head_sha, "merge", pr.title))
    # Rollbacks ignore windows and approvals: merge at once.
    return (MergePR(pr.number, pr.head_sha, "merge", pr.title),)


def reverted(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    reason = f"{pipeline.stage(promotion.stage).name} failed and was reverted: {step.failure or 'failed'}"
    hold = Hold(pipeline.name, promotion.version, step.failure or "failed", snapshot.now)
    event = records.event(pipeline, promotion, snapshot, "promotion_failed", reason, held=True)
    assert step.revert_pr_number is not None  # Reverted is recorded with its merged revert PR
    lines = [f"reverted by #{step.revert_pr_number} (merged)", f"`{promotion.version}` is on hold"]
    return (
        records.record(
            records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)
        ),
        Comment(step.revert_pr_number, texts.STATUS_MARKER, texts.status_comment("reverted", lines)),
    )


def stuck_now(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str, number: int | None = None
) -> Actions:
    step = dataclasses.replace(
        snapshot.step, state=StepState.STUCK, revert_pr_number=number or snapshot.step.revert_pr_number
    )
    event = records.event(pipeline, promotion, snapshot, "revert_stuck", reason)
    actions: list[Action] = [records.record(step=step, events=(event,))]
    if number:
        lines = [
            f"**needs a person**: {reason}",
            "promoter stopped this pipeline; it never force-pushes or rewrites history",
            "finish the revert on this branch and merge it, then `/retry` or start a newer version",
        ]
        actions.append(Comment(number, texts.STATUS_MARKER, texts.status_comment("revert needs help", lines)))
    return tuple(actions)


def stuck(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    reason = f"the revert needs a person: {step.failure or 'failed'}"
    hold = Hold(pipeline.name, promotion.version, step.failure or "failed", snapshot.now)
    event = records.event(pipeline, promotion, snapshot, "promotion_failed", reason, held=True, stuck=True)
    return (
        records.record(
            records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)
        ),
    )


def failed_before_merge(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """Nothing was merged, so nothing to revert: the promotion fails with the reason (no hold)."""
    event = records.event(pipeline, promotion, snapshot, "promotion_failed", reason)
    return (records.record(records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,)),)


def aborted(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, pr: PullRequest) -> Actions:
    """A person closed the step's PR without merging it: stop, say so on the PR."""
    reason = f"#{pr.number} was closed without merging"
    event = records.event(pipeline, promotion, snapshot, "promotion_aborted", reason)
    lines = [f"**aborted**: {reason}", "promoter stopped this promotion; start it again with `promoter start`"]
    return (
        records.record(records.moved(promotion, snapshot, phase=Phase.ABORTED, reason=reason), events=(event,)),
        Comment(pr.number, texts.STATUS_MARKER, texts.status_comment("aborted", lines)),
    )
