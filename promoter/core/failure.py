"""The failure side of the decision: a stage that failed is reverted as a whole, and the version held. Pure.

``fail`` reports why on the stage's latest merged PR and its merge commit (with the evidence) and marks the
stage Reverting; one revert PR then undoes every merged change of the stage, newest first (so weights return
to stable 100 and the canary's image to what it was, together), merged at once (rollbacks ignore windows and
approvals); the promotion ends Failed (Aborted, when a person asked) with the version on hold. A revert that
conflicts with a person's later commit asks for help and stops. Nothing merged yet: nothing to revert, the
promotion fails with the reason. How it ended is labelled on its last PR before the store records it.
"""

from __future__ import annotations

import dataclasses

from promoter.core import markers, records, texts
from promoter.core.actions import (
    Action,
    Comment,
    Decision,
    Label,
    MergePR,
    OpenRevertPR,
    RefreshApps,
    SetStatus,
    StatusState,
)
from promoter.core.markers import Kind, Outcome
from promoter.core.model import EventKind, Hold, MergeMethod, Phase, revert_branch_name
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import StageState
from promoter.core.snapshot import Unobserved
from promoter.core.verification import Observed, judge_app
from promoter.core.walk import Walk, wait_for

_HELD = (Outcome.FAILED.value, markers.HELD)
_ABORTED_HELD = (Outcome.ABORTED.value, markers.HELD)


def foreign(w: Walk, pr: PullRequest, kind: Kind) -> str | None:
    """Why ``pr`` is not this promotion's own PR (its marker names another promotion, or there is none)."""
    expected = w.marker(kind)
    found = markers.parse(pr.body)
    if found is not None and kind is Kind.REVERT:
        found = dataclasses.replace(found, step=expected.step)  # a stage's revert: any failing item is the same
    if found == expected:
        return None
    whose = "it has no promoter marker" if found is None else f"its marker names {found.pipeline}/{found.promotion}"
    return (
        f"#{pr.number} on {pr.head_branch} is not this promotion's {kind.value} PR ({whose}); "
        "promoter never adopts another promotion's PR"
    )


def fail(w: Walk, reason: str, aborted_by: str | None = None, details: str = "") -> Decision:
    """The stage failed (or is aborted): revert every merged change of it, with the evidence on its latest PR
    (``details``: more of it, such as an analysis' table)."""
    merged = w.merged()
    if not merged:
        return before_merge(w, reason, aborted_by)
    _, _, latest = merged[-1]
    # merged changes know their merge and their PR
    assert latest.merge_sha is not None
    assert latest.pr_number is not None
    evidence: dict[str, object] = {
        "stage": w.stage.name,
        "step": w.index,
        "reason": reason,
        "merge_sha": latest.merge_sha,
        "merges": [run.merge_sha for _, _, run in merged],
        "apps": {name: describe(name, o) for name, o in sorted(w.snapshot.apps.items())},
    }
    reverting = dataclasses.replace(w.record, state=StageState.REVERTING, failure=reason, aborted_by=aborted_by)
    kind = EventKind.PROMOTION_ABORTED if aborted_by else EventKind.STEP_FAILED
    event = w.event(kind, reason, **{k: v for k, v in evidence.items() if k not in ("stage", "step")})
    lines = [f"**{'aborted' if aborted_by else 'failed'}**: {reason}"]
    lines += [f"reverting every change of {w.stage.name} ({len(merged)}); the version goes on hold"]
    lines += [f"`{name}`: {describe(name, o)}" for name, o in sorted(w.snapshot.apps.items())]
    marker = w.marker(item=latest.key.item)
    moved = w.moved(reason=f"reverting {w.stage.name}: {reason}")
    return Decision(
        (
            SetStatus(latest.merge_sha, StatusState.FAILURE, reason[:140]),
            *((w.label(latest.pr_number, ()),) if w.labels_deferred(latest.key.item) else ()),
            Comment(latest.pr_number, marker.status(), texts.status_comment(marker, "failed", lines, details)),
            records.record(moved, events=(event,), stage=reverting),
        )
    )


def describe(name: str, observed: Observed) -> str:
    verdict, reason = judge_app(name, observed, settled=True)
    s = observed.status
    if s is None:
        return f"{verdict.value} ({reason})"
    revisions = ",".join(r[:12] for r in s.operation_revisions) or "none"
    operation = s.operation_phase.value if s.operation_phase else "none"
    health = f"sync {s.sync.value}, health {s.health.value}"
    return f"{verdict.value} ({reason}); {health}, operation {operation} at {revisions}"


def reverting(w: Walk) -> Decision:
    run, pr = w.record, w.snapshot.revert_pr
    if isinstance(pr, Unobserved):
        return Decision(
            tuple(a for a in (w.reason(f"cannot read the revert PR: {pr.error}"),) if a), wait_for(pr, w.now)
        )
    if pr is not None and (stranger := foreign(w, pr, Kind.REVERT)) is not None:
        return stuck_now(w, stranger)
    merged = w.merged()
    if pr is None:
        if w.snapshot.failure is not None:
            return stuck_now(w, w.snapshot.failure)
        shas = tuple(r.merge_sha for _, _, r in reversed(merged) if r.merge_sha)
        marker = w.marker(Kind.REVERT)
        return Decision(
            (
                OpenRevertPR(
                    stage=w.promotion.stage,
                    branch=revert_branch_name(w.pipeline.name, w.promotion.id, w.promotion.stage),
                    base_branch=w.pipeline.base_branch,
                    merge_shas=shas,
                    title=texts.revert_title(w.pipeline, w.promotion),
                    body=texts.revert_body(
                        w.pipeline,
                        w.promotion,
                        [(r.merge_sha or "", r.pr_number) for _, _, r in reversed(merged)],
                        run.failure or "failed",
                        marker,
                    ),
                    labels=(*w.pipeline.labels, "revert"),
                    trailers=texts.trailers(marker),
                ),
            )
        )
    if w.snapshot.revert_conflicts:
        files = ", ".join(f"`{f}`" for f in w.snapshot.revert_conflicts)
        return stuck_now(w, f"the revert #{pr.number} conflicts with later commits in {files}", pr.number)
    if pr.merged:
        reverted = dataclasses.replace(
            run, state=StageState.REVERTED, revert_pr_number=pr.number, revert_merge_sha=pr.merge_sha
        )
        message = f"revert #{pr.number} merged as {(pr.merge_sha or '?')[:7]}"
        event = w.event(EventKind.REVERT_MERGED, message, sha=pr.merge_sha)
        # The refresh is asked after the record: if Argo CD is down it is kept and asked again later.
        return Decision((records.record(events=(event,), stage=reverted), RefreshApps(w.stage.applications)))
    if pr.closed_unmerged:
        return stuck_now(w, f"the revert #{pr.number} was closed without merging", pr.number)
    merge = MergePR(pr.number, pr.head_sha, MergeMethod.MERGE, pr.title)  # rollbacks ignore windows and approvals
    if run.revert_pr_number != pr.number:
        opened = dataclasses.replace(run, revert_pr_number=pr.number)
        event = w.event(EventKind.REVERT_PR_OPENED, f"revert #{pr.number} opened", url=pr.url)
        return Decision((records.record(events=(event,), stage=opened), merge))
    return Decision((merge,))


def reverted(w: Walk) -> Decision:
    run = w.record
    assert run.revert_pr_number is not None  # Reverted is recorded with its merged revert PR
    why = run.failure or "failed"
    aborted = run.aborted_by is not None
    phase = Phase.ABORTED if aborted else Phase.FAILED
    reason = f"{w.stage.name} {'aborted' if aborted else 'failed'} and was reverted: {why}"
    hold = Hold(w.pipeline.name, w.promotion.version, why, w.now)
    kind = EventKind.PROMOTION_ABORTED if aborted else EventKind.PROMOTION_FAILED
    event = w.event(kind, reason, held=True)
    lines = [f"reverted by #{run.revert_pr_number} (merged)", f"`{w.promotion.version}` is on hold"]
    marker = w.marker(Kind.REVERT)
    return Decision(
        (
            Label(run.revert_pr_number, _ABORTED_HELD if aborted else _HELD),
            Comment(run.revert_pr_number, marker.status(), texts.status_comment(marker, "reverted", lines)),
            records.record(w.moved(phase=phase, reason=reason), events=(event,), holds=(hold,)),
        )
    )


def stuck_now(w: Walk, reason: str, number: int | None = None) -> Decision:
    stuck = dataclasses.replace(w.record, state=StageState.STUCK, revert_pr_number=number or w.record.revert_pr_number)
    event = w.event(EventKind.REVERT_STUCK, reason)
    actions: list[Action] = []
    if number:
        lines = [
            f"**needs a person**: {reason}",
            "promoter stopped this pipeline; it never force-pushes or rewrites history",
            "finish the revert on this branch and merge it, then `promoter retry` or start a newer version",
        ]
        marker = w.marker(Kind.REVERT)
        actions.append(Comment(number, marker.status(), texts.status_comment(marker, "revert needs help", lines)))
    actions.append(records.record(events=(event,), stage=stuck))
    return Decision(tuple(actions))


def stuck(w: Walk) -> Decision:
    run = w.record
    why = run.failure or "failed"
    reason = f"the revert needs a person: {why}"
    hold = Hold(w.pipeline.name, w.promotion.version, why, w.now)
    event = w.event(EventKind.PROMOTION_FAILED, reason, held=True, stuck=True)
    labelled = run.revert_pr_number or w.snapshot.last_pr
    label = (w.label(labelled, _HELD),) if labelled else ()
    done = records.record(w.moved(phase=Phase.FAILED, reason=reason), events=(event,), holds=(hold,))
    return Decision((*label, done))


def before_merge(w: Walk, reason: str, aborted_by: str | None = None) -> Decision:
    """Nothing of this stage was merged, so nothing to revert: the promotion ends with the reason (no hold,
    unless a person aborted it)."""
    phase = Phase.ABORTED if aborted_by else Phase.FAILED
    kind = EventKind.PROMOTION_ABORTED if aborted_by else EventKind.PROMOTION_FAILED
    event = w.event(kind, reason)
    last = w.snapshot.last_pr
    outcome = Outcome.ABORTED if aborted_by else Outcome.FAILED
    holds = (Hold(w.pipeline.name, w.promotion.version, reason, w.now),) if aborted_by else ()
    names = (outcome.value, markers.HELD) if aborted_by else (outcome.value,)
    label = (w.label(last, names),) if last else ()
    done = records.record(w.moved(phase=phase, reason=reason), events=(event,), holds=holds)
    return Decision((*label, done))


def closed(w: Walk, pr: PullRequest) -> Decision:
    """A person closed the change's PR without merging it: the promotion stops (the stage's merged changes,
    if any, are reverted: a canary is not left half-way)."""
    reason = f"#{pr.number} was closed without merging"
    marker = w.marker()
    lines = [f"**aborted**: {reason}", "promoter stopped this promotion; start it again with `promoter start`"]
    comment = Comment(pr.number, marker.status(), texts.status_comment(marker, "aborted", lines))
    if w.merged():
        decided = fail(w, reason, aborted_by=f"whoever closed #{pr.number}")
        return Decision((comment, *decided.actions), decided.wake_at)
    event = w.event(EventKind.PROMOTION_ABORTED, reason)
    return Decision(
        (
            w.label(pr.number, (Outcome.ABORTED.value,)),
            comment,
            records.record(w.moved(phase=Phase.ABORTED, reason=reason), events=(event,)),
        )
    )
