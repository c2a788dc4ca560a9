"""``promoter rollback PIPELINE``: revert the last stage of the pipeline's newest promotion, and hold its version."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from promoter.cli import context
from promoter.cli.exits import REFUSED
from promoter.engine.rollback import RollbackRefused, roll_back


@click.command(help="Revert the last stage of PIPELINE's newest promotion (it succeeded), and hold its version.")
@click.argument("pipeline")
@context.config_option
def rollback(pipeline: str, config: Path | None) -> None:
    loaded = context.load(config)
    chosen = context.pipeline_of(loaded, pipeline)
    with context.runtime(loaded) as rt:
        try:
            promotion = roll_back(rt, chosen, f"cli:{getpass.getuser()}")
        except RollbackRefused as exc:
            click.echo(f"promoter: {exc}", err=True)
            sys.exit(REFUSED)
    stage = chosen.stage(promotion.stage).name
    click.echo(f"{pipeline}: {promotion.id} ({promotion.version}): {stage} is reverted on the bot's next pass")
