"""``promoter retry PIPELINE``: lift the hold of the last promotion's version and promote it again."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from promoter.cli import context
from promoter.cli.exits import REFUSED
from promoter.engine.retry import NothingToRetry
from promoter.engine.retry import retry as lift_and_start


@click.command(help="Lift the hold on the version PIPELINE's last promotion failed with, and promote it again.")
@click.argument("pipeline")
@context.config_option
def retry(pipeline: str, config: Path | None) -> None:
    loaded = context.load(config)
    chosen = context.pipeline_of(loaded, pipeline)
    with context.runtime(loaded) as rt:
        try:
            old, new = lift_and_start(rt, chosen, f"cli:{getpass.getuser()}")
        except NothingToRetry as exc:
            click.echo(f"promoter: {exc}", err=True)
            sys.exit(REFUSED)
    click.echo(
        f"{pipeline}: {old.version} is no longer on hold ({old.id} ended {old.phase.value}); "
        f"promotion {new.id} is {new.phase.value}: the bot starts it on its next pass"
    )
