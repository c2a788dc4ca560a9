"""``promoter rollback|retry PIPELINE``: what a person asks of the pipeline's newest promotion once it has ended.

``rollback`` reverts the last stage of a promotion that succeeded (:mod:`promoter.engine.rollback`); ``retry``
lifts the hold of the version a promotion failed with and promotes it again (:mod:`promoter.engine.retry`).
Both act at once, on the forge and in the store; the bot's next pass carries on. Refused: exit 2, with why.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from promoter.cli import context
from promoter.cli.exits import REFUSED
from promoter.core.model import Pipeline
from promoter.engine import retry as retrying
from promoter.engine import rollback as rolling_back
from promoter.engine.exclusive import Busy
from promoter.engine.runtime import Runtime

_T = TypeVar("_T")


def _act(pipeline: str, config: Path | None, act: Callable[[Runtime, Pipeline, str], _T]) -> tuple[Pipeline, _T]:
    loaded = context.load(config)
    chosen = context.pipeline_of(loaded, pipeline)
    with context.runtime(loaded) as rt:
        try:
            return chosen, act(rt, chosen, f"cli:{getpass.getuser()}")
        except (retrying.NothingToRetry, rolling_back.RollbackRefused, Busy) as exc:
            click.echo(f"promoter: {exc}", err=True)
            sys.exit(REFUSED)


@click.command(help="Revert the last stage of PIPELINE's newest promotion (it succeeded), and hold its version.")
@click.argument("pipeline")
@context.config_option
def rollback(pipeline: str, config: Path | None) -> None:
    chosen, promotion = _act(pipeline, config, rolling_back.roll_back)
    stage = chosen.stage(promotion.stage).name
    click.echo(f"{pipeline}: {promotion.id} ({promotion.version}): {stage} is reverted on the bot's next pass")


@click.command(help="Lift the hold on the version PIPELINE's last promotion failed with, and promote it again.")
@click.argument("pipeline")
@context.config_option
def retry(pipeline: str, config: Path | None) -> None:
    _, (old, new) = _act(pipeline, config, retrying.retry)
    click.echo(
        f"{pipeline}: {old.version} is no longer on hold ({old.id} ended {old.phase.value}); "
        f"promotion {new.id} is {new.phase.value}: the bot starts it on its next pass"
    )
