"""The decision: ``decide(pipeline, promotion, snapshot) -> actions``. Purely computational.

It performs no I/O, reads no clock and no environment: the snapshot holds everything observed (``now``
included) and the result is data. The shell executes the actions, folds their results into the snapshot and
calls ``decide`` again until it asks for nothing more, so one pass moves a promotion as far as it can go.

A promotion starts only when every stage passed the preflight (files, edits, Applications, base branch).
The current step of a promotion then moves through:

    Planned -> Open -> Merged -> Verified -> Done            (next step, next stage, or Succeeded)
                 \\        \\   ^      \\
                  \\        \\  +------+ (verification lost while soaking: wait again, with a new deadline)
                   \\        +----------+--> Reverting -> Reverted   (promotion Failed, version held)
                    \\                            \\
                     +-> (closed by a person:       +-> Stuck     (a person must finish the revert)
                          promotion Aborted)

Rules that keep it safe: a step is left only when its latest observation still says verified; past its
deadline a step has failed, whatever is observed then (an observation error included); promoter adopts
only PRs whose hidden marker is exactly this promotion's. The forge is the truth about pull requests: a
step's PR is found by its deterministic branch name, so a crash between an action and its record loses
nothing; the next pass observes what happened and records it.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from promoter.core import failure, records, texts, versions
from promoter.core.actions import (
    Action,
    Comment,
    Label,
    MergePR,
    OpenStepPR,
    RefreshApps,
    SetStatus,
)
from promoter.core.markers import Kind, Outcome
from promoter.core.model import (
    Event,
    Phase,
    Pipeline,
    Promotion,
    StepState,
    branch_name,
)
from promoter.core.pullrequest import PullRequest
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Judgement, Verdict, judge

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
    problem = versions.problem(promotion.version)
    if problem is not None:
        return _refused(pipeline, promotion, snapshot, Phase.FAILED, f"refused: {problem}")
    if snapshot.held:
        reason = f"{promotion.version} is on hold after a failure; /retry or a newer version lifts it"
        return _refused(pipeline, promotion, snapshot, Phase.ABORTED, reason)
    preflight = snapshot.preflight
    if preflight is None:
        return ()  # the shell observes the preflight next
    if preflight.problems:
        reason = "refused before anything was pushed: " + "; ".join(preflight.problems)
        return _refused(pipeline, promotion, snapshot, Phase.FAILED, reason)
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


def _refused(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, phase: Phase, reason: str) -> Actions:
    event = records.event(pipeline, promotion, snapshot, "promotion_refused", reason)
    return (records.record(records.moved(promotion, snapshot, phase=phase, reason=reason), events=(event,)),)


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
        if (foreign := failure.foreign(pipeline, promotion, pr, Kind.STEP)) is not None:
            return failure.failed_before_merge(pipeline, promotion, snapshot, foreign)
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
        message = f"{stage.name} already has {promotion.version} in Git: nothing to change"
        event = records.event(pipeline, promotion, snapshot, "step_skipped", message)
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
            trailers=texts.trailers(texts.marker(pipeline, promotion)),
        ),
    )


def _open(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    pr = snapshot.pr
    stage = pipeline.stage(promotion.stage)
    if pr is None:
        return ()  # not observed this pass
    if (foreign := failure.foreign(pipeline, promotion, pr, Kind.STEP)) is not None:
        return failure.failed_before_merge(pipeline, promotion, snapshot, foreign)
    if pr.merged:
        return _merged_now(pipeline, promotion, snapshot, pr)
    if pr.closed_unmerged:
        return failure.aborted(pipeline, promotion, snapshot, pr)
    if snapshot.failure is not None:
        return failure.failed_before_merge(pipeline, promotion, snapshot, snapshot.failure)
    if len(snapshot.approvals) < stage.merge.approvals:
        missing = stage.merge.approvals - len(snapshot.approvals)
        reason = f"{stage.name}: #{pr.number} waits for {missing} more approval(s)"
        if promotion.reason == reason:
            return ()
        return (
            SetStatus(pr.head_sha, "pending", f"waiting for {stage.merge.approvals} approval(s)"),
            records.record(records.moved(promotion, snapshot, reason=reason)),
        )
    return (MergePR(pr.number, pr.head_sha, stage.merge.method, pr.title),)


def _merged_now(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, pr: PullRequest) -> Actions:
    """The step's PR is merged (by promoter, or found merged after a crash): wait for Argo CD next."""
    stage = pipeline.stage(promotion.stage)
    merged_at = pr.merged_at or snapshot.now  # the deadline counts from the merge itself
    merged = dataclasses.replace(
        snapshot.step,
        state=StepState.MERGED,
        pr_number=pr.number,
        merge_sha=pr.merge_sha,
        merged_at=merged_at,
        waiting_since=merged_at,
    )
    message = f"#{pr.number} merged as {(pr.merge_sha or '?')[:7]}"
    event = records.event(pipeline, promotion, snapshot, "step_merged", message, sha=pr.merge_sha)
    reason = f"{stage.name}: waiting for Argo CD ({', '.join(stage.applications)})"
    waiting = [f"waiting for {a}" for a in stage.applications]
    marker = texts.marker(pipeline, promotion)
    return (
        Comment(pr.number, marker.status(), texts.status_comment(marker, "merged", waiting)),
        records.record(records.moved(promotion, snapshot, reason=reason), merged, (event,)),
        RefreshApps(stage.applications),
    )


def _merged(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    judgement = judge(snapshot.apps, step.settled)  # nothing observed judges as waiting: the deadline still fires
    if judgement.verdict is Verdict.FAILED:
        return failure.fail(pipeline, promotion, snapshot, judgement.summary)
    deadline = step.deadline(stage)
    assert deadline is not None  # a Merged step knows when it merged
    if snapshot.now > deadline:
        # Past the deadline the step has failed, even if this very observation is Healthy (the first one
        # after an outage, say): verification must complete within the deadline.
        return failure.fail(pipeline, promotion, snapshot, f"not verified within {stage.deadline}: {judgement.summary}")
    if judgement.verdict is Verdict.WAITING:
        return _waiting(pipeline, promotion, snapshot, judgement)
    if step.healthy_since is None:  # Healthy: the debounce starts
        return (records.record(step=dataclasses.replace(step, healthy_since=snapshot.now, blocked=None)),)
    if snapshot.now - step.healthy_since < stage.debounce:
        return ()
    return _verify(pipeline, promotion, snapshot)


def _waiting(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, judgement: Judgement) -> Actions:
    """Not verified yet: the debounce starts over; an error that needs a person is told on the PR, once."""
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    blocked = next((f"{name}: {o.error}" for name, o in sorted(snapshot.apps.items()) if o.permanent), None)
    actions: list[Action] = []
    events: tuple[Event, ...] = ()
    if blocked != step.blocked:
        assert step.pr_number is not None  # a Merged step knows its PR
        deadline = step.deadline(stage)
        assert deadline is not None
        marker = texts.marker(pipeline, promotion)
        if blocked is not None:
            lines = [
                f"**blocked**: {blocked}",
                f"promoter keeps checking; if this step is not verified by {texts.moment(deadline)} it is reverted",
            ]
            title, kind, message = "merged, verification blocked", "step_blocked", blocked
        else:
            lines = [f"waiting for {a}" for a in stage.applications]
            title, kind, message = "merged", "step_unblocked", f"no longer blocked: {step.blocked}"
        actions.append(Comment(step.pr_number, marker.status(), texts.status_comment(marker, title, lines)))
        events = (records.event(pipeline, promotion, snapshot, kind, message),)
    reason = f"{stage.name}: {judgement.summary}"
    changed = dataclasses.replace(step, healthy_since=None, blocked=blocked)
    moved = records.moved(promotion, snapshot, reason=reason) if promotion.reason != reason else None
    if changed != step or moved is not None:
        actions.append(records.record(moved, changed if changed != step else None, events))
    return tuple(actions)


def _verify(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    # a Merged step knows its PR and its merge
    assert step.merge_sha is not None
    assert step.pr_number is not None
    verified = dataclasses.replace(step, state=StepState.VERIFIED, verified_at=snapshot.now, blocked=None)
    message = f"{', '.join(stage.applications)} Synced and Healthy at {step.merge_sha}"
    event = records.event(pipeline, promotion, snapshot, "step_verified", message)
    soak = f"; soaking {stage.soak}" if stage.soak else ""
    lines = [f"{a}: Synced and Healthy at the merge commit" for a in stage.applications]
    marker = texts.marker(pipeline, promotion)
    return (
        SetStatus(step.merge_sha, "success", f"{stage.name}: verified on Argo CD"),
        Comment(step.pr_number, marker.status(), texts.status_comment(marker, "verified", lines)),
        records.record(records.moved(promotion, snapshot, reason=f"{stage.name}: verified{soak}"), verified, (event,)),
    )


def _verified(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot) -> Actions:
    """Soaking. The stage is left only when the latest observation still verifies it."""
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    judgement = judge(snapshot.apps, settled=True)
    match judgement.verdict:
        case Verdict.FAILED:  # it broke while soaking
            return failure.fail(pipeline, promotion, snapshot, f"during the soak: {judgement.summary}")
        case Verdict.WAITING:  # no longer verified (a re-sync, OutOfSync, Progressing, Argo CD down...)
            return _unverified(pipeline, promotion, snapshot, judgement)
        case Verdict.HEALTHY:
            assert step.verified_at is not None
            if snapshot.now - step.verified_at < stage.soak:
                return ()
            done = dataclasses.replace(step, state=StepState.DONE)
            event = records.event(pipeline, promotion, snapshot, "step_done", f"{stage.name} done")
            return (records.record(step=done, events=(event,)),)
        case unreachable:
            assert_never(unreachable)


def _unverified(pipeline: Pipeline, promotion: Promotion, snapshot: Snapshot, judgement: Judgement) -> Actions:
    """Verification lost while soaking: wait for it again, with a fresh deadline, and soak again after it."""
    step = snapshot.step
    stage = pipeline.stage(promotion.stage)
    assert step.merge_sha is not None
    assert step.pr_number is not None
    waiting = dataclasses.replace(
        step, state=StepState.MERGED, waiting_since=snapshot.now, healthy_since=None, verified_at=None
    )
    message = f"verification lost while soaking: {judgement.summary}"
    event = records.event(pipeline, promotion, snapshot, "step_unverified", message)
    deadline = waiting.deadline(stage)
    assert deadline is not None
    lines = [
        f"**verification lost** while soaking: {judgement.summary}",
        f"waiting for it again; if not verified by {texts.moment(deadline)} this change is reverted",
    ]
    marker = texts.marker(pipeline, promotion)
    return (
        SetStatus(step.merge_sha, "pending", f"{stage.name}: verification lost, waiting again"),
        Comment(step.pr_number, marker.status(), texts.status_comment(marker, "re-verifying", lines)),
        records.record(records.moved(promotion, snapshot, reason=f"{stage.name}: {message}"), waiting, (event,)),
    )


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
    done = records.record(
        records.moved(promotion, snapshot, phase=Phase.SUCCEEDED, reason="every stage verified"), events=(event,)
    )
    last = snapshot.step.pr_number or snapshot.last_pr
    return ((Label(last, (Outcome.SUCCEEDED.value,)),) if last else ()) + (done,)
