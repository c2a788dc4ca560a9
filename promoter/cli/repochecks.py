"""``promoter validate``'s checks against the config repo and Argo CD (without ``--offline``): each pipeline's
base branch exists (``git ls-remote``), and the checks the bot runs before its first push pass at the base head.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import github
import requests

from promoter.adapters import gitrepo
from promoter.cli import wiring
from promoter.cli.context import located
from promoter.config import loading
from promoter.config.problems import Problem
from promoter.engine import preflight
from promoter.errors import PromoterError


def base_branches(config: loading.Config) -> list[Problem] | None:
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


def stages(config: loading.Config) -> list[Problem]:
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
                click.echo(f"promoter: warning: {located(config, pipeline, finding)}", err=True)
            if checked.unavailable:
                click.echo(f"promoter: note: {pipeline.name} not fully checked: {checked.unavailable}", err=True)
    except PromoterError as exc:
        click.echo(f"promoter: note: stages not checked against the config repo: {exc}", err=True)
    finally:
        rt.close()
    return problems
