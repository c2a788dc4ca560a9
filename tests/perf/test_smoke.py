"""A quick run of each benchmark so they cannot rot; figures are printed, never asserted."""

from __future__ import annotations

from tests.perf import bench_edit


def test_edit_benchmark_runs() -> None:
    results = bench_edit.run(repeat=3)
    assert set(results) and all(value > 0 for value in results.values())
