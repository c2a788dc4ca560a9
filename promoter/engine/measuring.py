"""Taking the measurements an analysis needs now: each request due by now and not taken yet, from Prometheus.

A measurement is stored as it is taken, with its event, under its key (run, metric, index): a pass that
crashes after storing it finds it next time and takes the next one instead, so none is counted twice. What
Prometheus could not answer (down, a timeout, a bad query) is an Error measurement, judged by the core like
any other; it is never a value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from promoter import logs
from promoter.core import records
from promoter.core.analysis import Request
from promoter.core.measurements import Measurement, Result
from promoter.core.model import EventKind, Pipeline, Promotion
from promoter.core.snapshot import Snapshot
from promoter.engine.runtime import Runtime
from promoter.errors import PromoterError

log = logs.get("promoter.measuring")


def take(
    rt: Runtime,
    pipeline: Pipeline,
    promotion: Promotion,
    requests: Sequence[Request],
    measured: tuple[Measurement, ...],
    now: dt.datetime,
) -> tuple[Measurement, ...]:
    """``measured`` with every request that is due taken (and stored); the others wait for their time."""
    taken = {m.key for m in measured}
    added: list[Measurement] = []
    for request in requests:
        if request.due > now or request.key in taken:
            continue
        measurement = _measure(rt, request, now)
        event = records.event(
            pipeline,
            promotion,
            Snapshot(now=now),
            EventKind.MEASURED,
            f"{request.key.metric} #{request.key.index + 1}: {_shown(measurement)}",
            run=request.key.run,
            metric=request.key.metric,
            index=request.key.index,
            value=_plain(measurement.value),
            baseline=_plain(measurement.baseline),
            traffic=_plain(measurement.traffic),
            error=measurement.error,
        )
        if rt.store.add_measurement(pipeline.name, promotion.id, measurement, event):
            added.append(measurement)
        taken.add(request.key)
    if not added:
        return measured
    # A concurrent writer may have stored one first: read back what the store keeps (the first is the truth).
    return tuple(rt.store.measurements(pipeline.name, promotion.id, promotion.stage))


def _measure(rt: Runtime, request: Request, now: dt.datetime) -> Measurement:
    blank = Measurement(request.key, now)
    if rt.metrics is None:
        return dataclasses.replace(blank, error="no metrics client configured")
    try:
        if request.window is not None and request.step is not None:
            start = now - request.window
            value: Result = rt.metrics.samples(request.provider, request.provider.query, start, now, request.step)
            baseline: Result | None = (
                rt.metrics.samples(request.provider, request.baseline, start, now, request.step)
                if request.baseline is not None
                else None
            )
        else:
            value = rt.metrics.query(request.provider, request.provider.query, now)
            baseline = (
                rt.metrics.query(request.provider, request.baseline, now) if request.baseline is not None else None
            )
        traffic = rt.metrics.query(request.provider, request.traffic, now) if request.traffic is not None else None
    except PromoterError as exc:  # down, a timeout, a refused query: an Error measurement, never a value
        log.warning("measurement_failed", metric=request.key.metric, error=str(exc))
        return dataclasses.replace(blank, error=str(exc))
    return dataclasses.replace(blank, value=value, baseline=baseline, traffic=traffic)


def _plain(value: Result | None) -> object:
    return list(value) if isinstance(value, tuple) else value


def _shown(measurement: Measurement) -> str:
    if measurement.error is not None:
        return f"error: {measurement.error}"
    value = measurement.value
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:.4g}" for v in value[:5]) + ("…]" if len(value) > 5 else "]")
    return f"{value:.4g}" if value is not None else "none"
