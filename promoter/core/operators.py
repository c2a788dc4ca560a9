"""What operators asked, applied to the running promotion in one decision. Pure.

``promote`` ends the current pause (or stands for the approvals of the stage's first PR), ``pause`` stops
every forward move until ``resume`` (verification goes on, and a failure is still reverted), ``abort``
reverts the stage and holds the version. A command that does not apply now is refused with the reason
(an event, shown by ``promoter status``), never silently dropped; each is consumed once.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from promoter.core import failure, markers, schedule
from promoter.core.actions import Action, Decision, Record, Unlabel
from promoter.core.changes import Changes
from promoter.core.commands import Command, CommandKind
from promoter.core.model import Event, EventKind, Promotion
from promoter.core.plan import Gate
from promoter.core.runs import ChangeRun, ChangeState, GateRun, GateState, Run, StageState
from promoter.core.templates import Phase
from promoter.core.walk import Walk


def apply(w: Walk, commands: tuple[Command, ...]) -> Decision:
    promotion: Promotion = w.promotion
    runs: list[Run] = []
    events: list[Event] = []
    effects: list[Action] = []
    aborted: Command | None = None
    for command in commands:
        match command.kind:
            case CommandKind.PAUSE | CommandKind.RESUME:
                paused = command.kind is CommandKind.PAUSE
                if promotion.paused == paused:
                    events.append(_refused(w, command, f"already {'paused' if paused else 'running'}"))
                    continue
                promotion = dataclasses.replace(promotion, paused=paused, updated_at=w.now)
                kind = EventKind.PROMOTION_PAUSED if paused else EventKind.PROMOTION_RESUMED
                events.append(w.event(kind, f"{command.kind.value} by {command.by}", by=command.by))
                last = w.snapshot.last_pr
                if last is not None:  # said on its PR too: a lost store must not resume a paused promotion
                    effects.append(w.label(last, (markers.PAUSED,)) if paused else Unlabel(last, (markers.PAUSED,)))
            case CommandKind.PROMOTE:
                promoted, message = _promote(w, command)
                if promoted is None:
                    events.append(_refused(w, command, message))
                else:
                    runs.append(promoted)
                    events.append(w.event(EventKind.GATE_PASSED, message, by=command.by))
            case CommandKind.ABORT:
                aborted = aborted or command
            case unreachable:
                assert_never(unreachable)
    consumed = tuple(c.id for c in commands)
    extra = Changes(
        promotion if promotion != w.promotion else None, None, tuple(runs), tuple(events), consumed=consumed
    )
    if aborted is not None and w.record.state is StageState.RUNNING:
        decided = failure.fail(dataclasses.replace(w, promotion=promotion), f"aborted by {aborted.by}", aborted.by)
        return Decision((*effects, *_merged_into_record(decided.actions, extra)))
    if aborted is not None:
        events.append(_refused(w, aborted, f"the stage is {w.record.state.value.lower()} already"))
        extra = dataclasses.replace(extra, events=tuple(events))
    return Decision((*effects, Record(extra)))


def _merged_into_record(actions: tuple[Action, ...], extra: Changes) -> tuple[Action, ...]:
    """The decision's actions with ``extra`` written in its (last) record: one transaction, after the effects."""
    *effects, last = actions
    assert isinstance(last, Record)
    changes = last.changes
    merged = dataclasses.replace(
        changes,
        promotion=_latest(extra.promotion, changes.promotion),
        runs=(*extra.runs, *changes.runs),
        events=(*extra.events, *changes.events),
        consumed=(*extra.consumed, *changes.consumed),
    )
    return (*effects, Record(merged))


def _latest(ours: Promotion | None, theirs: Promotion | None) -> Promotion | None:
    """Both moved the promotion: theirs (the failure's) is the later move, with our flags kept."""
    if ours is None or theirs is None:
        return theirs or ours
    return dataclasses.replace(theirs, paused=ours.paused)


def _promote(w: Walk, command: Command) -> tuple[Run | None, str]:
    """The run that ``promote`` changes now, and what it means; (None, why not) when it means nothing."""
    background = w.snapshot.runs.get(schedule.BACKGROUND)
    if (
        isinstance(background, GateRun)
        and background.state is GateState.WAITING
        and background.verdict == Phase.INCONCLUSIVE.value
    ):
        accepted = dataclasses.replace(background, state=GateState.PASSED, passed_at=w.now, passed_by=command.by)
        return accepted, f"{w.stage.name}: inconclusive background analysis accepted by {command.by}"
    if w.index >= len(w.plan.items):
        return None, "nothing to promote: the stage is done"
    item, run = w.plan.items[w.index], w.snapshot.runs.get(w.index)
    if isinstance(item, Gate):
        if not isinstance(run, GateRun) or run.state is not GateState.WAITING:
            return None, f"nothing to promote: the {item.label} has not started"
        passed = dataclasses.replace(run, state=GateState.PASSED, passed_at=w.now, passed_by=command.by)
        return passed, f"{w.stage.name}: {item.label} ended by {command.by}"
    first = w.index == w.first_change() and w.stage.merge.approvals
    if first and isinstance(run, ChangeRun) and run.state is ChangeState.OPEN and run.approved_by is None:
        approved = dataclasses.replace(run, approved_by=command.by)
        return approved, f"{w.stage.name}: #{run.pr_number} approved by {command.by}"
    return None, f"nothing to promote: {w.stage.name} is at {item.label}, not at a pause or an approval"


def _refused(w: Walk, command: Command, why: str) -> Event:
    return w.event(EventKind.COMMAND_REFUSED, f"{command.kind.value} by {command.by}: {why}", by=command.by)
