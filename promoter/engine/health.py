"""What the daemon tells its platform: liveness, readiness and Prometheus metrics over HTTP.

``/healthz`` answers while the process serves; ``/readyz`` once a reconcile pass has completed recently
(within three intervals); ``/metrics`` in Prometheus' text format.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import prometheus_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from promoter.engine.reconcile import PassResult


class Health:
    """Counters and the time of the last completed pass, shared by the scheduler thread and the server."""

    def __init__(self, interval: dt.timedelta) -> None:
        self.registry = prometheus_client.CollectorRegistry()
        self._interval = interval.total_seconds()
        self._last_pass: float | None = None
        self._lock = threading.Lock()
        self.passes = prometheus_client.Counter(
            "promoter_reconcile_passes",
            "Reconcile passes per pipeline",
            ["pipeline", "outcome"],
            registry=self.registry,
        )
        self.duration = prometheus_client.Histogram(
            "promoter_reconcile_seconds",
            "Duration of one pipeline's reconcile pass",
            ["pipeline"],
            registry=self.registry,
        )
        self.actions = prometheus_client.Counter(
            "promoter_actions", "Actions the decision core asked for", ["pipeline"], registry=self.registry
        )

    def observe(self, results: list[PassResult]) -> None:
        for result in results:
            self.passes.labels(result.pipeline, "error" if result.error else "ok").inc()
            self.duration.labels(result.pipeline).observe(result.seconds)
            self.actions.labels(result.pipeline).inc(result.actions)
        with self._lock:
            self._last_pass = time.monotonic()

    def ready(self) -> bool:
        with self._lock:
            last = self._last_pass
        return last is not None and time.monotonic() - last < 3 * max(self._interval, 1.0)

    def app(self) -> Starlette:
        async def healthz(request: Request) -> Response:
            del request
            return PlainTextResponse("ok\n")

        async def readyz(request: Request) -> Response:
            del request
            if self.ready():
                return PlainTextResponse("ready\n")
            return PlainTextResponse("no recent reconcile pass\n", status_code=503)

        async def metrics(request: Request) -> Response:
            del request
            return Response(
                prometheus_client.generate_latest(self.registry), media_type=prometheus_client.CONTENT_TYPE_LATEST
            )

        return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)])
