"""Analysis in the walk: an analysis gate (a rolling stage's post-deploy analysis, a canary's analysis step,
blue/green's pre- and post-promotion analysis) and a canary's background analysis. Pure.

A gate's run starts with the gate (its record's ``started_at``); a background run starts when the walk
reaches its starting step and keeps a record at item ``BACKGROUND``. The measurements are taken by the shell
when :func:`promoter.core.needs.needs` asks (each at or after its due time) and come back in the snapshot;
this module judges them (:mod:`promoter.core.analysis`) and decides:

- Successful: the gate passes (a background run lets the stable workload get the version);
- Failed or Error: the stage fails and is rolled back, the run's table on the PR;
- Inconclusive: the promotion waits for a person, as in Argo Rollouts: ``promoter promote`` goes on,
  ``promoter abort`` rolls back;
- still running: wait until the next measurement is due (``wake_at``), the table on the PR kept up to date.

Every verdict also goes on the merge commit as the commit status ``promoter/analysis``.
"""

from __future__ import annotations

import dataclasses

from promoter.core import analysis as runs_of
from promoter.core import failure, records, texts
from promoter.core.actions import Action, Comment, Decision, SetStatus, StatusState
from promoter.core.model import EventKind, RunKey
from promoter.core.plan import BackgroundRun, Gate, GateKind
from promoter.core.runs import ChangeRun, GateRun, GateState
from promoter.core.schedule import BACKGROUND, active
from promoter.core.templates import Phase
from promoter.core.walk import Walk

CONTEXT = "promoter/analysis"
_STATUS = {
    Phase.SUCCESSFUL: StatusState.SUCCESS,
    Phase.INCONCLUSIVE: StatusState.PENDING,
    Phase.ERROR: StatusState.ERROR,
    Phase.FAILED: StatusState.FAILURE,
}


# the decision ----------------------------------------------------------------------------------------------


def gate(w: Walk, item: Gate, run: GateRun) -> Decision:
    """An analysis gate whose stage is verified: judge its run."""
    assert item.kind is GateKind.ANALYSIS
    assert item.analysis is not None
    try:
        (running,) = [a for a in active(w.plan, w.snapshot.runs, w.index) if a.item == w.index]
        state = running.state(w.promotion.stage, w.snapshot.measurements)
    except runs_of.AnalysisError as exc:
        return failure.fail(w, f"{item.label} cannot run: {exc}")
    return _judged(w, item.label, run, state)


def background(w: Walk) -> tuple[Decision, bool]:
    """The stage's background run, judged before the current item is walked: what to do, and whether the
    walk must stop here (it failed, or is inconclusive and waits for a person, or it just started)."""
    bg = w.plan.background
    if bg is None or w.index < bg.start or w.index > bg.end:
        return Decision(), False
    record = w.snapshot.runs.get(BACKGROUND)
    if not isinstance(record, GateRun):
        started = GateRun(RunKey(w.promotion.id, w.promotion.stage, BACKGROUND), started_at=w.now)
        event = w.event(EventKind.GATE_STARTED, f"{w.stage.name}: background {bg.analysis.label}")
        return Decision((records.record(run=started, events=(event,)),)), True
    if record.state is GateState.PASSED or (w.index == bg.end and _past_end(w, bg)):
        return Decision(), False  # accepted, or the stable change is under way: the run ended before it
    try:
        running = [a for a in active(w.plan, w.snapshot.runs, w.index) if a.item == BACKGROUND]
        if not running:
            return Decision(), False  # its starting change is not in effect yet
        state = running[0].state(w.promotion.stage, w.snapshot.measurements)
    except runs_of.AnalysisError as exc:
        return failure.fail(w, f"background {bg.analysis.label} cannot run: {exc}"), True
    label = f"background {bg.analysis.label}"
    if state.phase is None:
        return Decision(_told(w, record, state, f"{label} running"), state.wake_at), False
    if state.phase is Phase.SUCCESSFUL and w.index < bg.end:
        return Decision(), False  # every counted metric done early: nothing more to judge in range
    decided = _judged(w, label, record, state)
    return decided, state.phase is not Phase.SUCCESSFUL or bool(decided.actions)


def _past_end(w: Walk, bg: BackgroundRun) -> bool:
    run = w.snapshot.runs.get(bg.end)
    return isinstance(run, ChangeRun) and run.pr_number is not None


def _judged(w: Walk, label: str, run: GateRun, state: runs_of.RunState) -> Decision:
    table = render_table(state)
    match state.phase:
        case None:
            told = _told(w, run, state, f"{label} running")
            return Decision(told, state.wake_at)
        case Phase.SUCCESSFUL:
            passed = dataclasses.replace(run, state=GateState.PASSED, passed_at=w.now, told=_shown(state))
            event = w.event(EventKind.GATE_PASSED, f"{w.stage.name}: {label} successful", summary=state.summary)
            return Decision((*_tell(w, Phase.SUCCESSFUL, f"{label}: successful", table), w.save(passed, event)))
        case Phase.FAILED | Phase.ERROR:
            reason = f"{label} {state.phase.value.lower()}: {_worst_metric(state)}"
            decided = failure.fail(w, reason, details=table)
            return Decision((*_status(w, state.phase, reason), *decided.actions), decided.wake_at)
        case Phase.INCONCLUSIVE:
            if run.verdict == Phase.INCONCLUSIVE.value:
                return Decision()  # told already: a person decides
            wait = f"{label} inconclusive: `promoter promote` to go on, `promoter abort` to roll back"
            updated = dataclasses.replace(run, told=_shown(state), verdict=Phase.INCONCLUSIVE.value)
            event = w.event(EventKind.GATE_INCONCLUSIVE, f"{w.stage.name}: {wait}", summary=state.summary)
            return Decision((*_tell(w, Phase.INCONCLUSIVE, wait, table), w.save(updated, event, reason=wait)))
    raise AssertionError(state.phase)  # pragma: no cover - the enum is closed


def _told(w: Walk, run: GateRun, state: runs_of.RunState, title: str) -> tuple[Action, ...]:
    """The PR's table, when it has measurements it does not show yet (told once each, not every pass)."""
    shown = _shown(state)
    if shown <= run.told:
        return ()
    updated = dataclasses.replace(run, told=shown)
    return (*_tell(w, None, title, render_table(state)), records.record(run=updated))


def _tell(w: Walk, phase: Phase | None, title: str, table: str) -> tuple[Action, ...]:
    merged = w.merged(w.index + 1)
    if not merged:
        return ()
    _, _, reference = merged[-1]
    assert reference.pr_number is not None
    assert reference.merge_sha is not None
    marker = w.marker(item=reference.key.item)
    comment = Comment(reference.pr_number, marker.status(), texts.status_comment(marker, title, [title], table))
    return (*_status(w, phase, title), comment)


def _status(w: Walk, phase: Phase | None, description: str) -> tuple[Action, ...]:
    merged = w.merged(w.index + 1)
    if not merged or phase is None:
        return ()
    sha = merged[-1][2].merge_sha
    assert sha is not None
    return (SetStatus(sha, _STATUS[phase], description[:140], CONTEXT),)


def _shown(state: runs_of.RunState) -> int:
    return sum(len(m.judged) for m in state.metrics)


def _worst_metric(state: runs_of.RunState) -> str:
    counted = [m for m in state.metrics if not m.dry_run and m.phase is not None]
    worst = max(counted, key=lambda m: m.phase.rank if m.phase else -1)
    last = worst.judged[-1].why if worst.judged else "no measurement"
    return f"{worst.name} {worst.phase.value if worst.phase else ''} ({last})"


def render_table(state: runs_of.RunState) -> str:
    """The run as a Markdown table: metric, each measurement's value, condition, result."""
    rows = ["| metric | measurements | condition | result |", "| --- | --- | --- | --- |"]
    for metric in state.metrics:
        taken = ", ".join(_cell(j) for j in metric.judged[-metric.shown :]) or "—"
        if len(metric.judged) > metric.shown:
            taken = f"… {taken}"
        planned = f"{len(metric.judged)}/{metric.count}" if metric.count is not None else f"{len(metric.judged)}"
        result = metric.phase.value if metric.phase is not None else f"running ({planned})"
        if metric.dry_run:
            result += " (dry run)"
        rows.append(f"| {metric.name} | {taken} | `{metric.condition}` | {result} |")
    return "\n".join(rows)


def _cell(judged: runs_of.Judged) -> str:
    mark = {Phase.SUCCESSFUL: "✓", Phase.INCONCLUSIVE: "?", Phase.ERROR: "!", Phase.FAILED: "✗"}[judged.phase]
    return f"{judged.why.replace('|', '/')} {mark}"
