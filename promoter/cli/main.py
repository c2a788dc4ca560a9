"""``promoter``: the command-line entry point (DESIGN.md §12).

Exit codes: 0 done, 1 failure, 2 refused (bad input; the message names file, line and reason).
"""

from __future__ import annotations

import click

from promoter import __version__
from promoter.cli import bot, demo, edit, logs, sandbox, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promoter")
@click.option(
    "--log-level", type=click.Choice(logs.LEVELS), envvar="PROMOTER_LOG_LEVEL", default="info", show_default=True
)
@click.option("--log-json", is_flag=True, envvar="PROMOTER_LOG_JSON", help="Logs as JSON lines (for collectors).")
def cli(log_level: str, log_json: bool) -> None:
    """promoter: promotes versions through environments by pull requests on a GitOps config repo."""
    logs.configure(log_level, json=log_json)


for command in (edit.edit, validate.validate, bot.plan, bot.run, bot.start, bot.status, sandbox.sandbox, demo.demo):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="promoter")
