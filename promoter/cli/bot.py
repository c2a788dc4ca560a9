"""The bot's commands: ``run``, ``start``, ``status``, ``plan`` (DESIGN.md §12)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from promoter.cli import wiring
from promoter.config import loading
from promoter.config.problems import ConfigError
from promoter.core.model import Pipeline, Promotion, Step
from promoter.engine import proposals, scheduler
from promoter.engine.health import Health
from promoter.engine.reconcile import reconcile_all
from promoter.engine.runtime import Runtime
from promoter.errors import PromoterError
from promoter.serving import Server
from promoter.yamledit import diffs

REFUSED = 2
FAILED = 1

config_option = click.option(
    "--config",
    "config",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Config directory (default: $PROMOTER_CONFIG, else ./config).",
)


def load(config: Path | None) -> loading.Config:
    directory = wiring.config_dir(config, os.environ)
    try:
        return loading.load(directory)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"promoter: {problem}", err=True)
        sys.exit(REFUSED)


@contextmanager
def runtime(config: loading.Config) -> Iterator[Runtime]:
    try:
        rt = wiring.runtime(config)
    except PromoterError as exc:
        click.echo(f"promoter: {exc}", err=True)
        sys.exit(REFUSED)
    try:
        yield rt
    except PromoterError as exc:
        click.echo(f"promoter: {exc}", err=True)
        sys.exit(FAILED)


def _listen(health: Health, listen: str) -> Server:
    host, _, port = listen.rpartition(":")
    try:
        return Server(health.app(), port=int(port), host=host or "0.0.0.0").start()  # noqa: S104 - a pod's port
    except (ValueError, OSError) as exc:
        click.echo(f"promoter: cannot listen on {listen!r}: {exc}", err=True)
        sys.exit(REFUSED)


def pipeline_of(config: loading.Config, name: str) -> Pipeline:
    try:
        return config.pipeline(name)
    except KeyError:
        known = ", ".join(p.name for p in config.pipelines) or "none"
        click.echo(f"promoter: no pipeline {name!r} (pipelines: {known})", err=True)
        sys.exit(REFUSED)


@click.command()
@config_option
@click.option("--once", is_flag=True, help="One reconcile pass over every pipeline, then exit.")
@click.option(
    "--listen", default=None, metavar="[HOST]:PORT", help="Serve /healthz, /readyz and /metrics there (e.g. :8080)."
)
def run(config: Path | None, once: bool, listen: str | None) -> None:
    """The bot: reconcile every pipeline at the configured interval (or once)."""
    loaded = load(config)
    with runtime(loaded) as rt:
        if not once:
            health = Health(loaded.settings.reconcile_interval)
            server = _listen(health, listen) if listen else None
            try:
                scheduler.serve(rt, loaded.settings.reconcile_interval, health)
            finally:
                if server is not None:
                    server.stop()
            return
        results = reconcile_all(rt)
        for result in results:
            state = result.phase or "idle"
            line = f"{result.pipeline}: {result.promotion or '-'} {state}, {result.actions} action(s)"
            click.echo(line + (f"; error: {result.error}" if result.error else ""))
        if any(r.error for r in results):
            sys.exit(FAILED)


@click.command()
@click.argument("pipeline")
@click.option("--version", "version", required=True, help="The version to promote (an image tag or digest).")
@config_option
def start(pipeline: str, version: str, config: Path | None) -> None:
    """Begin a promotion of VERSION through PIPELINE."""
    loaded = load(config)
    pipeline_of(loaded, pipeline)
    with runtime(loaded) as rt:
        held = [h for h in rt.store.holds(pipeline) if h.version == version]
        if held:
            click.echo(f"promoter: {pipeline} {version} is on hold: {held[0].reason}", err=True)
            sys.exit(REFUSED)
        promotion = rt.store.create_promotion(pipeline, version, rt.clock.now())
        click.echo(f"{pipeline}: promotion {promotion.id} of {version} is {promotion.phase.value}")


@click.command()
@click.argument("pipeline", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
def status(pipeline: str | None, as_json: bool, config: Path | None) -> None:
    """Promotions, newest first, with their current step and reason."""
    loaded = load(config)
    if pipeline is not None:
        pipeline_of(loaded, pipeline)
    with runtime(loaded) as rt:
        promotions = rt.store.promotions(pipeline)
        rows = []
        held = {(h.pipeline, h.version) for name in {p.pipeline for p in promotions} for h in rt.store.holds(name)}
        for promotion in promotions:
            steps = rt.store.steps(promotion.pipeline, promotion.id)
            rows.append(
                _row(
                    rt.pipelines.get(promotion.pipeline),
                    promotion,
                    steps,
                    (promotion.pipeline, promotion.version) in held,
                )
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no promotions yet: promoter start PIPELINE --version V")
        return
    headers = ("PIPELINE", "PROMOTION", "PHASE", "STAGE", "STEP", "PR", "UPDATED", "REASON")
    table: list[tuple[str, ...]] = [headers] + [
        (
            r["pipeline"],
            r["promotion"],
            r["phase"] + (" (held)" if r["held"] else ""),
            r["stage"] or "-",
            r["step_state"] or "-",
            f"#{r['pr']}" if r["pr"] else "-",
            r["updated_at"][:19].replace("T", " "),
            r["reason"],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        click.echo(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + str(row[-1])
        )


def _row(pipeline: Pipeline | None, promotion: Promotion, steps: list[Step], held: bool) -> dict[str, Any]:
    current = next((s for s in steps if (s.key.stage, s.key.step) == (promotion.stage, promotion.step)), None)
    stage = pipeline.stages[promotion.stage].name if pipeline and promotion.stage < len(pipeline.stages) else None
    return {
        "pipeline": promotion.pipeline,
        "promotion": promotion.id,
        "version": promotion.version,
        "phase": promotion.phase.value,
        "finished": promotion.phase.finished,
        "held": held,
        "stage": stage,
        "stage_index": promotion.stage,
        "step_index": promotion.step,
        "step_state": current.state.value if current else None,
        "pr": current.pr_number if current else None,
        "merge_sha": current.merge_sha if current else None,
        "revert_pr": current.revert_pr_number if current else None,
        "reason": promotion.reason,
        "created_at": promotion.created_at.isoformat(),
        "updated_at": promotion.updated_at.isoformat(),
        "steps": [
            {
                "stage": s.key.stage,
                "step": s.key.step,
                "state": s.state.value,
                "pr": s.pr_number,
                "merge_sha": s.merge_sha,
                "revert_pr": s.revert_pr_number,
                "failure": s.failure,
            }
            for s in steps
        ],
    }


@click.command()
@click.argument("pipeline")
@click.option("--version", "version", required=True)
@config_option
def plan(pipeline: str, version: str, config: Path | None) -> None:
    """The steps a promotion of VERSION would take, and each step's diff; writes nothing."""
    loaded = load(config)
    chosen = pipeline_of(loaded, pipeline)
    with runtime(loaded) as rt:
        base = rt.repo.fetch(chosen.base_branch)
        refused = False
        for index, stage in enumerate(chosen.stages):
            click.secho(
                f"stage {index + 1}/{len(chosen.stages)} {stage.name}: {stage.strategy.value}, "
                f"verify {', '.join(stage.applications)}, soak {stage.soak}, deadline {stage.deadline}, "
                f"merge {'at once' if not stage.merge.approvals else f'after {stage.merge.approvals} approval(s)'}",
                bold=True,
            )
            proposal = proposals.propose(rt.repo, stage, version, base)
            if proposal.error:
                click.echo(f"  refused: {proposal.error}")
                refused = True
                continue
            if not proposal.changes:
                click.echo(f"  nothing to change: {stage.name} already runs {version}")
            for change in proposal.changes:
                before = rt.repo.read(change.path, base) or ""
                click.echo(diffs.unified(before, change.text, change.path, 1), nl=False)
    if refused:
        sys.exit(REFUSED)
