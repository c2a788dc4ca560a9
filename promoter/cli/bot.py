"""The bot's commands: ``run``, ``start``, ``plan`` (DESIGN.md §12); ``status`` is in :mod:`.status`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from promoter.cli import context
from promoter.cli.context import config_option, load, located, pipeline_of, runtime
from promoter.core import plan as plans
from promoter.core import strategies, versions
from promoter.core.model import Stage
from promoter.engine import preflight, rebuild, scheduler
from promoter.engine.health import Health
from promoter.engine.reconcile import reconcile_all
from promoter.serving import Server
from promoter.yamledit import diffs

REFUSED, FAILED = context.REFUSED, context.FAILED


def _listen(health: Health, listen: str) -> Server:
    host, _, port = listen.rpartition(":")
    try:
        return Server(health.app(), port=int(port), host=host or "0.0.0.0").start()  # noqa: S104 - a pod's port
    except (ValueError, OSError) as exc:
        click.echo(f"promoter: cannot listen on {listen!r}: {exc}", err=True)
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
    """Begin a promotion of VERSION through PIPELINE, after checking every stage (nothing is pushed here)."""
    loaded = load(config)
    chosen = pipeline_of(loaded, pipeline)
    refuse_version(version)
    with runtime(loaded) as rt:
        checked = preflight.check(rt, chosen, version)
        if checked.findings:
            for finding in checked.findings:
                click.echo(f"promoter: {located(loaded, chosen, finding)}", err=True)
            click.echo(f"promoter: {pipeline} {version} refused: nothing was started or pushed", err=True)
            sys.exit(REFUSED)
        for finding in checked.warnings:
            click.echo(f"promoter: warning: {located(loaded, chosen, finding)}", err=True)
        rebuild.ensure(rt, chosen)  # a lost store is rebuilt first: a held version stays held
        held = [h for h in rt.store.holds(pipeline) if h.version == version]
        if held:
            click.echo(f"promoter: {pipeline} {version} is on hold: {held[0].reason}", err=True)
            sys.exit(REFUSED)
        if checked.unavailable:
            click.echo(
                f"promoter: warning: could not check everything now ({checked.unavailable}); "
                "the bot checks again before its first push",
                err=True,
            )
        promotion = rt.store.create_promotion(pipeline, version, rt.clock.now())
        click.echo(f"{pipeline}: promotion {promotion.id} of {version} is {promotion.phase.value}")


def refuse_version(version: str) -> None:
    problem = versions.problem(version)
    if problem is not None:
        click.echo(f"promoter: --version: {problem}", err=True)
        sys.exit(REFUSED)


def _verified(stage: Stage, derived: dict[str, tuple[str, ...]]) -> str:
    """The Applications a stage waits on: named, or found deploying its files (said so)."""
    if stage.applications:
        return ", ".join(stage.applications)
    found = derived.get(stage.name)
    return f"{', '.join(found)} (found deploying its files)" if found else "the Applications deploying its files"


@click.command()
@click.argument("pipeline")
@click.option("--version", "version", required=True)
@config_option
def plan(pipeline: str, version: str, config: Path | None) -> None:
    """The steps a promotion of VERSION would take, and each step's diff; writes nothing."""
    loaded = load(config)
    chosen = pipeline_of(loaded, pipeline)
    refuse_version(version)
    with runtime(loaded) as rt:
        checked = preflight.check(rt, chosen, version)
        for index, stage in enumerate(chosen.stages):
            click.secho(
                f"stage {index + 1}/{len(chosen.stages)} {stage.name}: {strategies.name(stage.strategy)}, "
                f"verify {_verified(stage, checked.derived)}, deadline {stage.deadline}, "
                f"merge {'at once' if not stage.merge.approvals else f'after {stage.merge.approvals} approval(s)'}",
                bold=True,
            )
            for finding in (f for f in checked.findings if f.stage == stage.name):
                click.echo(f"  refused: {located(loaded, chosen, finding)}")
            for finding in (f for f in checked.warnings if f.stage == stage.name):
                click.echo(f"  warning: {located(loaded, chosen, finding)}")
            preview = checked.previews.get(stage.name)
            if preview is None or preview.plan is None:
                continue
            diffs_of = {id(change): files for change, files in preview.diffs}
            for position, item in enumerate(preview.plan.items):
                if isinstance(item, plans.Gate):
                    click.echo(f"  {position + 1}. gate: {item.label}")
                    continue
                files = diffs_of.get(id(item))
                if files is None:
                    click.echo(f"  {position + 1}. {item.label}: not computed (an earlier change is refused)")
                    continue
                shown = "" if files else ": nothing to change, already so in Git"
                click.echo(f"  {position + 1}. change: {item.label}{shown}")
                for path, before, after in files:
                    click.echo(diffs.unified(before, after, path, 1), nl=False)
        for finding in (f for f in checked.findings if f.stage is None):
            click.echo(f"refused: {located(loaded, chosen, finding)}")
    if checked.unavailable:
        click.echo(f"promoter: could not check everything: {checked.unavailable}", err=True)
    if checked.findings:
        sys.exit(REFUSED)
    if checked.unavailable:
        sys.exit(FAILED)
