"""One change of a stage's plan: its PR opened, merged when the policy holds, verified on Argo CD. Pure.

    Planned -> Open -> Merged -> Done      (any failure: the stage is reverted, see :mod:`.failure`)

The change's edits are computed here, from the resources' texts at the base head. Verification follows
DESIGN.md §6 (:mod:`.verification`) on content (:mod:`.evidence`): within the deadline from the merge,
debounced; past the deadline the change has failed whatever is observed then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import assert_never

from promoter.core import edits, evidence, failure, records, texts
from promoter.core.actions import (
    Action,
    Comment,
    Decision,
    FileChange,
    MergePR,
    OpenStepPR,
    RefreshApps,
    SetStatus,
    StatusState,
)
from promoter.core.markers import Kind
from promoter.core.model import EventKind, branch_name
from promoter.core.plan import Change
from promoter.core.pullrequest import PullRequest
from promoter.core.resources import Found
from promoter.core.runs import ChangeRun, ChangeState, GateRun
from promoter.core.snapshot import Unobserved
from promoter.core.strategies import ResourceRef
from promoter.core.verification import Judgement, Observed, Verdict, judge
from promoter.core.walk import Walk, backoff, wait_for
from promoter.yamledit.errors import EditError


def walk(w: Walk, change: Change, run: ChangeRun | None) -> Decision:
    run = run or ChangeRun(w.key)
    match run.state:
        case ChangeState.PLANNED:
            return _planned(w, change, run)
        case ChangeState.OPEN:
            return _open(w, run)
        case ChangeState.MERGED:
            return _merged(w, change, run)
        case ChangeState.DONE:
            return w.advance()
        case unreachable:
            assert_never(unreachable)


def _adopt(w: Walk, run: ChangeRun, pr: PullRequest | Unobserved | None) -> Decision | None:
    """What a found PR means, when it means something: an outage, a stranger's PR, merged, closed."""
    if isinstance(pr, Unobserved):
        reason = w.reason(f"cannot read the PR: {pr.error}")
        return Decision(tuple(a for a in (reason,) if a), wait_for(pr, w.now))
    if pr is None:
        return None
    if (foreign := failure.foreign(w, pr, Kind.STEP)) is not None:
        return failure.fail(w, foreign)
    if pr.merged:
        return _merged_now(w, run, pr)
    if pr.closed_unmerged:
        return failure.closed(w, pr)
    return None


def _planned(w: Walk, change: Change, run: ChangeRun) -> Decision:
    pr = w.snapshot.pr
    adopted = _adopt(w, run, pr)
    if adopted is not None:
        return adopted
    if isinstance(pr, PullRequest):  # open: the PR exists (perhaps opened just before a crash): adopt it
        opened = dataclasses.replace(run, state=ChangeState.OPEN, pr_number=pr.number)
        event = w.event(EventKind.STEP_PR_OPENED, f"#{pr.number} opened", url=pr.url)
        return Decision((w.save(opened, event, reason=f"#{pr.number} open"),))
    if w.snapshot.failure is not None:
        return failure.fail(w, w.snapshot.failure)
    located: dict[ResourceRef, Found] = {}
    for request in change.edits:
        ref = edits.ref(request)
        where = w.snapshot.found.get(ref)
        if where is None:
            return Decision()  # not observed yet
        if isinstance(where, str):
            return failure.fail(w, where)
        located[ref] = where
    try:
        written = edits.apply_all(change.edits, located)
    except EditError as exc:
        return failure.fail(w, f"cannot edit {exc.reason}")
    originals = {where.path: where.text for where in located.values()}
    files = tuple(FileChange(path, text) for path, text in written.items() if text != originals[path])
    if not files:
        done = dataclasses.replace(run, state=ChangeState.DONE, skipped=True)
        message = f"{w.stage.name}: {change.label}: already so in Git, nothing to change"
        return Decision((records.record(run=done, events=(w.event(EventKind.STEP_SKIPPED, message),)),))
    if w.promotion.paused:
        return Decision(tuple(a for a in (w.reason("paused"),) if a))
    marker = w.marker()
    return Decision(
        (
            OpenStepPR(
                key=w.key,
                branch=branch_name(w.pipeline.name, w.key),
                base_branch=w.pipeline.base_branch,
                base_sha=w.snapshot.base_sha or "",
                changes=files,
                title=texts.step_title(w.pipeline, w.promotion, w.plan, change),
                body=texts.step_body(w.pipeline, w.promotion, w.plan, files, marker),
                labels=() if w.labels_deferred() else w.pipeline.labels,
                trailers=texts.trailers(marker),
            ),
        )
    )


def _open(w: Walk, run: ChangeRun) -> Decision:
    pr = w.snapshot.pr
    adopted = _adopt(w, run, pr)
    if adopted is not None:
        return adopted
    if not isinstance(pr, PullRequest):
        return Decision()  # not observed this pass
    if w.snapshot.failure is not None:
        return failure.fail(w, w.snapshot.failure)
    required = w.stage.merge.approvals if _reviewed(w) else 0
    missing = required - len(w.snapshot.approvals)
    if missing > 0 and run.approved_by is None:
        reason = w.reason(f"#{pr.number} waits for {missing} more approval(s)")
        if reason is None:
            return Decision()
        return Decision((SetStatus(pr.head_sha, StatusState.PENDING, f"waiting for {required} approval(s)"), reason))
    closed = _window_closed(w, pr)
    if closed is not None:
        return closed
    if w.promotion.paused:
        return Decision(tuple(a for a in (w.reason(f"#{pr.number} ready, paused"),) if a))
    return Decision((MergePR(pr.number, pr.head_sha, w.stage.merge.method, pr.title),))


def _window_closed(w: Walk, pr: PullRequest) -> Decision | None:
    """The PR waits for a promotion window (:mod:`.windows`), waking when it opens; None when one is open."""
    if not w.stage.windows or w.stage.windows.allows(w.now):
        return None
    state = w.stage.windows.state(w.now)
    opens = texts.opening(state)
    reason = w.reason(f"#{pr.number} waits for a promotion window ({state.why}); {opens}")
    if reason is None:
        return Decision((), state.changes_at)
    status = SetStatus(pr.head_sha, StatusState.PENDING, f"waiting for a promotion window; {opens}")
    return Decision((status, reason), state.changes_at)


def _merged_now(w: Walk, run: ChangeRun, pr: PullRequest) -> Decision:
    """The PR is merged (by promoter, or found merged after a crash): wait for Argo CD next."""
    merged_at = pr.merged_at or w.now  # the deadline counts from the merge itself
    merged = dataclasses.replace(
        run, state=ChangeState.MERGED, pr_number=pr.number, merge_sha=pr.merge_sha, merged_at=merged_at
    )
    event = w.event(EventKind.STEP_MERGED, f"#{pr.number} merged as {(pr.merge_sha or '?')[:7]}", sha=pr.merge_sha)
    save = w.save(merged, event, reason=f"waiting for Argo CD ({', '.join(w.stage.applications)})")
    if not _reviewed(w):
        # Merged at once: nobody waits on this PR, whose one status comment will be the verdict (a request
        # saved per step); a blocked verification is still told on it.
        return Decision((save, RefreshApps(w.stage.applications)))
    waiting = [f"waiting for {a}" for a in w.stage.applications]
    marker = w.marker()
    return Decision(
        (
            Comment(pr.number, marker.status(), texts.status_comment(marker, "merged", waiting)),
            save,
            RefreshApps(w.stage.applications),
        )
    )


def _reviewed(w: Walk) -> bool:
    """Whether this change's PR waits for people's approvals (the stage's first change, with approvals)."""
    return w.index == w.first_change() and w.stage.merge.approvals > 0


def judged(w: Walk, upto: int, settled: bool) -> Judgement:
    """The stage's Applications at its latest merged change before ``upto``, on content."""
    merged = [change for _, change, _ in w.merged(upto)]
    # Every Application of the stage, observed or not: one missing from the snapshot is not verified.
    seen = {name: w.snapshot.apps.get(name) or Observed.unobservable("not observed") for name in w.stage.applications}
    apps = evidence.judged(seen, w.snapshot.deployed, merged)
    return judge(apps, settled)


def _merged(w: Walk, change: Change, run: ChangeRun) -> Decision:
    # The stage's first change may be blamed for Degraded only once health describes it (a fix rolling
    # forward); after it, the stage's own version runs and Degraded is the stage's, syncing or not.
    judgement = judged(w, w.index + 1, settled=w.index != w.first_change())
    if judgement.verdict is Verdict.FAILED:
        return failure.fail(w, judgement.summary)
    deadline = run.deadline(w.stage.deadline)
    assert deadline is not None  # a Merged change knows when it merged
    if w.now > deadline:
        # Past the deadline the change has failed, even if this very observation is Healthy (the first one
        # after an outage, say): verification must complete within the deadline.
        return failure.fail(w, f"not verified within {w.stage.deadline}: {judgement.summary}")
    if judgement.verdict is Verdict.WAITING:
        return waiting(w, run, judgement, deadline, run.pr_number)
    if run.healthy_since is None:  # Healthy: the debounce starts
        started = dataclasses.replace(run, healthy_since=w.now, blocked=None)
        return Decision((records.record(run=started),), min(w.now + w.stage.debounce, deadline))
    if w.now - run.healthy_since < w.stage.debounce:
        return Decision((), run.healthy_since + w.stage.debounce)
    return _verify(w, change, run)


def waiting(
    w: Walk,
    run: ChangeRun | GateRun,
    judgement: Judgement,
    deadline: dt.datetime,
    pr_number: int | None,
    pr_item: int | None = None,
) -> Decision:
    """Not verified (yet, or again): the debounce starts over; an error that needs a person is told on the
    PR (``pr_number``, of item ``pr_item``; the current one's when None), once; the reason says what is
    awaited."""
    blocked = next((f"{name}: {o.error}" for name, o in sorted(w.snapshot.apps.items()) if o.permanent), None)
    actions: list[Action] = []
    events = []
    if blocked != run.blocked and pr_number is not None:
        marker = w.marker(item=pr_item)
        if blocked is not None:
            lines = [
                f"**blocked**: {blocked}",
                f"promoter keeps checking; if this is not verified by {texts.moment(deadline)} the stage is reverted",
            ]
            title, kind, message = "merged, verification blocked", EventKind.STEP_BLOCKED, blocked
        else:
            lines = [f"waiting for {a}" for a in w.stage.applications]
            title, kind, message = "merged", EventKind.STEP_UNBLOCKED, f"no longer blocked: {run.blocked}"
        actions.append(Comment(pr_number, marker.status(), texts.status_comment(marker, title, lines)))
        events.append(w.event(kind, message))
    changed = dataclasses.replace(run, healthy_since=None, blocked=blocked)
    reason = f"{w.where()}: {judgement.summary}"
    moved = w.moved(reason=reason) if w.promotion.reason != reason else None
    if changed != run or moved is not None:
        actions.append(records.record(moved, changed if changed != run else None, tuple(events)))
    since = run.merged_at if isinstance(run, ChangeRun) else run.unverified_since
    retry = min((o.retry_after for o in w.snapshot.apps.values() if o.retry_after), default=None)
    due = backoff(w.now, since, deadline)
    return Decision(tuple(actions), min(due, w.now + retry) if retry else due)


def _verify(w: Walk, change: Change, run: ChangeRun) -> Decision:
    # a Merged change knows its PR and its merge
    assert run.merge_sha is not None
    assert run.pr_number is not None
    verified = dataclasses.replace(run, state=ChangeState.DONE, verified_at=w.now, blocked=None)
    message = f"{', '.join(w.stage.applications)} Synced and Healthy at {run.merge_sha}"
    event = w.event(EventKind.STEP_VERIFIED, message)
    lines = [f"{a}: Synced and Healthy at the merge commit" for a in w.stage.applications]
    marker = w.marker()
    return Decision(
        (
            SetStatus(run.merge_sha, StatusState.SUCCESS, f"{w.stage.name}: {change.label}: verified on Argo CD"),
            Comment(run.pr_number, marker.status(), texts.status_comment(marker, "verified", lines)),
            w.save(verified, event, reason="verified"),
        )
    )
