"""``promoter validate``: check promoter's own config; every problem names file, line, column and field."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from promoter.config import loading
from promoter.config.problems import ConfigError

REFUSED = 2


@click.command()
@click.option(
    "--config",
    "directory",
    type=click.Path(path_type=Path),
    envvar="PROMOTER_CONFIG",
    default=Path("config"),
    show_default="$PROMOTER_CONFIG, else ./config",
    help="The config directory: promoter.yaml and pipelines/.",
)
def validate(directory: Path) -> None:
    """Check the config directory without contacting anything; secrets are checked to be references only."""
    try:
        config = loading.load(directory)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"promoter: {count} problem{'s' if count != 1 else ''} in {directory}", err=True)
        sys.exit(REFUSED)
    stages = [stage for pipeline in config.pipelines for stage in pipeline.stages]
    applications = {app for stage in stages for app in stage.applications}
    click.echo(
        f"{directory}: {_count(len(config.pipelines), 'pipeline')}, {_count(len(stages), 'stage')}, "
        f"{_count(len(applications), 'application')}"
    )
    for pipeline in config.pipelines:
        path = " -> ".join(f"{stage.name} ({', '.join(stage.applications)})" for stage in pipeline.stages)
        click.echo(f"  {pipeline.name}: {path}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
