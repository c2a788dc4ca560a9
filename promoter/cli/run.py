"""``promoter run``: the bot, reconciling every pipeline at the configured interval (or once), serving its health
and metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from promoter.cli.context import config_option, load, runtime
from promoter.cli.exits import FAILED, REFUSED
from promoter.engine import scheduler
from promoter.engine.health import Health
from promoter.engine.reconcile import reconcile_all
from promoter.serving import Server


@click.command()
@config_option
@click.option("--once", is_flag=True, help="One reconcile pass over every pipeline, then exit.")
@click.option(
    "--listen", default=None, metavar="[HOST]:PORT", help="Serve /healthz, /readyz and /metrics there (e.g. :8080)."
)
def run(config: Path | None, once: bool, listen: str | None) -> None:
    """The bot: reconcile every pipeline at the configured interval (or once)."""
    loaded = load(config)
    with runtime(loaded) as rt:
        if not once:
            health = Health(loaded.settings.reconcile_interval)
            server = _listen(health, listen) if listen else None
            try:
                scheduler.serve(rt, loaded.settings.reconcile_interval, health)
            finally:
                if server is not None:
                    server.stop()
            return
        results = reconcile_all(rt)
        for result in results:
            state = result.phase or "idle"
            line = f"{result.pipeline}: {result.promotion or '-'} {state}, {result.actions} action(s)"
            click.echo(line + (f"; error: {result.error}" if result.error else ""))
        if any(r.error for r in results):
            sys.exit(FAILED)


def _listen(health: Health, listen: str) -> Server:
    host, _, port = listen.rpartition(":")
    try:
        return Server(health.app(), port=int(port), host=host or "0.0.0.0").start()  # noqa: S104 - a pod's port
    except (ValueError, OSError) as exc:
        click.echo(f"promoter: cannot listen on {listen!r}: {exc}", err=True)
        sys.exit(REFUSED)
