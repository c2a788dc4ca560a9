"""``promoter validate``: check promoter's own config; every problem names file, line, column and field.

Besides the files, when the config repo can be reached, it asks it (``git ls-remote``) whether each
pipeline's base branch exists, then runs the checks the bot runs before its first push against the base
head (in the state directory's clone): every stage's files, resources and plan, no Application ignoring
a field a change writes, Argo CD knowing the Applications. ``--offline`` checks the files only.

Warnings (valid, but likely not meant: an analysis condition that passes on an empty result) go to stderr as
``promoter: warning: FILE:LINE: MESSAGE``, with the problems or without; they never change the exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

import click
import github
import requests

from promoter.adapters import gitrepo
from promoter.cli import bot, wiring
from promoter.config import loading
from promoter.config.analysis import ConfigWarning
from promoter.config.problems import ConfigError, Problem
from promoter.engine import preflight
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
        config = loading.load(directory, None if offline else wiring.repo_templates())
    except ConfigError as exc:
        _warn(exc.warnings if isinstance(exc, loading.RefusedConfig) else ())
        _refuse(exc.problems, directory)
    _warn(config.warnings)
    if config.unread is not None:
        click.echo(f"promoter: note: {config.unread} (--offline): references to them are not checked", err=True)
    if not offline:
        problems = _base_branches(config)
        if problems:
            _refuse(problems, directory)
        problems = _repo_checks(config) if problems is not None else []
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


def _base_branches(config: loading.Config) -> list[Problem] | None:
    """A problem for each pipeline whose base branch the config repo lacks; None (and a note) if it cannot
    be reached."""
    forge = wiring.with_overrides(config.settings, os.environ).forge
    try:
        _, token = wiring.forge_auth(forge, os.environ)
        branches = gitrepo.remote_branches(forge.clone_url, token())
    except (PromoterError, github.GithubException, requests.RequestException) as exc:
        click.echo(f"promoter: note: base branches not checked: cannot reach {forge.clone_url}: {exc}", err=True)
        return None
    problems = []
    for pipeline in config.pipelines:
        if pipeline.base_branch not in branches:
            known = ", ".join(sorted(branches)[:10]) or "none"
            message = f"the config repo {forge.clone_url} has no branch {pipeline.base_branch!r} (branches: {known})"
            problem = config.problem(pipeline.name, ("base_branch",), message)
            problems.append(problem or Problem(Path("."), None, None, "base_branch", message))
    return problems


_PROBE = "promoter-validate"  # a version no file holds yet: every change of every plan shows in its diff


def _repo_checks(config: loading.Config) -> list[Problem]:
    """The checks the bot runs before its first push, for every pipeline, against the config repo's base head:
    files and resources found, every change of every plan applies, no Application ignores what a change
    writes (``ignoreDifferences``: file and line of the rule), Argo CD knows the Applications. Warnings
    (what Git cannot tell) are printed; a system that cannot be reached is a note."""
    try:
        rt = wiring.runtime(config)
    except PromoterError as exc:
        click.echo(f"promoter: note: stages not checked against the config repo: {exc}", err=True)
        return []
    problems: list[Problem] = []
    try:
        for pipeline in config.pipelines:
            checked = preflight.check(rt, pipeline, _PROBE)
            for finding in checked.findings:
                problem = config.problem(pipeline.name, finding.loc, str(finding))
                problems.append(
                    problem or Problem(Path("."), None, None, ".".join(map(str, finding.loc)), str(finding))
                )
            for finding in checked.warnings:
                click.echo(f"promoter: warning: {bot.located(config, pipeline, finding)}", err=True)
            if checked.unavailable:
                click.echo(f"promoter: note: {pipeline.name} not fully checked: {checked.unavailable}", err=True)
    except PromoterError as exc:
        click.echo(f"promoter: note: stages not checked against the config repo: {exc}", err=True)
    finally:
        rt.close()
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
