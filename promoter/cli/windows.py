"""``promoter windows [PIPELINE]``: whether each stage may merge now, why, and its next openings.

Read from the config alone (nothing is asked of GitHub or Argo CD): the windows a stage merges in are its
pipeline's and its own (:mod:`promoter.core.windows`). Times are shown in UTC and in each window's zone.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from promoter.cli import context
from promoter.core import texts
from promoter.core.model import Pipeline, Stage


def _moment(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected an ISO time such as 2026-12-24T09:00+01:00") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


@click.command(help="Whether each stage of PIPELINE (or of every pipeline) may merge now, why, and its next openings.")
@click.argument("pipeline", required=False)
@context.config_option
@click.option("--at", "at", metavar="TIME", help="As at TIME (ISO 8601; UTC unless it names an offset), not now.")
@click.option("--count", type=click.IntRange(1, 100), default=3, show_default=True, help="Openings to list per stage.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (times in UTC, ISO 8601).")
def windows(pipeline: str | None, config: Path | None, at: str | None, count: int, as_json: bool) -> None:
    loaded = context.load(config, offline=True)
    chosen = [context.pipeline_of(loaded, pipeline)] if pipeline else list(loaded.pipelines)
    now = _moment(at) if at else dt.datetime.now(dt.UTC)
    if as_json:
        document = {"at": now.isoformat(), "pipelines": [_pipeline_json(p, now, count) for p in chosen]}
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(f"as at {texts.moment(now)}")
    for each in chosen:
        click.echo(f"\n{each.name}")
        for stage in each.stages:
            click.echo("\n".join(_stage_lines(stage, now, count)))


def _stage_lines(stage: Stage, now: dt.datetime, count: int) -> list[str]:
    if not stage.windows:
        return [f"  {stage.name}: open (no windows)"]
    state = stage.windows.state(now)
    if state.open:
        until = f" until {texts.moment(state.changes_at)}" if state.changes_at else ""
        lines = [f"  {stage.name}: open{until}; {state.why}"]
    else:
        opens = texts.opening(state)
        lines = [f"  {stage.name}: closed, {opens}; {state.why}"]
    lines += [f"    {w}" for w in stage.windows.windows] + [f"    {f}" for f in stage.windows.freezes]
    spans = stage.windows.openings(now, count)
    if spans:
        lines.append("    next openings:")
    zones = {w.zone_name: w.zone for w in stage.windows.windows if w.zone_name != "UTC"}
    for opens_at, closes_at in spans:
        span = f"{texts.moment(opens_at)} to {texts.moment(closes_at) if closes_at else 'further than a year'}"
        local = [f"{_local(opens_at, closes_at, z)} {name}" for name, z in zones.items()]
        lines.append(f"      {span}" + (f" ({', '.join(local)})" if local else ""))
    return lines


def _local(opens_at: dt.datetime, closes_at: dt.datetime | None, zone: dt.tzinfo) -> str:
    opens = opens_at.astimezone(zone)
    if closes_at is None:
        return f"from {opens:%a %H:%M}"
    closes = closes_at.astimezone(zone)
    return (
        f"{opens:%a %H:%M} to {closes:%H:%M}"
        if closes.date() == opens.date()
        else f"{opens:%a %H:%M} to {closes:%a %H:%M}"
    )


def _pipeline_json(pipeline: Pipeline, now: dt.datetime, count: int) -> dict[str, object]:
    stages = []
    for stage in pipeline.stages:
        state = stage.windows.state(now)
        stages.append(
            {
                "name": stage.name,
                "open": state.open,
                "why": state.why,
                "changes_at": state.changes_at.isoformat() if state.changes_at else None,
                "windows": [str(w) for w in stage.windows.windows],
                "freezes": [str(f) for f in stage.windows.freezes],
                "openings": [
                    {"opens": o.isoformat(), "closes": c.isoformat() if c else None}
                    for o, c in stage.windows.openings(now, count)
                ],
            }
        )
    return {"name": pipeline.name, "stages": stages}
