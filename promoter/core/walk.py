"""The context of one decision inside a running stage, and what every part of the walk shares. Pure.

A :class:`Walk` holds the pipeline, the promotion, the snapshot, the stage's config, record and plan; the
parts of the decision (:mod:`.change`, :mod:`.gate`, :mod:`.failure`, :mod:`.operators`) take it instead of
six arguments, and use its helpers to record, to move the promotion on, and to say when to look again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core import needs, records, texts
from promoter.core.actions import Action, Decision, Label, Record
from promoter.core.markers import Kind, Marker, Outcome
from promoter.core.model import Event, EventKind, Phase, Pipeline, Promotion, RunKey, Stage
from promoter.core.plan import Change, Gate, StagePlan
from promoter.core.runs import ChangeRun, Run, StageRun
from promoter.core.snapshot import Snapshot, Unobserved
from promoter.core.verification import Observed

_SOON = dt.timedelta(seconds=1)
_LATEST = dt.timedelta(seconds=60)  # a waiting step is looked at at least this often (the interval may be longer)
_LATE = dt.timedelta(milliseconds=50)  # past a deadline by this much, so the check sees it passed
_RETRY = dt.timedelta(seconds=5)  # an outage that says nothing of when to come back


@dataclasses.dataclass(frozen=True)
class Walk:
    pipeline: Pipeline
    promotion: Promotion
    snapshot: Snapshot
    stage: Stage
    record: StageRun
    plan: StagePlan

    @property
    def now(self) -> dt.datetime:
        return self.snapshot.now

    @property
    def index(self) -> int:
        return self.promotion.step

    @property
    def key(self) -> RunKey:
        return self.promotion.key()

    def event(self, kind: EventKind, message: str, **evidence: object) -> Event:
        return records.event(self.pipeline, self.promotion, self.snapshot, kind, message, **evidence)

    def moved(self, **changes: object) -> Promotion:
        return records.moved(self.promotion, self.snapshot, **changes)

    def marker(self, kind: Kind = Kind.STEP, item: int | None = None) -> Marker:
        """The marker of the current item's PR, or of item ``item``'s: a status comment written on an earlier
        change's PR (a gate's news, a failure's evidence) carries that PR's marker, so it edits that PR's one
        status comment instead of adding a second."""
        facts = self.record.facts.to_json() if self.record.facts is not None else None
        return texts.marker(self.pipeline, self.promotion, kind, facts, item)

    def merged(self, upto: int | None = None) -> list[tuple[int, Change, ChangeRun]]:
        """The stage's changes merged before item ``upto`` (all so far when None), in order."""
        end = len(self.plan.items) if upto is None else upto
        return needs.merged_changes(self.plan, self.snapshot.runs, end)

    def first_change(self) -> int:
        return next(i for i, item in enumerate(self.plan.items) if isinstance(item, Change))

    def label(self, number: int, names: tuple[str, ...]) -> Label:
        """Labels for one of the promotion's PRs, with the pipeline's own: the final change's PR may have been
        opened without them (:meth:`labels_deferred`), and adding a label a PR has is no change."""
        return Label(number, tuple(dict.fromkeys((*self.pipeline.labels, *names))))

    def labels_deferred(self, item: int | None = None) -> bool:
        """Whether change ``item`` (the current one by default) is the promotion's last and merges at once (no
        approval awaited): its PR is opened without the pipeline's labels, which come with its outcome, in one
        request instead of two. Nobody triages a PR merged as it opens; ownership is in its marker."""
        index = self.index if item is None else item
        if self.promotion.stage != len(self.pipeline.stages) - 1:
            return False
        changes = [i for i, found in enumerate(self.plan.items) if isinstance(found, Change)]
        return index == changes[-1] and (index != changes[0] or self.stage.merge.approvals == 0)

    def where(self) -> str:
        """``staging, 3/8 canary 20%``: the stage and the current item, for reasons and messages."""
        item = self.plan.items[self.index] if self.index < len(self.plan.items) else None
        what = (
            f", {self.index + 1}/{len(self.plan.items)} {item.label}"
            if item is not None and len(self.plan.items) > 1
            else ""
        )
        return f"{self.stage.name}{what}"

    def reason(self, text: str) -> Action | None:
        """Record why the promotion waits, when that changed (``promoter status`` shows it, with since when)."""
        reason = f"{self.where()}: {text}"
        return None if self.promotion.reason == reason else records.record(self.moved(reason=reason))

    def advance(self) -> Decision:
        """The current item is done: on to the next one (not while paused)."""
        if self.promotion.paused:
            return Decision()
        following = self.index + 1
        if following < len(self.plan.items):
            item = self.plan.items[following]
            label = item.label if isinstance(item, Change) else f"{item.label} ({'gate'})"
            moved = self.moved(
                step=following, reason=f"{self.stage.name}, {following + 1}/{len(self.plan.items)} {label}"
            )
            return Decision((records.record(moved),))
        return self.stage_done()

    def stage_done(self) -> Decision:
        if self.promotion.paused:
            return Decision()
        if self.promotion.stage + 1 < len(self.pipeline.stages):
            following = self.pipeline.stage(self.promotion.stage + 1)
            event = self.event(EventKind.STAGE_DONE, f"{self.stage.name} done; next: {following.name}")
            moved = self.moved(stage=self.promotion.stage + 1, step=0, reason=f"promoting to {following.name}")
            return Decision((records.record(moved, events=(event,)),))
        event = self.event(EventKind.PROMOTION_SUCCEEDED, f"{self.promotion.version} runs in every stage")
        done = records.record(self.moved(phase=Phase.SUCCEEDED, reason="every stage verified"), events=(event,))
        last = self.snapshot.last_pr
        return Decision(((self.label(last, (Outcome.SUCCEEDED.value,)),) if last else ()) + (done,))

    def save(self, run: Run, *events: Event, reason: str | None = None) -> Record:
        moved = self.moved(reason=f"{self.where()}: {reason}") if reason is not None else None
        return records.record(moved, run, events)


def wait_for(observed: Unobserved | Observed, now: dt.datetime) -> dt.datetime:
    """When an observation that failed is worth asking again: what the answer said, else a few seconds."""
    return now + (observed.retry_after or _RETRY)


def backoff(now: dt.datetime, since: dt.datetime | None, deadline: dt.datetime | None) -> dt.datetime:
    """Looked at often at first and less often as a wait goes on (a quarter of the time waited, between one
    second and a minute), never later than the deadline."""
    waited = now - (since or now)
    due = now + min(max(waited / 4, _SOON), _LATEST)
    return min(due, deadline + _LATE) if deadline is not None else due


def earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


__all__ = ["Gate", "Walk", "backoff", "earliest", "wait_for"]
