"""``promoter``: the command-line entry point (DESIGN.md §12).

Exit codes: 0 done, 1 failure, 2 refused (bad input; the message names file, line and reason).
"""

from __future__ import annotations

import click

from promoter import __version__
from promoter.cli import demo, edit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promoter")
def cli() -> None:
    """promoter: promotes versions through environments by pull requests on a GitOps config repo."""


cli.add_command(edit.edit)
cli.add_command(demo.demo)


def main() -> None:
    cli.main(prog_name="promoter")
