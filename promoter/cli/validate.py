"""``promoter validate``: check promoter's own config; every problem names file, line, column and field.

Besides the files, it asks the config repo (``git ls-remote``) whether each pipeline's base branch exists,
when the repo can be reached; ``--offline`` skips that.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click
import github
import requests

from promoter.adapters import gitrepo
from promoter.cli import wiring
from promoter.config import loading
from promoter.config.problems import ConfigError, Problem
from promoter.errors import PromoterError

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
@click.option("--offline", is_flag=True, help="Check the files only: do not ask the config repo for its branches.")
def validate(directory: Path, offline: bool) -> None:
    """Check the config directory, and that each pipeline's base branch exists when the repo can be reached.

    Secrets are checked to be references only; the repo is asked with the forge's credentials (resolved
    from the environment) only for its branch names.
    """
    try:
        config = loading.load(directory)
    except ConfigError as exc:
        _refuse(exc.problems, directory)
    if not offline:
        problems = _base_branches(config)
        if problems:
            _refuse(problems, directory)
    stages = [stage for pipeline in config.pipelines for stage in pipeline.stages]
    applications = {app for stage in stages for app in stage.applications}
    click.echo(
        f"{directory}: {_count(len(config.pipelines), 'pipeline')}, {_count(len(stages), 'stage')}, "
        f"{_count(len(applications), 'application')}"
    )
    for pipeline in config.pipelines:
        path = " -> ".join(f"{stage.name} ({', '.join(stage.applications)})" for stage in pipeline.stages)
        click.echo(f"  {pipeline.name}: {path}")


def _refuse(problems: Sequence[Problem], directory: Path) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    count = len(problems)
    click.echo(f"promoter: {count} problem{'s' if count != 1 else ''} in {directory}", err=True)
    sys.exit(REFUSED)


def _base_branches(config: loading.Config) -> list[Problem]:
    """A problem for each pipeline whose base branch the config repo lacks; a note if it cannot be reached."""
    forge = wiring.with_overrides(config.settings, os.environ).forge
    try:
        _, token = wiring.forge_auth(forge, os.environ)
        branches = gitrepo.remote_branches(forge.clone_url, token())
    except (PromoterError, github.GithubException, requests.RequestException) as exc:
        click.echo(f"promoter: note: base branches not checked: cannot reach {forge.clone_url}: {exc}", err=True)
        return []
    problems = []
    for pipeline in config.pipelines:
        if pipeline.base_branch not in branches:
            known = ", ".join(sorted(branches)[:10]) or "none"
            message = f"the config repo {forge.clone_url} has no branch {pipeline.base_branch!r} (branches: {known})"
            problem = config.problem(pipeline.name, ("base_branch",), message)
            problems.append(problem or Problem(Path("."), None, None, "base_branch", message))
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
