"""``promoter``: the command-line entry point (DESIGN.md §12).

Exit codes: 0 done, 1 failure, 2 refused (bad input; the message names file, line and reason).
Each command's module is imported only when that command runs: ``promoter edit`` should not pay a second
of start-up for the bot's adapters (SQLAlchemy, PyGithub, httpx).
"""

from __future__ import annotations

import gc
import importlib
from typing import NamedTuple

import click

from promoter import __version__, logs


class Command(NamedTuple):
    """Where a command lives, and its one-line summary for ``promoter --help`` (so that the list of commands
    imports none of them; a test keeps each summary equal to the command's own); ``logs``: whether it writes
    structured logs (the log options configure them; structlog itself is imported only by a first line)."""

    target: str
    summary: str
    logs: bool = True


COMMANDS = {
    "edit": Command(
        "promoter.cli.edit:edit", "Edit a YAML file in place of a person: only the intended tokens change.", logs=False
    ),
    "apps": Command(
        "promoter.cli.apps:apps",
        "The Argo CD Applications found in a config repo checkout, with their sources and where each is defined.",
        logs=False,
    ),
    "validate": Command(
        "promoter.cli.validate:validate",
        "Check the config directory, and that each pipeline's base branch exists when the repo can be reached.",
    ),
    "plan": Command(
        "promoter.cli.bot:plan", "The steps a promotion of VERSION would take, and each step's diff; writes nothing."
    ),
    "run": Command("promoter.cli.run:run", "The bot: reconcile every pipeline at the configured interval (or once)."),
    "start": Command(
        "promoter.cli.bot:start",
        "Begin a promotion of VERSION through PIPELINE, after checking every stage (nothing is pushed here).",
    ),
    "status": Command(
        "promoter.cli.status:status",
        "Promotions, newest first, with their current step, PR and reason, and each pipeline's current error.",
    ),
    "promote": Command(
        "promoter.cli.operate:promote",
        "End the current pause (or approve the stage's first PR) of PIPELINE's promotion.",
    ),
    "pause": Command(
        "promoter.cli.operate:pause", "Stop PIPELINE's promotion from moving forward (a failure is still reverted)."
    ),
    "resume": Command("promoter.cli.operate:resume", "Let PIPELINE's paused promotion move forward again."),
    "abort": Command(
        "promoter.cli.operate:abort", "Revert every merged change of the current stage and hold the version."
    ),
    "rollback": Command(
        "promoter.cli.finished:rollback",
        "Revert the last stage of PIPELINE's newest promotion (it succeeded), and hold its version.",
    ),
    "retry": Command(
        "promoter.cli.finished:retry",
        "Lift the hold on the version PIPELINE's last promotion failed with, and promote it again.",
    ),
    "windows": Command(
        "promoter.cli.windows:windows",
        "Whether each stage of PIPELINE (or of every pipeline) may merge now, why, and its next openings.",
        logs=False,
    ),
    "sandbox": Command("promoter.cli.sandbox:sandbox", "Try promoter without GitHub or a cluster."),
    "demo": Command(
        "promoter.cli.demo:demo",
        "Promote good and bad versions (rolling, canary, blue/green) on a local GitHub sandbox and Argo CD simulator.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        module, _, name = found.target.partition(":")
        # The imports allocate most of the objects the process will ever hold, and they live as long as it: no
        # collection while they run, and none looks at them afterwards (a fifth of a bot command's start-up).
        gc.disable()
        try:
            command = getattr(importlib.import_module(module), name)
        finally:
            gc.freeze()
            gc.enable()
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, from the summaries: importing every command would take seconds."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=c.summary).get_short_help_str(limit)) for name, c in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promoter")
@click.option(
    "--log-level", type=click.Choice(logs.LEVELS), envvar="PROMOTER_LOG_LEVEL", default="info", show_default=True
)
@click.option("--log-json", is_flag=True, envvar="PROMOTER_LOG_JSON", help="Logs as JSON lines (for collectors).")
@click.pass_context
def cli(ctx: click.Context, log_level: str, log_json: bool) -> None:
    """promoter: promotes versions through environments by pull requests on a GitOps config repo."""
    command = COMMANDS.get(ctx.invoked_subcommand or "")
    if command is None or command.logs:
        logs.configure(log_level, json=log_json)


def main() -> None:
    try:
        cli.main(prog_name="promoter")
    finally:
        gc.freeze()  # the interpreter's last collection at exit would only walk objects about to be freed anyway
