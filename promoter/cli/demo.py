"""``promoter demo``: the whole promotion loop on the embedded default, end to end, on loopback.

It seeds the GitHub sandbox and the Argo CD simulator with the app-of-apps repo in ``config/demo-repo``,
loads the pipeline of ``config/``, then promotes a good version through staging and prod and a bad one that
fails in staging and is reverted, printing the timeline. It exits 0 only if both outcomes happened.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import click

from promoter.cli import logs, wiring
from promoter.cli.sandbox import checkout_config
from promoter.config import loading
from promoter.config.settings import StoreSettings
from promoter.core.model import Event, Phase
from promoter.engine.reconcile import reconcile_all
from promoter.engine.runtime import Runtime
from promoter.sandbox import stack
from promoter.sandbox.argocd import Scenario

GOOD, BAD = "1.1.0", "1.2.0-bad"
TIMEOUT = 90.0  # seconds per promotion; bounded so the demo always ends


@click.command()
def demo() -> None:
    """Promote a good and a bad version on a local GitHub sandbox and Argo CD simulator."""
    logs.configure("error")  # the timeline below is the demo's output (it shows the failures); errors still show
    config_dir = checkout_config()
    if not (config_dir / "demo-repo").is_dir():
        click.echo(f"promoter demo: needs the config/ directory of a source checkout ({config_dir})", err=True)
        sys.exit(2)
    scenario = Scenario(
        fail_images=("*:*-bad*",), progressing_seconds=2, sync_seconds=1, settle_seconds=1, sync_interval_seconds=3
    )
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108 - a private mkdtemp inside it
    with tempfile.TemporaryDirectory(prefix="promoter-demo-", dir=base) as tmp:
        work = Path(tmp)
        bare = stack.seed(config_dir / "demo-repo", work)
        with stack.Stack(bare, scenario=scenario) as running:
            environ = {**os.environ, **running.environment()}
            config = loading.load(config_dir)
            settings = dataclasses.replace(
                config.settings, state_dir=work / "state", store=StoreSettings(f"sqlite:///{work}/promoter.db")
            )
            rt = wiring.runtime(dataclasses.replace(config, settings=settings), environ)
            click.secho(f"GitHub sandbox {running.github.url} · Argo CD simulator {running.argocd_url}", dim=True)
            click.secho("config repo: apps/root.yaml -> guestbook-staging, guestbook-prod (app-of-apps)\n", dim=True)
            good = _promote(rt, "guestbook", GOOD)
            bad = _promote(rt, "guestbook", BAD)
    ok = good is Phase.SUCCEEDED and bad is Phase.FAILED
    click.secho(
        f"\n{GOOD}: {good.value} · {BAD}: {bad.value} (reverted, on hold) -> {'OK' if ok else 'UNEXPECTED'}",
        bold=True,
        fg="green" if ok else "red",
    )
    sys.exit(0 if ok else 1)


def _promote(rt: Runtime, pipeline: str, version: str) -> Phase:
    promotion = rt.store.create_promotion(pipeline, version, rt.clock.now())
    click.secho(f"$ promoter start {pipeline} --version {version}", bold=True)
    started = time.monotonic()
    origin = rt.clock.now()
    seen = len(rt.store.events(pipeline, promotion.id, limit=10_000))
    while time.monotonic() - started < TIMEOUT:
        reconcile_all(rt)
        events = rt.store.events(pipeline, promotion.id, limit=10_000)
        for event in events[seen:]:
            _show(event, (event.at - origin).total_seconds())
        seen = len(events)
        current = rt.store.promotion(promotion.id, pipeline)
        assert current is not None
        if current.phase.finished:
            took = (current.updated_at - origin).total_seconds()
            click.echo(f"  {version}: {current.phase.value} in {took:.1f}s: {current.reason}\n")
            return current.phase
        time.sleep(0.3)
    click.echo(f"  {version}: gave up after {TIMEOUT:.0f}s")
    return Phase.PROGRESSING


def _show(event: Event, elapsed: float) -> None:
    stage = str(event.evidence.get("stage", ""))
    color = {"step_failed": "red", "promotion_failed": "red", "promotion_succeeded": "green", "revert_merged": "yellow"}
    click.echo(f"  [{elapsed:5.1f}s] {stage:8s} ", nl=False)
    click.secho(f"{event.kind.value:20s}", fg=color.get(event.kind.value), nl=False)
    click.echo(f" {event.message}")
