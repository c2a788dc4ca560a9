"""``promoter sandbox up``: a GitHub-compatible forge and an Argo CD simulator around a config repo, with the
traffic simulator's metrics and, when it is installed, a Prometheus scraping them."""

from __future__ import annotations

import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

import click

from promoter.sandbox import prometheus, report, stack
from promoter.sandbox.argocd import Scenario


def checkout_config() -> Path:
    """The ``config/`` directory of the source checkout this package runs from."""
    return Path(__file__).resolve().parents[2] / "config"


@click.group()
def sandbox() -> None:
    """Try promoter without GitHub or a cluster."""


@sandbox.command("up")
@click.option(
    "--repo",
    "repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A config repo directory (a git checkout's history is kept). Default: the demo repo.",
)
@click.option("--repository", default="acme/gitops-config", show_default=True, help="owner/name the sandbox serves.")
@click.option(
    "--fail-images",
    "fail_images",
    multiple=True,
    metavar="PATTERN",
    help="Images (glob on repo:tag) that the simulator reports Degraded, e.g. '*:*-bad*'.",
)
@click.option("--progressing-seconds", type=float, default=5.0, show_default=True)
@click.option(
    "--sync-interval",
    "sync_interval",
    type=float,
    default=3.0,
    show_default=True,
    help="Seconds between the simulator's automated syncs.",
)
@click.option(
    "--prometheus/--no-prometheus",
    "with_prometheus",
    default=None,
    help="Run a Prometheus scraping the traffic simulator. Default: when it is installed.",
)
def up(
    repo: Path | None,
    repository: str,
    fail_images: tuple[str, ...],
    progressing_seconds: float,
    sync_interval: float,
    with_prometheus: bool | None,
) -> None:
    """Serve until interrupted; print `export` lines for a shell to eval."""
    source = repo or checkout_config() / "demo-repo"
    scenario = Scenario(
        fail_images=fail_images, progressing_seconds=progressing_seconds, sync_interval_seconds=sync_interval
    )
    wanted = prometheus.installed() if with_prometheus is None else with_prometheus
    with tempfile.TemporaryDirectory(prefix="promoter-sandbox-") as work:
        bare = stack.seed(source, Path(work))
        with stack.Stack(bare, repository, scenario, prometheus=wanted, workdir=Path(work)) as running:
            # Before anything is printed: whoever reads the lines may signal at once, and must stop us cleanly.
            stopped = _stop_on_signal()
            for name, value in running.environment().items():
                click.echo(f"export {name}={shlex.quote(value)}")
            sys.stdout.flush()  # the lines are read while the sandbox keeps serving (often from a file)
            click.echo(f"# GitHub sandbox {running.github.url}, Argo CD simulator {running.argocd_url}", err=True)
            scraped = f", scraped by Prometheus {running.prometheus_url}" if running.prometheus_url else ""
            click.echo(f"# traffic simulator {running.traffic.url}/metrics (Istio's metrics){scraped}", err=True)
            branch = running.simulator.repo.refs().default_branch.removeprefix("refs/heads/")
            for line in report.applications(running.simulator.catalog, branch):
                click.echo(line, err=True)
            click.echo(report.people(running.people()), err=True)
            click.echo(f"# serving {source} as {repository}; Ctrl-C stops", err=True)
            stopped.wait()


def _stop_on_signal() -> threading.Event:
    """An event set by SIGINT or SIGTERM (from now on)."""
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return stopped
