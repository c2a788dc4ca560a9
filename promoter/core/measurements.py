"""Measurements of an analysis run as they were taken: plain values (the Prometheus answer parsed at the edge),
stored as taken and read back into each decision's snapshot. Pure values.

A measurement is keyed by its run, metric and index (``n``-th of the metric): the shell stores it once, so a
retry after a crash never counts one twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

# A scalar, or a vector's values (one per series, in the order Prometheus returned them); NaN and ±Inf kept.
# A judge's samples (a range query) are a vector of the samples in time order.
Result = float | tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class MeasureKey:
    run: str  # the analysis run: ``"{stage}:{item}"`` for a gate, ``"{stage}:background"`` for a background run
    metric: str
    index: int


@dataclasses.dataclass(frozen=True)
class Measurement:
    key: MeasureKey
    taken_at: dt.datetime
    value: Result | None = None  # the metric's query (None with an error)
    baseline: Result | None = None  # the baseline's series under the same query, when the metric has one
    traffic: Result | None = None  # the request count, when the metric asks for a minimum
    error: str | None = None  # Prometheus down, a timeout, a query error: an Error measurement
