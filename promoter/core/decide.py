"""The decision: ``decide(pipeline, promotion, snapshot) -> actions``. Purely computational.

It performs no I/O, reads no clock and no environment: the snapshot holds everything observed (``now``
included) and the result is data. The shell executes the actions, folds their results into the snapshot and
calls ``decide`` again until it asks for nothing more, so one pass moves a promotion as far as it can go.

The current step of a promotion moves through:

    Planned -> Open -> Merged -> Verified -> Done            (next step, next stage, or Succeeded)
                 \\        \\          \\
                  \\        +----------+--> Reverting -> Reverted   (promotion Failed, version held)
                   \\                            \\
                    +-> (closed by a person:       +-> Stuck     (a person must finish the revert)
                         promotion Aborted)

The forge is the truth about pull requests: a step's PR is found by its deterministic branch name, so a
crash between an action and its record loses nothing; the next pass observes what happened and records it.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from promoter.core import texts
from promoter.core.actions import (
    Action,
    Comment,
    MergePR,
    OpenRevertPR,
    OpenStepPR,
    Record,
    RefreshApps,
    SetStatus,
)
from promoter.core.changes import Changes
from promoter.core.model import (
    Event,
    Hold,
    Phase,
    Pipeline,
    Promotion,
    Step,
    StepState,
    branch_name,
    revert_branch_name,
)
from promoter.core.pullrequest import PullRequest
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Observed, Verdict, judge, judge_app

Actions = tuple[Action, ...]


def decide(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    """The next actions for this promotion; empty when it must wait (or is finished)."""
    match promotion.phase:
        case Phase.PENDING:
            return _start(pipeline, promotion, snapshot)
        case Phase.PROGRESSING:
            return _progress(pipeline, promotion, snapshot)
        case Phase.SUCCEEDED | Phase.FAILED | Phase.ABORTED:
            return ()
        case unreachable:
            assert_never(unreachable)


# helpers that build records -------------------------------------------------------------------------


def _event(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, kind: str, message: str, **evidence: object
) -> Event:
    step = {"stage": pipeline.stage(promotion.stage).name, "step": promotion.step}
    return Event(pipeline.name, promotion.id, snapshot.now, kind, message, {**step, **evidence})


def _record(
    promotion: Promotion | None = None,
    step: Step | None = None,
    events: tuple[Event, ...] = (),
    holds: tuple[Hold, ...] = (),
) -> Record:
    return Record(Changes(promotion=promotion, steps=(step,) if step else (), events=events, holds=holds))


def _moved(promotion: Promotion, snapshot: Snapshot, **changes: object) -> Promotion:
    return dataclasses.replace(promotion, updated_at=snapshot.now, **changes)  # type: ignore[arg-type]


# Pending ----------------------------------------------------------------------------------------------


def _start(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    if snapshot.held:
        reason = f"{promotion.version} is on hold after a failure; /retry or a newer version lifts it"
        return (
            _record(
                _moved(promotion, snapshot, phase=Phase.ABORTED, reason=reason),
                events=(_event(pipeline, promotion, snapshot, "promotion_refused", reason),),
            ),
        )
    first = pipeline.stage(0).name
    return (
        _record(
            _moved(promotion, snapshot, phase=Phase.PROGRESSING, reason=f"promoting to {first}"),
            events=(
                _event(
                    pipeline, promotion, snapshot, "promotion_started", f"{promotion.version}: starting with {first}"
                ),
            ),
        ),
    )


# Progressing ------------------------------------------------------------------------------------------


def _progress(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    match step.state:
        case StepState.PLANNED:
            return _planned(pipeline, promotion, snapshot)
        case StepState.OPEN:
            return _open(pipeline, promotion, snapshot)
        case StepState.MERGED:
            return _merged(pipeline, promotion, snapshot)
        case StepState.VERIFIED:
            return _verified(pipeline, promotion, snapshot)
        case StepState.DONE:
            return _advance(pipeline, promotion, snapshot)
        case StepState.REVERTING:
            return _reverting(pipeline, promotion, snapshot)
        case StepState.REVERTED:
            return _reverted(pipeline, promotion, snapshot)
        case StepState.STUCK:
            return _stuck(pipeline, promotion, snapshot)
        case unreachable:
            assert_never(unreachable)


def _planned(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step, pr = snapshot.step, snapshot.pr
    stage = pipeline.stage(promotion.stage)
    if pr is not None:
        # The PR exists (perhaps opened just before a crash): adopt it.
        if pr.merged:
            return _merged_now(pipeline, promotion, snapshot, pr)
        if pr.closed_unmerged:
            return _aborted(pipeline, promotion, snapshot, pr)
        opened = dataclasses.replace(step, state=StepState.OPEN, pr_number=pr.number)
        event = _event(pipeline, promotion, snapshot, "step_pr_opened", f"#{pr.number} opened", url=pr.url)
        reason = f"{stage.name}: #{pr.number} open"
        return (_record(_moved(promotion, snapshot, reason=reason), opened, (event,)),)
    if snapshot.failure is not None:
        return _failed_before_merge(pipeline, promotion, snapshot, snapshot.failure)
    proposal = snapshot.proposal
    if proposal is None:
        return ()  # the shell observes the proposal next
    if proposal.error is not None:
        return _failed_before_merge(pipeline, promotion, snapshot, proposal.error)
    if not proposal.changes:
        done = dataclasses.replace(step, state=StepState.DONE)
        event = _event(pipeline, promotion, snapshot, "step_skipped", f"{stage.name} already runs {promotion.version}")
        return (_record(step=done, events=(event,)),)
    title = texts.step_title(pipeline, promotion)
    return (
        OpenStepPR(
            key=promotion.key(),
            branch=branch_name(pipeline.name, promotion.key()),
            base_branch=pipeline.base_branch,
            base_sha=proposal.base_sha,
            changes=proposal.changes,
            title=title,
            body=texts.step_body(pipeline, promotion, proposal.changes),
            labels=pipeline.labels,
            trailers=texts.trailers(pipeline.name, promotion.key()),
        ),
    )


def _open(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    pr = snapshot.pr
    stage = pipeline.stage(promotion.stage)
    if pr is None:
        return ()  # not observed this pass
    if pr.merged:
        return _merged_now(pipeline, promotion, snapshot, pr)
    if pr.closed_unmerged:
        return _aborted(pipeline, promotion, snapshot, pr)
    if snapshot.failure is not None:
        return _failed_before_merge(pipeline, promotion, snapshot, snapshot.failure)
    if len(snapshot.approvals) < stage.merge.approvals:
        reason = (
            f"{stage.name}: #{pr.number} waits for {stage.merge.approvals - len(snapshot.approvals)} more approval(s)"
        )
        if promotion.reason == reason:
            return ()
        return (
            _record(_moved(promotion, snapshot, reason=reason)),
            SetStatus(pr.head_sha, "pending", f"waiting for {stage.merge.approvals} approval(s)"),
        )
    return (MergePR(pr.number, pr.head_sha, stage.merge.method, pr.title),)


def _merged_now(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, pr: PullRequest) -> Actions:
    """The step's PR is merged (by promoter, or found merged after a crash): wait for Argo CD next."""
    stage = pipeline.stage(promotion.stage)
    merged = dataclasses.replace(
        snapshot.step, state=StepState.MERGED, pr_number=pr.number, merge_sha=pr.merge_sha, merged_at=snapshot.now
    )
    message = f"#{pr.number} merged as {(pr.merge_sha or '?')[:7]}"
    event = _event(pipeline, promotion, snapshot, "step_merged", message, sha=pr.merge_sha)
    reason = f"{stage.name}: waiting for Argo CD ({', '.join(stage.applications)})"
    waiting = [f"waiting for {a}" for a in stage.applications]
    return (
        _record(_moved(promotion, snapshot, reason=reason), merged, (event,)),
        RefreshApps(stage.applications),
        Comment(pr.number, texts.STATUS_MARKER, texts.status_comment("merged", waiting)),
    )


def _merged(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    if not snapshot.apps:
        return ()  # not observed this pass
    judgement = judge(snapshot.apps)
    match judgement.verdict:
        case Verdict.FAILED:
            return _fail(pipeline, promotion, snapshot, judgement.summary)
        case Verdict.WAITING:
            assert step.merged_at is not None
            if snapshot.now - step.merged_at > stage.deadline:
                return _fail(
                    pipeline, promotion, snapshot, f"not verified within {stage.deadline}: {judgement.summary}"
                )
            if step.healthy_since is not None:  # it was Healthy, now it is not: the debounce starts over
                return (_record(step=dataclasses.replace(step, healthy_since=None)),)
            reason = f"{stage.name}: {judgement.summary}"
            return () if promotion.reason == reason else (_record(_moved(promotion, snapshot, reason=reason)),)
        case Verdict.HEALTHY:
            if step.healthy_since is None:
                return (_record(step=dataclasses.replace(step, healthy_since=snapshot.now)),)
            if snapshot.now - step.healthy_since < stage.debounce:
                return ()
            verified = dataclasses.replace(step, state=StepState.VERIFIED, verified_at=snapshot.now)
            message = f"{', '.join(stage.applications)} Synced and Healthy at {step.merge_sha or '?'}"
            event = _event(pipeline, promotion, snapshot, "step_verified", message)
            soak = f"; soaking {stage.soak}" if stage.soak else ""
            actions: list[Action] = [
                _record(_moved(promotion, snapshot, reason=f"{stage.name}: verified{soak}"), verified, (event,))
            ]
            # a Merged step knows its PR and its merge
            assert step.merge_sha is not None
            assert step.pr_number is not None
            actions.append(SetStatus(step.merge_sha, "success", f"{stage.name}: verified on Argo CD"))
            lines = [f"{a}: Synced and Healthy at the merge commit" for a in stage.applications]
            actions.append(Comment(step.pr_number, texts.STATUS_MARKER, texts.status_comment("verified", lines)))
            return tuple(actions)
        case unreachable:
            assert_never(unreachable)


def _verified(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    if snapshot.apps:
        judgement = judge(snapshot.apps)
        if judgement.verdict is Verdict.FAILED:  # it broke while soaking
            return _fail(pipeline, promotion, snapshot, f"during the soak: {judgement.summary}")
    assert step.verified_at is not None
    if snapshot.now - step.verified_at < stage.soak:
        return ()
    done = dataclasses.replace(step, state=StepState.DONE)
    event = _event(pipeline, promotion, snapshot, "step_done", f"{stage.name} done")
    return (_record(step=done, events=(event,)),)


def _advance(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    stage = pipeline.stage(promotion.stage)
    # Rolling stages take one step; strategies with several steps per stage will move `promotion.step` here.
    if promotion.stage + 1 < len(pipeline.stages):
        following = pipeline.stage(promotion.stage + 1)
        event = _event(pipeline, promotion, snapshot, "stage_done", f"{stage.name} done; next: {following.name}")
        moved = _moved(promotion, snapshot, stage=promotion.stage + 1, step=0, reason=f"promoting to {following.name}")
        return (_record(moved, events=(event,)),)
    event = _event(pipeline, promotion, snapshot, "promotion_succeeded", f"{promotion.version} runs in every stage")
    return (
        _record(_moved(promotion, snapshot, phase=Phase.SUCCEEDED, reason="every stage verified"), events=(event,)),
    )


# failure ---------------------------------------------------------------------------------------------


def _fail(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """A merged step failed: mark it Reverting, with the evidence; the revert PR follows."""
    step = snapshot.step
    evidence: dict[str, object] = {
        "stage": pipeline.stage(promotion.stage).name,
        "step": promotion.step,
        "reason": reason,
        "merge_sha": step.merge_sha,
        "apps": {name: _evidence(o) for name, o in sorted(snapshot.apps.items())},
    }
    failing = dataclasses.replace(step, state=StepState.REVERTING, failure=reason)
    event = Event(pipeline.name, promotion.id, snapshot.now, "step_failed", reason, evidence)
    # only a merged step fails this way
    assert step.merge_sha is not None
    assert step.pr_number is not None
    lines = [f"**failed**: {reason}", "reverting this change; the version goes on hold"]
    lines += [f"`{name}`: {_evidence(o)}" for name, o in sorted(snapshot.apps.items())]
    return (
        _record(_moved(promotion, snapshot, reason=f"reverting: {reason}"), failing, (event,)),
        SetStatus(step.merge_sha, "failure", reason[:140]),
        Comment(step.pr_number, texts.STATUS_MARKER, texts.status_comment("failed", lines)),
    )


def _evidence(observed: Observed) -> str:
    s = observed.status
    verdict, reason = judge_app(observed)
    revisions = ",".join(r[:12] for r in s.operation_revisions) or "none"
    operation = s.operation_phase.value if s.operation_phase else "none"
    health = f"sync {s.sync.value}, health {s.health.value}"
    return f"{verdict.value} ({reason}); {health}, operation {operation} at {revisions}"


def _reverting(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step, pr = snapshot.step, snapshot.revert_pr
    stage = pipeline.stage(promotion.stage)
    if pr is None:
        if snapshot.failure is not None:
            return _stuck_now(pipeline, promotion, snapshot, snapshot.failure)
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
        return _stuck_now(
            pipeline, promotion, snapshot, f"the revert #{pr.number} conflicts with later commits in {files}", pr.number
        )
    if pr.merged:
        reverted = dataclasses.replace(
            step, state=StepState.REVERTED, revert_pr_number=pr.number, revert_merge_sha=pr.merge_sha
        )
        event = _event(
            pipeline,
            promotion,
            snapshot,
            "revert_merged",
            f"revert #{pr.number} merged as {(pr.merge_sha or '?')[:7]}",
            sha=pr.merge_sha,
        )
        return (_record(step=reverted, events=(event,)), RefreshApps(stage.applications))
    if pr.closed_unmerged:
        return _stuck_now(
            pipeline, promotion, snapshot, f"the revert #{pr.number} was closed without merging", pr.number
        )
    if step.revert_pr_number != pr.number:
        opened = dataclasses.replace(step, revert_pr_number=pr.number)
        event = _event(pipeline, promotion, snapshot, "revert_pr_opened", f"revert #{pr.number} opened", url=pr.url)
        return (_record(step=opened, events=(event,)), MergePR(pr.number, pr.head_sha, "merge", pr.title))
    # Rollbacks ignore windows and approvals: merge at once.
    return (MergePR(pr.number, pr.head_sha, "merge", pr.title),)


def _reverted(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    reason = f"{pipeline.stage(promotion.stage).name} failed and was reverted: {step.failure or 'failed'}"
    hold = Hold(pipeline.name, promotion.version, step.failure or "failed", snapshot.now)
    event = _event(pipeline, promotion, snapshot, "promotion_failed", reason, held=True)
    assert step.revert_pr_number is not None  # Reverted is recorded with its merged revert PR
    lines = [f"reverted by #{step.revert_pr_number} (merged)", f"`{promotion.version}` is on hold"]
    return (
        _record(_moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)),
        Comment(step.revert_pr_number, texts.STATUS_MARKER, texts.status_comment("reverted", lines)),
    )


def _stuck_now(
    pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str, number: int | None = None
) -> Actions:
    step = dataclasses.replace(
        snapshot.step, state=StepState.STUCK, revert_pr_number=number or snapshot.step.revert_pr_number
    )
    event = _event(pipeline, promotion, snapshot, "revert_stuck", reason)
    actions: list[Action] = [_record(step=step, events=(event,))]
    if number:
        lines = [
            f"**needs a person**: {reason}",
            "promoter stopped this pipeline; it never force-pushes or rewrites history",
            "finish the revert on this branch and merge it, then `/retry` or start a newer version",
        ]
        actions.append(Comment(number, texts.STATUS_MARKER, texts.status_comment("revert needs help", lines)))
    return tuple(actions)


def _stuck(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    reason = f"the revert needs a person: {step.failure or 'failed'}"
    hold = Hold(pipeline.name, promotion.version, step.failure or "failed", snapshot.now)
    event = _event(pipeline, promotion, snapshot, "promotion_failed", reason, held=True, stuck=True)
    return (_record(_moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,)),)


def _failed_before_merge(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, reason: str) -> Actions:
    """Nothing was merged, so nothing to revert: the promotion fails with the reason (no hold)."""
    event = _event(pipeline, promotion, snapshot, "promotion_failed", reason)
    return (_record(_moved(promotion, snapshot, phase=Phase.FAILED, reason=reason), events=(event,)),)


def _aborted(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, pr: PullRequest) -> Actions:
    """A person closed the step's PR without merging it: stop, say so on the PR."""
    reason = f"#{pr.number} was closed without merging"
    event = _event(pipeline, promotion, snapshot, "promotion_aborted", reason)
    lines = [f"**aborted**: {reason}", "promoter stopped this promotion; start it again with `promoter start`"]
    return (
        _record(_moved(promotion, snapshot, phase=Phase.ABORTED, reason=reason), events=(event,)),
        Comment(pr.number, texts.STATUS_MARKER, texts.status_comment("aborted", lines)),
    )
