"""``promoter status [PIPELINE] [--json]``: promotions, where each stands and why, and each pipeline's error.

The table is for people: times in the local zone with its name, how long a promotion has been waiting for
what its reason says (or a pipeline has been failing), the revert PR, and reasons cut to the terminal's
width. ``--json`` keeps every field and the full text, with ISO 8601 times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from promoter.cli import context, terminal
from promoter.core import analysis, schedule
from promoter.core import plan as plans
from promoter.core.measurements import Measurement
from promoter.core.model import Pipeline, PipelineError, Promotion
from promoter.core.runs import ChangeRun, Run, StageRun, StageState
from promoter.engine import rebuild
from promoter.engine.runtime import Runtime
from promoter.errors import PromoterError

_HEADERS = ("PIPELINE", "PROMOTION", "PHASE", "STAGE", "STEP", "PR", "REVERT", "UPDATED", "REASON")
_NARROWEST = 30  # a reason column narrower than this is hard to read: the reason goes below its row


@click.command()
@click.argument("pipeline", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, full text.")
@context.config_option
def status(pipeline: str | None, as_json: bool, config: Path | None) -> None:
    """Promotions, newest first, with their current step, PR and reason, and each pipeline's current error."""
    loaded = context.load(config)
    if pipeline is not None:
        context.pipeline_of(loaded, pipeline)
    with context.runtime(loaded) as rt:
        note = _rebuilt(rt, pipeline)
        now = rt.clock.now()
        promotions = rt.store.promotions(pipeline)
        errors = {name: e for name, e in rt.store.errors().items() if pipeline in (None, name)}
        held = {(h.pipeline, h.version) for name in {p.pipeline for p in promotions} for h in rt.store.holds(name)}
        rows = [
            row(
                rt.pipelines.get(p.pipeline),
                p,
                rt.store.runs(p.pipeline, p.id),
                rt.store.stage_run(p.pipeline, p.id, p.stage),
                held=(p.pipeline, p.version) in held,
                error=errors.get(p.pipeline) if not p.phase.finished else None,
                measurements=rt.store.measurements(p.pipeline, p.id, p.stage) if not p.phase.finished else (),
            )
            for p in promotions
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if note:
        click.echo(f"promoter: note: {note}", err=True)
    if not rows:
        click.echo("no promotions yet: promoter start PIPELINE --version V")
    else:
        _table(rows, now)
    for name, error in sorted(errors.items()):
        click.echo(f"{name}: {_error_line(error, now)}")


def _rebuilt(rt: Runtime, only: str | None) -> str | None:
    """Rebuild a lost store first, so status tells the truth; if the forge cannot be asked, say so."""
    try:
        for name, chosen in rt.pipelines.items():
            if only in (None, name):
                rebuild.ensure(rt, chosen)
    except PromoterError as exc:
        return f"could not check the forge for promoter's history ({exc}); showing the store as it is"
    return None


def row(
    pipeline: Pipeline | None,
    promotion: Promotion,
    runs: list[Run],
    stage_run: StageRun | None,
    *,
    held: bool,
    error: PipelineError | None,
    measurements: Sequence[Measurement] = (),
) -> dict[str, Any]:
    """One promotion as ``--json`` shows it."""
    current = next((r for r in runs if (r.key.stage, r.key.item) == (promotion.stage, promotion.step)), None)
    changes = [r for r in runs if isinstance(r, ChangeRun) and r.key.stage == promotion.stage and r.pr_number]
    latest = changes[-1] if changes else None
    stage = pipeline.stages[promotion.stage].name if pipeline and promotion.stage < len(pipeline.stages) else None
    reverting = stage_run is not None and stage_run.state is not StageState.RUNNING
    return {
        "pipeline": promotion.pipeline,
        "promotion": promotion.id,
        "version": promotion.version,
        "phase": promotion.phase.value,
        "finished": promotion.phase.finished,
        "held": held,
        "paused": promotion.paused,
        "stage": stage,
        "stage_index": promotion.stage,
        "step_index": promotion.step,
        "stage_state": stage_run.state.value if stage_run else None,
        "step_state": (stage_run.state.value if reverting and stage_run else None)
        or (current.state.value if current else None),
        "pr": latest.pr_number if latest else None,
        "merge_sha": latest.merge_sha if latest else None,
        "revert_pr": stage_run.revert_pr_number if stage_run else None,
        "failure": stage_run.failure if stage_run else None,
        "reason": promotion.reason,
        "reason_since": promotion.updated_at.isoformat(),  # the reason is recorded when it changes
        "created_at": promotion.created_at.isoformat(),
        "updated_at": promotion.updated_at.isoformat(),
        "error": None if error is None else _error_json(error),
        "runs": [_run_json(r) for r in runs],
        "analysis": _analysis(pipeline, promotion, runs, stage_run, measurements),
    }


def _analysis(
    pipeline: Pipeline | None,
    promotion: Promotion,
    runs: list[Run],
    stage_run: StageRun | None,
    measurements: Sequence[Measurement],
) -> list[dict[str, Any]]:
    """The analysis runs measuring now: each metric's phase and measurements (as the core judges them)."""
    if pipeline is None or stage_run is None or stage_run.facts is None or promotion.phase.finished:
        return []
    try:
        walked = plans.build(pipeline.stage(promotion.stage), promotion.version, stage_run.facts)
        current = {r.key.item: r for r in runs if r.key.stage == promotion.stage}
        found = []
        for running in schedule.active(walked, current, promotion.step):
            state = running.state(promotion.stage, measurements)
            found.append(
                {
                    "run": schedule.run_id(promotion.stage, running.item),
                    "analysis": running.analysis.label,
                    "phase": state.phase.value if state.phase else None,
                    "summary": state.summary,
                    "next_at": state.wake_at.isoformat() if state.wake_at else None,
                    "metrics": [
                        {
                            "name": m.name,
                            "phase": m.phase.value if m.phase else None,
                            "condition": m.condition,
                            "dry_run": m.dry_run,
                            "measurements": [{"phase": j.phase.value, "why": j.why} for j in m.judged],
                        }
                        for m in state.metrics
                    ],
                }
            )
    except (plans.PlanError, analysis.AnalysisError) as exc:
        return [{"error": str(exc)}]
    return found


def _run_json(run: Run) -> dict[str, Any]:
    moments = {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in dataclasses.asdict(run).items()
        if name != "key"
    }
    kind = "change" if isinstance(run, ChangeRun) else "gate"
    return {"kind": kind, "stage": run.key.stage, "item": run.key.item, **moments, "state": run.state.value}


def _error_json(error: PipelineError) -> dict[str, Any]:
    return {
        "kind": error.kind.value,
        "message": error.message,
        "since": error.since.isoformat(),
        "seen_at": error.seen_at.isoformat(),
    }


def _table(rows: list[dict[str, Any]], now: dt.datetime) -> None:
    table: list[tuple[str, ...]] = [_HEADERS]
    for r in rows:
        updated = dt.datetime.fromisoformat(r["updated_at"])
        reason = r["reason"] + ("" if r["finished"] else f" (for {duration(now - updated)})")
        if r["error"] is not None:
            reason = f"stopped: {r['error']['message']} · {reason}"
        for run in r.get("analysis", []):
            reason += f" · {run.get('summary', run.get('error', ''))}"
        table.append(
            (
                r["pipeline"],
                r["promotion"],
                r["phase"] + (" (held)" if r["held"] else ""),
                r["stage"] or "-",
                r["step_state"] or "-",
                f"#{r['pr']}" if r["pr"] else "-",
                f"#{r['revert_pr']}" if r["revert_pr"] else "-",
                local(updated),
                reason,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(_HEADERS) - 1)]
    width = terminal.width()
    room = width - sum(widths) - 2 * len(widths)
    for index, line in enumerate(table):
        cells = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False))
        if room >= _NARROWEST:
            click.echo(f"{cells}  {terminal.cut(line[-1], room)}".rstrip())
        elif index == 0:
            click.echo(cells.rstrip())  # too narrow for a reason column: each reason on a line of its own
        else:
            click.echo(cells.rstrip())
            click.echo(f"    {terminal.cut(line[-1], width - 4)}")


def _error_line(error: PipelineError, now: dt.datetime) -> str:
    lasted = duration(now - error.since)
    return f"{error.kind.value} error for {lasted} (since {local(error.since)}): {error.message}"


def local(at: dt.datetime) -> str:
    """A time in the local zone, with the zone's name: ``2026-12-01 22:03:11 CET``."""
    shown = at.astimezone()
    return shown.strftime("%Y-%m-%d %H:%M:%S ") + (shown.tzname() or shown.strftime("%z"))


def duration(elapsed: dt.timedelta) -> str:
    """``45s``, ``3m12s``, ``2h05m``, ``3d04h``: how long something has lasted."""
    seconds = max(int(elapsed.total_seconds()), 0)
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    days, hrs = divmod(hours, 24)
    if days:
        return f"{days}d{hrs:02d}h"
    if hours:
        return f"{hours}h{mins:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
