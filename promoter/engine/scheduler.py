"""The daemon: APScheduler runs a reconcile pass over every pipeline at the configured interval, and wakes a
pipeline sooner when one of its gates comes due (a debounce or soak ending, a deadline, Argo CD worth asking
again soon after a merge: :func:`promoter.core.wakeup.wake_at`).

Passes run one at a time on a single worker thread, so an interval tick and a wake-up never reconcile the
same pipeline at once. SIGTERM or SIGINT stops the daemon after the pass under way; a second signal while
stopping changes nothing (no traceback).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from types import FrameType

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from promoter.engine.health import Health
from promoter.engine.reconcile import PassResult, reconcile, reconcile_all
from promoter.engine.runtime import Runtime

log = structlog.get_logger("promoter.scheduler")

_TICK = "reconcile"


def serve(rt: Runtime, interval: dt.timedelta, health: Health | None = None, max_passes: int | None = None) -> None:
    """Reconcile every ``interval`` until SIGINT/SIGTERM (or ``max_passes`` interval passes, for tests)."""
    scheduler = BlockingScheduler(
        timezone=dt.UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        # a slow pass is never run twice at once or stacked up; a late wake-up still runs
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    passes = 0
    stopping = threading.Event()

    def stop(reason: str) -> None:
        if stopping.is_set():
            return
        stopping.set()
        log.info("stopping", reason=reason)
        scheduler.shutdown(wait=False)

    def after(results: list[PassResult]) -> None:
        if health is not None:
            health.observe(results)
        tick = scheduler.get_job(_TICK)
        next_tick = tick.next_run_time if tick is not None else None
        for result in results:
            due = result.wake_at
            if due is None or (next_tick is not None and due >= next_tick) or stopping.is_set():
                continue
            scheduler.add_job(
                wake, "date", run_date=due, args=(result.pipeline,), id=f"wake:{result.pipeline}", replace_existing=True
            )

    def guarded(work: str, run: Callable[[], list[PassResult]]) -> list[PassResult]:
        try:
            results = run()
        except Exception as exc:  # the top-level loop: log it, keep the daemon alive
            log.exception("reconcile_failed", work=work, error=str(exc))
            return []
        return results

    def every() -> None:
        nonlocal passes
        after(guarded("interval", lambda: reconcile_all(rt)))
        passes += 1
        if max_passes is not None and passes >= max_passes:
            stop("max_passes")

    def wake(name: str) -> None:
        pipeline = rt.pipelines.get(name)
        if pipeline is not None:
            after(guarded(f"wake:{name}", lambda: [reconcile(rt, pipeline)]))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del frame
        stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.add_job(
        every, "interval", seconds=interval.total_seconds(), next_run_time=dt.datetime.now(dt.UTC), id=_TICK
    )
    log.info("serving", pipelines=sorted(rt.pipelines), interval_seconds=interval.total_seconds())
    scheduler.start()
