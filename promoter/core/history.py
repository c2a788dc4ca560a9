"""Rebuilding a lost store from the forge and the config repo. Pure: what was found in, records out.

Git and the forge are the truth; the store is a cache. Everything safety depends on is written outside the
store too: each PR's hidden marker names its pipeline, promotion, version, stage and step (and whether it
is a revert); the labels on a promotion's last PR say how it ended and whether its version is held; the
commit status ``promoter`` on a step's merge commit says whether it was verified (success), failed
(failure) or lost its verification (pending); commit trailers name the promotion of every commit the bot
made, including branches pushed just before a crash. From these, :func:`rebuild` restores each promotion
with its steps, and the holds:

- a promotion with an outcome label ended that way; its version is held when a PR of it carries the hold
  label;
- otherwise the newest promotion of the pipeline is restored where it stands (Planned, Open, Merged,
  Verified, Reverting, Reverted, Stuck), and the decision carries on from there exactly as it would have;
  an older one without an outcome ended without one being recorded (promoter runs one promotion of a
  pipeline at a time, so a newer one means it was over): Failed and held if it was reverted, else Aborted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from promoter.core import markers
from promoter.core.changes import Changes
from promoter.core.markers import Kind, Outcome
from promoter.core.model import Event, Hold, Phase, Pipeline, Promotion, Step, StepKey, StepState
from promoter.core.pullrequest import PullRequest


@dataclasses.dataclass(frozen=True)
class CommitStatus:
    """The commit status ``promoter`` of a commit, as the forge reports it."""

    state: str  # pending | success | failure | error
    description: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Trail:
    """A commit of promoter's, found in the config repo by its trailers."""

    sha: str
    promotion: str
    version: str
    stage: int
    step: int
    revert: bool
    merged: bool  # reachable from the base branch; else only on one of promoter's branches
    at: dt.datetime  # its committer time


@dataclasses.dataclass(frozen=True)
class Found:
    """What the forge and the config repo hold about one pipeline's promotions."""

    prs: tuple[PullRequest, ...] = ()  # every PR whose marker names the pipeline, in any state
    statuses: Mapping[str, CommitStatus] = dataclasses.field(default_factory=dict)  # by merge commit sha
    trails: tuple[Trail, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.prs and not self.trails


@dataclasses.dataclass
class _Promotion:
    """Everything found about one promotion, gathered before it is judged."""

    id: str
    version: str
    steps: dict[tuple[int, int], PullRequest] = dataclasses.field(default_factory=dict)
    reverts: dict[tuple[int, int], PullRequest] = dataclasses.field(default_factory=dict)
    trails: list[Trail] = dataclasses.field(default_factory=list)
    created_at: dt.datetime | None = None

    def seen(self, at: dt.datetime | None) -> None:
        if at is not None and (self.created_at is None or at < self.created_at):
            self.created_at = at

    @property
    def labels(self) -> set[str]:
        return {label for pr in (*self.steps.values(), *self.reverts.values()) for label in pr.labels}

    @property
    def keys(self) -> list[tuple[int, int]]:
        return sorted({*self.steps, *self.reverts, *((t.stage, t.step) for t in self.trails)})


def needs_statuses(pipeline: Pipeline, found: Found) -> tuple[str, ...]:
    """The merge commits whose status :func:`rebuild` reads: the newest promotion's last merged step.

    (Only a promotion that may still run needs to know whether its step was verified; the others are over.)
    """
    ordered = _ordered(_gather(pipeline, found))
    if not ordered:
        return ()
    newest = ordered[-1]
    pr = newest.steps.get(newest.keys[-1])
    return (pr.merge_sha,) if pr is not None and pr.merged and pr.merge_sha else ()


def rebuild(pipeline: Pipeline, found: Found, now: dt.datetime) -> tuple[Changes, ...]:
    """The records of every promotion ``found`` shows, newest last; one event per promotion says it was rebuilt."""
    ordered = _ordered(_gather(pipeline, found))
    return tuple(_restore(pipeline, p, found, now, current=p is ordered[-1]) for p in ordered)


def _ordered(gathered: dict[str, _Promotion]) -> list[_Promotion]:
    """Oldest first (by the first PR or commit seen of each; ids of one version sort by age too)."""
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(gathered.values(), key=lambda p: (p.created_at or floor, p.id))


def _gather(pipeline: Pipeline, found: Found) -> dict[str, _Promotion]:
    gathered: dict[str, _Promotion] = {}
    for pr in sorted(found.prs, key=lambda p: p.number):  # newer PRs (higher numbers) of a step win
        marker = markers.parse(pr.body)
        if marker is None or marker.pipeline != pipeline.name or marker.stage >= len(pipeline.stages):
            continue
        promotion = gathered.setdefault(marker.promotion, _Promotion(marker.promotion, marker.version))
        (promotion.reverts if marker.kind is Kind.REVERT else promotion.steps)[(marker.stage, marker.step)] = pr
        promotion.seen(pr.created_at)
    for trail in found.trails:
        if trail.stage >= len(pipeline.stages):
            continue
        promotion = gathered.setdefault(trail.promotion, _Promotion(trail.promotion, trail.version))
        promotion.trails.append(trail)
        promotion.seen(trail.at)
    return gathered


def _restore(pipeline: Pipeline, found: _Promotion, evidence: Found, now: dt.datetime, current: bool) -> Changes:
    keys = found.keys
    last = keys[-1]
    steps = [_step(found, key, evidence, last=key == last) for key in keys]
    outcome = next((o for o in Outcome if o.value in found.labels), None)
    reverted = steps[-1].state in (StepState.REVERTED, StepState.STUCK) or any(
        t.revert and t.merged for t in found.trails
    )
    held = markers.HELD in found.labels or (outcome is None and reverted)
    if outcome is not None:
        phase = {Outcome.SUCCEEDED: Phase.SUCCEEDED, Outcome.FAILED: Phase.FAILED, Outcome.ABORTED: Phase.ABORTED}[
            outcome
        ]
        steps = [_finished(s) for s in steps]
        reason = f"{phase.value} (rebuilt from the forge: {outcome.value} on its PR)"
    elif current:
        phase = Phase.PROGRESSING
        state = steps[-1].state
        reason = f"{pipeline.stage(last[0]).name}: {state.value} (rebuilt from the forge and the config repo)"
    else:
        phase = Phase.FAILED if reverted else Phase.ABORTED
        steps = [_finished(s) for s in steps]
        reason = f"{phase.value}: ended before a newer promotion (rebuilt from the forge; no outcome label)"
    created = found.created_at or now
    promotion = Promotion(found.id, pipeline.name, found.version, phase, last[0], last[1], created, now, reason)
    holds = (Hold(pipeline.name, found.version, _why(steps[-1]), now),) if held else ()
    event = Event(
        pipeline.name,
        found.id,
        now,
        "promotion_rebuilt",
        f"{found.version}: {reason}" + ("; on hold" if held else ""),
        {"phase": phase.value, "held": held, "steps": [f"{s.key.stage}-{s.key.step} {s.state.value}" for s in steps]},
    )
    return Changes(promotion=promotion, steps=tuple(steps), events=(event,), holds=holds)


def _step(found: _Promotion, key: tuple[int, int], evidence: Found, last: bool) -> Step:
    """One step's record from its PRs, its merge commit's status and its commits."""
    step = Step(StepKey(found.id, *key))
    pr, revert = found.steps.get(key), found.reverts.get(key)
    trails = [t for t in found.trails if (t.stage, t.step) == key]
    if pr is not None:
        step = dataclasses.replace(step, pr_number=pr.number, state=StepState.OPEN)
    if pr is not None and pr.merged:
        merged_at = pr.merged_at or pr.created_at
        step = dataclasses.replace(
            step, state=StepState.MERGED, merge_sha=pr.merge_sha, merged_at=merged_at, waiting_since=merged_at
        )
        status = evidence.statuses.get(pr.merge_sha or "")
        step = _judged(step, status, last)
    if revert is not None:
        state = StepState.REVERTED if revert.merged else StepState.REVERTING if revert.open else StepState.STUCK
        merge = revert.merge_sha if revert.merged else None
        step = dataclasses.replace(step, state=state, revert_pr_number=revert.number, revert_merge_sha=merge)
    elif last and step.merge_sha is not None and any(t.revert for t in trails):
        step = dataclasses.replace(step, state=StepState.REVERTING)  # the revert branch was pushed, no PR yet
    if step.state in (StepState.REVERTING, StepState.REVERTED, StepState.STUCK) and step.failure is None:
        step = dataclasses.replace(step, failure="failed (the reason was in the lost store; see the PR)")
    return step


def _judged(step: Step, status: CommitStatus | None, last: bool) -> Step:
    """A merged step, as its merge commit's status left it (a step before the last one was done)."""
    verified_at = status.at if status is not None and status.state == "success" else None
    if not last:
        return dataclasses.replace(step, state=StepState.DONE, verified_at=verified_at)
    if status is None:
        return step
    match status.state:
        case "success":
            return dataclasses.replace(step, state=StepState.VERIFIED, verified_at=verified_at)
        case "failure" | "error":
            return dataclasses.replace(step, state=StepState.REVERTING, failure=status.description or "failed")
        case _:  # pending: verification was lost while soaking, and promoter waits again since then
            return dataclasses.replace(step, waiting_since=status.at)


def _finished(step: Step) -> Step:
    """A step of a promotion that is over: nothing of it moves any more."""
    if step.state in (StepState.MERGED, StepState.VERIFIED):
        return dataclasses.replace(step, state=StepState.DONE)
    return step


def _why(step: Step) -> str:
    return step.failure or "failed (rebuilt from the forge: the version is held)"
