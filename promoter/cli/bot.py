"""``promoter start`` and ``promoter plan`` (DESIGN.md §12): a promotion begun, or shown, after the checks the bot
runs before its first push."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from promoter.cli.context import config_option, load, located, pipeline_of, runtime
from promoter.cli.exits import FAILED, REFUSED
from promoter.core import plan as plans
from promoter.core import strategies, texts, versions
from promoter.core.model import Stage
from promoter.engine import preflight, rebuild
from promoter.yamledit import diffs


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
                f"merge {'at once' if not stage.merge.approvals else f'after {stage.merge.approvals} approval(s)'}"
                + (", inside its promotion windows" if stage.windows else ""),
                bold=True,
            )
            if stage.windows:
                state = stage.windows.state(rt.clock.now())
                if state.open:
                    click.echo(f"  window: open now ({state.why})")
                else:
                    opens = texts.opening(state)
                    click.echo(f"  window: closed now, {opens} ({state.why}); `promoter windows` shows more")
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
