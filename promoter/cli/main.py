"""``promoter``: the command-line entry point (DESIGN.md §12).

Exit codes: 0 done, 1 failure, 2 refused (bad input; the message names file, line and reason).
Each command's module is imported only when that command runs: ``promoter edit`` should not pay a second
of start-up for the bot's adapters (SQLAlchemy, PyGithub, httpx).
"""

from __future__ import annotations

import importlib

import click

from promoter import __version__
from promoter.cli import logs

COMMANDS = {
    "edit": "promoter.cli.edit:edit",
    "apps": "promoter.cli.apps:apps",
    "validate": "promoter.cli.validate:validate",
    "plan": "promoter.cli.bot:plan",
    "run": "promoter.cli.bot:run",
    "start": "promoter.cli.bot:start",
    "status": "promoter.cli.status:status",
    "promote": "promoter.cli.operate:promote",
    "pause": "promoter.cli.operate:pause",
    "resume": "promoter.cli.operate:resume",
    "abort": "promoter.cli.operate:abort",
    "sandbox": "promoter.cli.sandbox:sandbox",
    "demo": "promoter.cli.demo:demo",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, name = target.partition(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promoter")
@click.option(
    "--log-level", type=click.Choice(logs.LEVELS), envvar="PROMOTER_LOG_LEVEL", default="info", show_default=True
)
@click.option("--log-json", is_flag=True, envvar="PROMOTER_LOG_JSON", help="Logs as JSON lines (for collectors).")
def cli(log_level: str, log_json: bool) -> None:
    """promoter: promotes versions through environments by pull requests on a GitOps config repo."""
    logs.configure(log_level, json=log_json)


def main() -> None:
    cli.main(prog_name="promoter")
