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

from promoter.core import failure, records, texts
from promoter.core.actions import (
    Action,
    Comment,
    MergePR,
    OpenStepPR,
    RefreshApps,
    SetStatus,
)
from promoter.core.model import (
    Phase,
    Pipeline,
    Promotion,
    StepState,
    branch_name,
)
from promoter.core.pullrequest import PullRequest
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Verdict, judge

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


# Pending ----------------------------------------------------------------------------------------------


def _start(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    if snapshot.held:
        reason = f"{promotion.version} is on hold after a failure; /retry or a newer version lifts it"
        return (
            records.record(
                records.moved(promotion, snapshot, phase=Phase.ABORTED, reason=reason),
                events=(records.event(pipeline, promotion, snapshot, "promotion_refused", reason),),
            ),
        )
    first = pipeline.stage(0).name
    return (
        records.record(
            records.moved(promotion, snapshot, phase=Phase.PROGRESSING, reason=f"promoting to {first}"),
            events=(
                records.event(
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
            return failure.reverting(pipeline, promotion, snapshot)
        case StepState.REVERTED:
            return failure.reverted(pipeline, promotion, snapshot)
        case StepState.STUCK:
            return failure.stuck(pipeline, promotion, snapshot)
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
            return failure.aborted(pipeline, promotion, snapshot, pr)
        opened = dataclasses.replace(step, state=StepState.OPEN, pr_number=pr.number)
        event = records.event(pipeline, promotion, snapshot, "step_pr_opened", f"#{pr.number} opened", url=pr.url)
        reason = f"{stage.name}: #{pr.number} open"
        return (records.record(records.moved(promotion, snapshot, reason=reason), opened, (event,)),)
    if snapshot.failure is not None:
        return failure.failed_before_merge(pipeline, promotion, snapshot, snapshot.failure)
    proposal = snapshot.proposal
    if proposal is None:
        return ()  # the shell observes the proposal next
    if proposal.error is not None:
        return failure.failed_before_merge(pipeline, promotion, snapshot, proposal.error)
    if not proposal.changes:
        done = dataclasses.replace(step, state=StepState.DONE)
        event = records.event(
            pipeline, promotion, snapshot, "step_skipped", f"{stage.name} already runs {promotion.version}"
        )
        return (records.record(step=done, events=(event,)),)
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
        return failure.aborted(pipeline, promotion, snapshot, pr)
    if snapshot.failure is not None:
        return failure.failed_before_merge(pipeline, promotion, snapshot, snapshot.failure)
    if len(snapshot.approvals) < stage.merge.approvals:
        reason = (
            f"{stage.name}: #{pr.number} waits for {stage.merge.approvals - len(snapshot.approvals)} more approval(s)"
        )
        if promotion.reason == reason:
            return ()
        return (
            records.record(records.moved(promotion, snapshot, reason=reason)),
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
    event = records.event(pipeline, promotion, snapshot, "step_merged", message, sha=pr.merge_sha)
    reason = f"{stage.name}: waiting for Argo CD ({', '.join(stage.applications)})"
    waiting = [f"waiting for {a}" for a in stage.applications]
    return (
        records.record(records.moved(promotion, snapshot, reason=reason), merged, (event,)),
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
            return failure.fail(pipeline, promotion, snapshot, judgement.summary)
        case Verdict.WAITING:
            assert step.merged_at is not None
            if snapshot.now - step.merged_at > stage.deadline:
                return failure.fail(
                    pipeline, promotion, snapshot, f"not verified within {stage.deadline}: {judgement.summary}"
                )
            if step.healthy_since is not None:  # it was Healthy, now it is not: the debounce starts over
                return (records.record(step=dataclasses.replace(step, healthy_since=None)),)
            reason = f"{stage.name}: {judgement.summary}"
            return (
                ()
                if promotion.reason == reason
                else (records.record(records.moved(promotion, snapshot, reason=reason)),)
            )
        case Verdict.HEALTHY:
            if step.healthy_since is None:
                return (records.record(step=dataclasses.replace(step, healthy_since=snapshot.now)),)
            if snapshot.now - step.healthy_since < stage.debounce:
                return ()
            verified = dataclasses.replace(step, state=StepState.VERIFIED, verified_at=snapshot.now)
            message = f"{', '.join(stage.applications)} Synced and Healthy at {step.merge_sha or '?'}"
            event = records.event(pipeline, promotion, snapshot, "step_verified", message)
            soak = f"; soaking {stage.soak}" if stage.soak else ""
            actions: list[Action] = [
                records.record(
                    records.moved(promotion, snapshot, reason=f"{stage.name}: verified{soak}"), verified, (event,)
                )
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
            return failure.fail(pipeline, promotion, snapshot, f"during the soak: {judgement.summary}")
    assert step.verified_at is not None
    if snapshot.now - step.verified_at < stage.soak:
        return ()
    done = dataclasses.replace(step, state=StepState.DONE)
    event = records.event(pipeline, promotion, snapshot, "step_done", f"{stage.name} done")
    return (records.record(step=done, events=(event,)),)


def _advance(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    stage = pipeline.stage(promotion.stage)
    # Rolling stages take one step; strategies with several steps per stage will move `promotion.step` here.
    if promotion.stage + 1 < len(pipeline.stages):
        following = pipeline.stage(promotion.stage + 1)
        event = records.event(pipeline, promotion, snapshot, "stage_done", f"{stage.name} done; next: {following.name}")
        moved = records.moved(
            promotion, snapshot, stage=promotion.stage + 1, step=0, reason=f"promoting to {following.name}"
        )
        return (records.record(moved, events=(event,)),)
    event = records.event(
        pipeline, promotion, snapshot, "promotion_succeeded", f"{promotion.version} runs in every stage"
    )
    return (
        records.record(
            records.moved(promotion, snapshot, phase=Phase.SUCCEEDED, reason="every stage verified"), events=(event,)
        ),
    )
