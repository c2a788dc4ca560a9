"""Rebuilding a lost store from the forge and the config repo. Pure: what was found in, records out.

Git and the forge are the truth; the store is a cache. Everything safety depends on is written outside the
store too: each PR's hidden marker names its pipeline, promotion, version, stage and plan item (and whether
it is a stage's revert), and carries the stage's facts; the labels on a promotion's last PR say how it ended
and whether its version is held; the commit status ``promoter`` on a change's merge commit says whether it
was verified (success), failed (failure) or lost its verification during a gate (pending); commit trailers
name the promotion of every commit the bot made, including branches pushed just before a crash. From these,
:func:`rebuild` restores each promotion with its current stage's records, and the holds:

- a promotion with an outcome label ended that way; its version is held when a PR of it carries the hold
  label;
- otherwise the newest promotion of the pipeline is restored where it stands (a change Planned, Open,
  Merged or Done, the gate after it Waiting, the stage Reverting, Reverted or Stuck), and the decision carries
  on from there exactly as it would have (a gate's timer restarts from the verification it follows);
- an older one without an outcome ended without one being recorded (promoter runs one promotion of a
  pipeline at a time, so a newer one means it was over): Failed and held if it was reverted, else Aborted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from promoter.core import markers
from promoter.core import plan as plans
from promoter.core.actions import StatusState
from promoter.core.changes import Changes
from promoter.core.markers import Kind, Outcome
from promoter.core.model import Event, EventKind, Hold, Phase, Pipeline, Promotion, RunKey
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, Run, StageRun, StageState


@dataclasses.dataclass(frozen=True)
class CommitStatus:
    """The commit status ``promoter`` of a commit, as the forge reports it."""

    state: StatusState
    description: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Trail:
    """A commit of promoter's, found in the config repo by its trailers."""

    sha: str
    promotion: str
    version: str
    stage: int
    step: int  # the plan item (0 for a stage's revert)
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
    changes: dict[tuple[int, int], PullRequest] = dataclasses.field(default_factory=dict)
    reverts: dict[int, PullRequest] = dataclasses.field(default_factory=dict)  # by stage
    facts: dict[int, str] = dataclasses.field(default_factory=dict)  # by stage, from the markers
    trails: list[Trail] = dataclasses.field(default_factory=list)
    created_at: dt.datetime | None = None

    def seen(self, at: dt.datetime | None) -> None:
        if at is not None and (self.created_at is None or at < self.created_at):
            self.created_at = at

    @property
    def labels(self) -> set[str]:
        return {label for pr in (*self.changes.values(), *self.reverts.values()) for label in pr.labels}

    @property
    def stage(self) -> int:
        stages = [s for s, _ in self.changes] + list(self.reverts) + [t.stage for t in self.trails]
        return max(stages)

    def items(self, stage: int) -> list[int]:
        found = {i for s, i in self.changes if s == stage} | {
            t.step for t in self.trails if t.stage == stage and not t.revert
        }
        return sorted(found)


def needs_statuses(pipeline: Pipeline, found: Found) -> tuple[str, ...]:
    """The merge commits whose status :func:`rebuild` reads: the newest promotion's last merged change.

    (Only a promotion that may still run needs to know whether its change was verified; the others are over.)
    """
    ordered = _ordered(_gather(pipeline, found))
    if not ordered:
        return ()
    newest = ordered[-1]
    items = newest.items(newest.stage)
    pr = newest.changes.get((newest.stage, items[-1])) if items else None
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
    for pr in sorted(found.prs, key=lambda p: p.number):  # newer PRs (higher numbers) of an item win
        marker = markers.parse(pr.body)
        if marker is None or marker.pipeline != pipeline.name or marker.stage >= len(pipeline.stages):
            continue
        promotion = gathered.setdefault(marker.promotion, _Promotion(marker.promotion, marker.version))
        if marker.kind is Kind.REVERT:
            promotion.reverts[marker.stage] = pr
        else:
            promotion.changes[(marker.stage, marker.step)] = pr
        if marker.facts:
            promotion.facts.setdefault(marker.stage, marker.facts)
        promotion.seen(pr.created_at)
    for trail in found.trails:
        if trail.stage >= len(pipeline.stages):
            continue
        promotion = gathered.setdefault(trail.promotion, _Promotion(trail.promotion, trail.version))
        promotion.trails.append(trail)
        promotion.seen(trail.at)
    return gathered


def _restore(pipeline: Pipeline, found: _Promotion, evidence: Found, now: dt.datetime, current: bool) -> Changes:
    stage = found.stage
    record, runs, position = _stage(pipeline, found, evidence, stage)
    # the worst outcome a PR says wins (a rollback's abort over the success it undid)
    outcome = next((o for o in reversed(Outcome) if o.value in found.labels), None)
    reverted = record.state in (StageState.REVERTED, StageState.STUCK) or any(
        t.revert and t.merged for t in found.trails
    )
    held = markers.HELD in found.labels or (outcome is None and reverted)
    if outcome is not None:
        phase = {Outcome.SUCCEEDED: Phase.SUCCEEDED, Outcome.FAILED: Phase.FAILED, Outcome.ABORTED: Phase.ABORTED}[
            outcome
        ]
        reason = f"{phase.value} (rebuilt from the forge: {outcome.value} on its PR)"
    elif current:
        phase = Phase.PROGRESSING
        reason = f"{pipeline.stage(stage).name}: rebuilt from the forge and the config repo ({record.state.value})"
    else:
        phase = Phase.FAILED if reverted else Phase.ABORTED
        reason = f"{phase.value}: ended before a newer promotion (rebuilt from the forge; no outcome label)"
    created = found.created_at or now
    paused = phase is Phase.PROGRESSING and markers.PAUSED in found.labels
    promotion = Promotion(
        found.id, pipeline.name, found.version, phase, stage, position, created, now, reason, paused=paused
    )
    holds = (
        (Hold(pipeline.name, found.version, record.failure or "failed (rebuilt from the forge)", now),) if held else ()
    )
    event = Event(
        pipeline.name,
        found.id,
        now,
        EventKind.PROMOTION_REBUILT,
        f"{found.version}: {reason}" + ("; on hold" if held else ""),
        {"phase": phase.value, "held": held, "stage": stage, "step": position, "state": record.state.value},
    )
    return Changes(promotion=promotion, stage=record, runs=tuple(runs), events=(event,), holds=holds)


def _stage(pipeline: Pipeline, found: _Promotion, evidence: Found, stage: int) -> tuple[StageRun, list[Run], int]:
    """The current stage's record, its items' runs, and the promotion's position in its plan."""
    facts = Facts.from_json(found.facts[stage]) if stage in found.facts else None
    items = found.items(stage)
    runs: list[Run] = []
    failure: str | None = None
    lost: CommitStatus | None = None
    for index in items:
        run, status = _change(found, evidence, stage, index)
        runs.append(run)
        if index == items[-1] and status is not None:
            if status.state in (StatusState.FAILURE, StatusState.ERROR):
                failure = status.description or "failed"
            elif status.state is StatusState.PENDING:
                lost = status
    position = items[-1] if items else 0
    record = StageRun(found.id, stage, facts=facts or _rolling_facts(pipeline, stage), failure=failure)
    revert = found.reverts.get(stage)
    if revert is not None:
        state = StageState.REVERTED if revert.merged else StageState.REVERTING if revert.open else StageState.STUCK
        merge = revert.merge_sha if revert.merged else None
        record = dataclasses.replace(record, state=state, revert_pr_number=revert.number, revert_merge_sha=merge)
    elif failure is not None or any(t.revert and t.stage == stage and not t.merged for t in found.trails):
        record = dataclasses.replace(record, state=StageState.REVERTING)
    if record.state is not StageState.RUNNING:
        record = dataclasses.replace(
            record, failure=record.failure or "failed (the reason was in the lost store; see the PR)"
        )
        return record, runs, position
    last = runs[-1] if runs else None
    if isinstance(last, ChangeRun) and last.state is ChangeState.DONE and record.facts is not None:
        position, gates = _after(pipeline, found, record.facts, stage, position, last, lost)
        runs += gates
    return record, runs, position


def _rolling_facts(pipeline: Pipeline, stage: int) -> Facts | None:
    """A stage whose plan needs no facts (rolling) has them empty; the others need the marker's."""
    return Facts() if not plans.fact_refs(pipeline.stage(stage)) else None


def _change(found: _Promotion, evidence: Found, stage: int, index: int) -> tuple[ChangeRun, CommitStatus | None]:
    """One change's run from its PR and its merge commit's status."""
    run = ChangeRun(RunKey(found.id, stage, index))
    pr = found.changes.get((stage, index))
    if pr is None:
        return run, None  # only its branch was pushed: Planned (the next pass opens the PR)
    run = dataclasses.replace(run, state=ChangeState.OPEN, pr_number=pr.number)
    if not pr.merged:
        return run, None
    merged_at = pr.merged_at or pr.created_at
    run = dataclasses.replace(run, state=ChangeState.MERGED, merge_sha=pr.merge_sha, merged_at=merged_at)
    status = evidence.statuses.get(pr.merge_sha or "")
    if status is not None and status.state in (StatusState.SUCCESS, StatusState.PENDING):
        run = dataclasses.replace(run, state=ChangeState.DONE, verified_at=status.at)
    return run, status


def _after(
    pipeline: Pipeline,
    found: _Promotion,
    facts: Facts,
    stage: int,
    index: int,
    verified: ChangeRun,
    lost: CommitStatus | None,
) -> tuple[int, list[Run]]:
    """After a verified change: its gates wait (their timers from the verification), or the next change is
    Planned, or the stage is done."""
    try:
        walked = plans.build(pipeline.stage(stage), found.version, facts)
    except plans.PlanError:
        return index, []
    following = index + 1
    if following >= len(walked.items) or isinstance(walked.items[following], plans.Change):
        return following, []
    started = verified.verified_at
    gate = GateRun(RunKey(found.id, stage, following), GateState.WAITING, started_at=started)
    if lost is not None:
        gate = dataclasses.replace(gate, unverified_since=lost.at)
    return following, [gate]
