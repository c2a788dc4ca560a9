"""``promoter promote|pause|resume|abort PIPELINE``: what operators ask of the promotion in progress.

Each command is queued in the store for the pipeline's current promotion and acted on by the bot's next pass
(``promoter run``), which says what it did in the log, in ``promoter status`` and on the PRs; a command that
does not apply then (nothing to promote, already paused) is refused there with the reason.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from promoter.cli import context
from promoter.cli.exits import REFUSED
from promoter.core.commands import CommandKind
from promoter.core.model import current
from promoter.engine import rebuild

_HELP = {
    CommandKind.PROMOTE: "End the current pause (or approve the stage's first PR) of PIPELINE's promotion.",
    CommandKind.PAUSE: "Stop PIPELINE's promotion from moving forward (a failure is still reverted).",
    CommandKind.RESUME: "Let PIPELINE's paused promotion move forward again.",
    CommandKind.ABORT: "Revert every merged change of the current stage and hold the version.",
}


def _command(kind: CommandKind) -> click.Command:
    @click.command(name=kind.value, help=_HELP[kind])
    @click.argument("pipeline")
    @context.config_option
    def queue(pipeline: str, config: Path | None) -> None:
        loaded = context.load(config)
        chosen = context.pipeline_of(loaded, pipeline)
        with context.runtime(loaded) as rt:
            rebuild.ensure(rt, chosen)
            promotion = current(rt.store.promotions(pipeline, unfinished=True))
            if promotion is None:
                click.echo(f"promoter: {pipeline} has no promotion in progress", err=True)
                sys.exit(REFUSED)
            by = f"cli:{getpass.getuser()}"
            command = rt.store.add_command(pipeline, promotion.id, kind, by, rt.clock.now())
        click.echo(f"{pipeline}: {kind.value} queued for {promotion.id} (#{command.id}); the bot acts on its next pass")

    return queue


promote = _command(CommandKind.PROMOTE)
pause = _command(CommandKind.PAUSE)
resume = _command(CommandKind.RESUME)
abort = _command(CommandKind.ABORT)
