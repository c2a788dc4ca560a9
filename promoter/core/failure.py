"""The failure side of the decision: a step that failed is reverted, and the version held.

Pure, like the rest of the core: ``fail`` reports why on the PR and its merge commit (with the evidence) and
marks the step Reverting; the revert PR is opened, merged at once (rollbacks ignore windows and approvals),
and the promotion ends Failed with the version on hold. A revert that conflicts with a person's later commit
asks for help and stops. How a promotion ended is labelled on its last PR before the store records it, so a
lost store is rebuilt with the same outcome and the same holds.
"""

from __future__ import annotations

import dataclasses

from promoter.core import markers, records, texts
from promoter.core.actions import Action, Comment, Label, MergePR, OpenRevertPR, RefreshApps, SetStatus
from promoter.core.markers import Kind, Outcome
from promoter.core.model import Event, Hold, Phase, Pipeline, Promotion, StepState, revert_branch_name
from promoter.core.pullrequest import PullRequest
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Observed, judge_app

Actions = tuple[Action, ...]

_HELD = (Outcome.FAILED.value, markers.HELD)


def foreign(pipeline: Pipeline, promotion: Promotion, pr: PullRequest, kind: Kind) -> str | None:
    """Why ``pr`` is not this step's own PR (its marker names another promotion, or there is none), else None."""
    expected = texts.marker(pipeline, promotion, kind)
    found = markers.parse(pr.body)
    if found == expected:
        return None
    whose = "it has no promoter marker" if found is None else f"its marker names {found.pipeline}/{found.promotion}"
    return (
        f"#{pr.number} on {pr.head_branch} is not this promotion's {kind.value} PR ({whose}); "
        "promoter never adopts another promotion's PR"
    )


def fail(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """A merged step failed: say so on its PR and merge commit, with the evidence; the revert PR follows."""
    step = snapshot.step
    evidence: dict[str, object] = {
        "stage": pipeline.stage(promotion.stage).name,
        "step": promotion.step,
        "reason": reason,
        "merge_sha": step.merge_sha,
        "apps": {name: describe(name, o, step.settled) for name, o in sorted(snapshot.apps.items())},
    }
    failing = dataclasses.replace(step, state=StepState.REVERTING, failure=reason)
    event = Event(pipeline.name, promotion.id, snapshot.now, "step_failed", reason, evidence)
    # only a merged step fails this way
    assert step.merge_sha is not None
    assert step.pr_number is not None
    lines = [f"**failed**: {reason}", "reverting this change; the version goes on hold"]
    lines += [f"`{name}`: {describe(name, o, step.settled)}" for name, o in sorted(snapshot.apps.items())]
    marker = texts.marker(pipeline, promotion)
    return (
        SetStatus(step.merge_sha, "failure", reason[:140]),
        Comment(step.pr_number, marker.status(), texts.status_comment(marker, "failed", lines)),
        records.record(records.moved(promotion, snapshot, reason=f"reverting: {reason}"), failing, (event,)),
    )


def describe(name: str, observed: Observed, settled: bool = False) -> str:
    verdict, reason = judge_app(name, observed, settled)
    s = observed.status
    if s is None:
        return f"{verdict.value} ({reason})"
    revisions = ",".join(r[:12] for r in s.operation_revisions) or "none"
    operation = s.operation_phase.value if s.operation_phase else "none"
    health = f"sync {s.sync.value}, health {s.health.value}"
    return f"{verdict.value} ({reason}); {health}, operation {operation} at {revisions}"


def reverting(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step, pr = snapshot.step, snapshot.revert_pr
    stage = pipeline.stage(promotion.stage)
    if pr is not None and (stranger := foreign(pipeline, promotion, pr, Kind.REVERT)) is not None:
        return stuck_now(pipeline, promotion, snapshot, stranger)
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
                trailers=texts.trailers(texts.marker(pipeline, promotion, Kind.REVERT)),
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
        # The refresh is asked after the record: if Argo CD is down it is kept and asked again later.
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
    marker = texts.marker(pipeline, promotion, Kind.REVERT)
    return (
        Label(step.revert_pr_number, _HELD),
        Comment(step.revert_pr_number, marker.status(), texts.status_comment(marker, "reverted", lines)),
        records.record(
            records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)
        ),
    )


def stuck_now(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str, number: int | None = None
) -> Actions:
    step = dataclasses.replace(
        snapshot.step, state=StepState.STUCK, revert_pr_number=number or snapshot.step.revert_pr_number
    )
    event = records.event(pipeline, promotion, snapshot, "revert_stuck", reason)
    actions: list[Action] = []
    if number:
        lines = [
            f"**needs a person**: {reason}",
            "promoter stopped this pipeline; it never force-pushes or rewrites history",
            "finish the revert on this branch and merge it, then `/retry` or start a newer version",
        ]
        marker = texts.marker(pipeline, promotion, Kind.REVERT)
        actions.append(Comment(number, marker.status(), texts.status_comment(marker, "revert needs help", lines)))
    actions.append(records.record(step=step, events=(event,)))
    return tuple(actions)


def stuck(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    reason = f"the revert needs a person: {step.failure or 'failed'}"
    hold = Hold(pipeline.name, promotion.version, step.failure or "failed", snapshot.now)
    event = records.event(pipeline, promotion, snapshot, "promotion_failed", reason, held=True, stuck=True)
    labelled = step.revert_pr_number or step.pr_number
    assert labelled is not None  # only a merged step gets stuck reverting
    return (
        Label(labelled, _HELD),
        records.record(
            records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)
        ),
    )


def failed_before_merge(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """Nothing of this step was merged, so nothing to revert: the promotion fails with the reason (no hold)."""
    event = records.event(pipeline, promotion, snapshot, "promotion_failed", reason)
    own = snapshot.step.pr_number  # the step's own PR, when it has one (never a stranger's)
    last = own or snapshot.last_pr
    label = (Label(last, (Outcome.FAILED.value,)),) if last else ()
    return (
        *label,
        records.record(records.moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,)),
    )


def aborted(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, pr: PullRequest) -> Actions:
    """A person closed the step's PR without merging it: stop, say so on the PR."""
    reason = f"#{pr.number} was closed without merging"
    event = records.event(pipeline, promotion, snapshot, "promotion_aborted", reason)
    lines = [f"**aborted**: {reason}", "promoter stopped this promotion; start it again with `promoter start`"]
    marker = texts.marker(pipeline, promotion)
    return (
        Label(pr.number, (Outcome.ABORTED.value,)),
        Comment(pr.number, marker.status(), texts.status_comment(marker, "aborted", lines)),
        records.record(records.moved(promotion, snapshot, phase=Phase.ABORTED, reason=reason), events=(event,)),
    )
