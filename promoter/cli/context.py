"""What every bot command shares: the ``--config`` option, the config loaded (problems printed, exit 2), the
runtime wired from it (an error printed, exit 2 before the work, 1 during it), and the pipeline named.

Kept apart from the commands so that ``status`` and ``pause`` do not import what ``run`` needs (the scheduler,
the HTTP server, the engine's reconcile): start-up is a figure (DESIGN.md §13).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from promoter.cli import wiring
from promoter.cli.exits import FAILED, REFUSED
from promoter.config import loading
from promoter.config.problems import ConfigError
from promoter.core.model import Pipeline
from promoter.engine.runtime import Runtime
from promoter.errors import PromoterError

if TYPE_CHECKING:
    from promoter.engine import preflight


config_option = click.option(
    "--config",
    "config",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Config directory (default: $PROMOTER_CONFIG, else ./config).",
)


def load(config: Path | None, offline: bool = False) -> loading.Config:
    """The config, with the analysis templates the config repo keeps (when promoter.yaml says where; not
    ``offline``: then a reference to one is left unchecked)."""
    directory = wiring.config_dir(config, os.environ)
    try:
        return loading.load(directory, None if offline else wiring.repo_templates())
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"promoter: {problem}", err=True)
        sys.exit(REFUSED)


@contextmanager
def runtime(config: loading.Config) -> Iterator[Runtime]:
    try:
        rt = wiring.runtime(config)
    except PromoterError as exc:
        click.echo(f"promoter: {exc}", err=True)
        sys.exit(REFUSED)
    try:
        yield rt
    except PromoterError as exc:
        click.echo(f"promoter: {exc}", err=True)
        sys.exit(FAILED)
    finally:
        rt.close()


def pipeline_of(config: loading.Config, name: str) -> Pipeline:
    try:
        return config.pipeline(name)
    except KeyError:
        known = ", ".join(p.name for p in config.pipelines) or "none"
        click.echo(f"promoter: no pipeline {name!r} (pipelines: {known})", err=True)
        sys.exit(REFUSED)


def located(config: loading.Config, pipeline: Pipeline, finding: preflight.Finding) -> str:
    """The finding at its place in the pipeline's config (``file:line:column: field: message``)."""
    problem = config.problem(pipeline.name, finding.loc, str(finding))
    return str(problem) if problem is not None else str(finding)
