"""``promoter validate``: check promoter's own config; every problem names file, line, column and field.

Besides the files, when the config repo can be reached, it asks it (``git ls-remote``) whether each
pipeline's base branch exists, then runs the checks the bot runs before its first push against the base
head (in the state directory's clone): every stage's files, resources and plan, no Application ignoring
a field a change writes, Argo CD knowing the Applications. ``--offline`` checks the files only.

Warnings (valid, but likely not meant: an analysis condition that passes on an empty result) go to stderr as
``promoter: warning: FILE:LINE: MESSAGE``, with the problems or without; they never change the exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

import click

from promoter.cli import wiring
from promoter.cli.exits import REFUSED
from promoter.config import loading
from promoter.config.analysis import ConfigWarning
from promoter.config.problems import ConfigError, Problem


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
@click.option("--offline", is_flag=True, help="Check the files only: do not ask the config repo for its branches.")
def validate(directory: Path, offline: bool) -> None:
    """Check the config directory, and that each pipeline's base branch exists when the repo can be reached.

    Secrets are checked to be references only; the repo is asked with the forge's credentials (resolved
    from the environment) only for its branch names.
    """
    try:
        config = loading.load(directory, None if offline else wiring.repo_templates())
    except ConfigError as exc:
        _warn(exc.warnings if isinstance(exc, loading.RefusedConfig) else ())
        _refuse(exc.problems, directory)
    _warn(config.warnings)
    if config.unread is not None:
        click.echo(f"promoter: note: {config.unread} (--offline): references to them are not checked", err=True)
    if not offline:
        from promoter.cli import repochecks  # noqa: PLC0415  (PyGithub, GitPython: --offline does without them)

        problems = repochecks.base_branches(config)
        if problems:
            _refuse(problems, directory)
        problems = repochecks.stages(config) if problems is not None else []
        if problems:
            _refuse(problems, directory)
    stages = [stage for pipeline in config.pipelines for stage in pipeline.stages]
    applications = {app for stage in stages for app in stage.applications}
    click.echo(
        f"{directory}: {_count(len(config.pipelines), 'pipeline')}, {_count(len(stages), 'stage')}, "
        f"{_count(len(applications), 'application')}"
    )
    for pipeline in config.pipelines:
        path = " -> ".join(
            f"{stage.name} ({', '.join(stage.applications) or 'the Applications deploying its files'})"
            for stage in pipeline.stages
        )
        click.echo(f"  {pipeline.name}: {path}")


def _warn(warnings: Iterable[ConfigWarning]) -> None:
    for warning in warnings:
        click.echo(f"promoter: warning: {warning}", err=True)


def _refuse(problems: Sequence[Problem], directory: Path) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    count = len(problems)
    click.echo(f"promoter: {count} problem{'s' if count != 1 else ''} in {directory}", err=True)
    sys.exit(REFUSED)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
