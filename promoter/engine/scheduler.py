"""The daemon: APScheduler runs a reconcile pass over every pipeline at the configured interval, and wakes a
pipeline sooner when one of its gates comes due (a debounce or soak ending, a deadline, Argo CD worth asking
again soon after a merge: the ``wake_at`` of :func:`promoter.core.decide.decide`'s decision).

Passes run one at a time on a single worker thread, so an interval tick and a wake-up never reconcile the
same pipeline at once. SIGTERM or SIGINT stops the daemon after the pass under way; a second signal while
stopping changes nothing (no traceback). The signal handler only sets an event: the main thread, which does
nothing but wait for it, shuts the scheduler down, so a signal can never land inside the scheduler's own loop
(a signal that arrives before the scheduler runs is honoured too).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from promoter import logs
from promoter.engine.health import Health
from promoter.engine.reconcile import PassResult, reconcile, reconcile_all
from promoter.engine.runtime import Runtime

log = logs.get("promoter.scheduler")

_TICK = "reconcile"
_POLL_SECONDS = 0.5


def serve(rt: Runtime, interval: dt.timedelta, health: Health | None = None, max_passes: int | None = None) -> None:
    """Reconcile every ``interval`` until SIGINT/SIGTERM (or ``max_passes`` interval passes, for tests)."""
    daemon = _Daemon(rt, health, max_passes)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del frame
        daemon.stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.scheduler.add_job(
        daemon.every, "interval", seconds=interval.total_seconds(), next_run_time=dt.datetime.now(dt.UTC), id=_TICK
    )
    daemon.scheduler.start()
    log.info("serving", pipelines=sorted(rt.pipelines), interval_seconds=interval.total_seconds())
    try:
        while not daemon.stopping.wait(_POLL_SECONDS):  # a bounded wait: signal handlers run between waits
            pass
    finally:
        daemon.stop("error")  # no pass starts and no wake-up is added from now on
        log.info("stopping", reason=daemon.reason)
        with daemon.passing:  # the pass under way ends first; any later one returns at once
            pass
        daemon.scheduler.shutdown(wait=True)


class _Daemon:
    def __init__(self, rt: Runtime, health: Health | None, max_passes: int | None) -> None:
        self.rt, self.health, self.max_passes = rt, health, max_passes
        self.scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            # a slow pass is never run twice at once or stacked up; a late wake-up still runs
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.passes = 0
        self.stopping = threading.Event()
        self.reason = ""
        # Held for the length of a pass: the main thread takes it before shutting the scheduler down, because
        # shutdown holds the scheduler's locks while it joins the worker, and a pass asks the scheduler for
        # its jobs when it ends (that order would deadlock).
        self.passing = threading.Lock()

    def stop(self, reason: str) -> None:
        # Called from a signal handler too: no logging here (the handler may interrupt the main thread inside
        # a log call, and the logger's lock is not reentrant); the main thread says why once it wakes.
        if not self.stopping.is_set():
            self.reason = reason
            self.stopping.set()

    def every(self) -> None:
        with self.passing:
            if self.stopping.is_set():
                return
            self._after(self._guarded("interval", lambda: reconcile_all(self.rt)))
            self.passes += 1
            if self.max_passes is not None and self.passes >= self.max_passes:
                self.stop("max_passes")

    def wake(self, name: str) -> None:
        pipeline = self.rt.pipelines.get(name)
        with self.passing:
            if pipeline is not None and not self.stopping.is_set():
                self._after(self._guarded(f"wake:{name}", lambda: [reconcile(self.rt, pipeline)]))

    def _guarded(self, work: str, run: Callable[[], list[PassResult]]) -> list[PassResult]:
        try:
            return run()
        except Exception as exc:  # the top-level loop: log it, keep the daemon alive
            log.exception("reconcile_failed", work=work, error=str(exc))
            return []

    def _after(self, results: list[PassResult]) -> None:
        if self.health is not None:
            self.health.observe(results)
        tick = self.scheduler.get_job(_TICK)
        next_tick = tick.next_run_time if tick is not None else None
        for result in results:
            due = result.wake_at
            if due is None or (next_tick is not None and due >= next_tick) or self.stopping.is_set():
                continue
            self.scheduler.add_job(
                self.wake,
                "date",
                run_date=due,
                args=(result.pipeline,),
                id=f"wake:{result.pipeline}",
                replace_existing=True,
            )
