"""The daemon: APScheduler runs a reconcile pass over every pipeline at the configured interval."""

from __future__ import annotations

import datetime as dt
import signal
from types import FrameType

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler

from promoter.engine.health import Health
from promoter.engine.reconcile import reconcile_all
from promoter.engine.runtime import Runtime

log = structlog.get_logger("promoter.scheduler")


def serve(rt: Runtime, interval: dt.timedelta, health: Health | None = None, max_passes: int | None = None) -> None:
    """Reconcile every ``interval`` until SIGINT/SIGTERM (or ``max_passes``, for tests)."""
    scheduler = BlockingScheduler(timezone=dt.UTC)
    passes = 0

    def tick() -> None:
        nonlocal passes
        try:
            results = reconcile_all(rt)
            if health is not None:
                health.observe(results)
        except Exception as exc:  # the top-level loop: log it, keep the daemon alive
            log.exception("reconcile_failed", error=str(exc))
        passes += 1
        if max_passes is not None and passes >= max_passes:
            scheduler.shutdown(wait=False)

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        log.info("stopping", signal=signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # One job; max_instances=1 and coalesce: a slow pass is never run twice at once or stacked up.
    scheduler.add_job(
        tick,
        "interval",
        seconds=interval.total_seconds(),
        next_run_time=dt.datetime.now(dt.UTC),
        max_instances=1,
        coalesce=True,
        id="reconcile",
    )
    log.info("serving", pipelines=sorted(rt.pipelines), interval_seconds=interval.total_seconds())
    scheduler.start()
