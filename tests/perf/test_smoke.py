"""A quick run of each benchmark so they cannot rot; figures are printed, never asserted."""

from __future__ import annotations

from tests.perf import bench_edit, bench_git, bench_reaction, bench_rest


def test_edit_benchmark_runs() -> None:
    results = bench_edit.run(repeat=3)
    assert set(results) and all(value > 0 for value in results.values())


def test_git_benchmark_runs() -> None:
    results = bench_git.run(steps=3, clones=1, files=300)
    assert results["step_ms"] > 0


def test_reaction_benchmark_runs() -> None:
    results = bench_reaction.run(rounds=1)
    assert results["to_revert_ms"] > 0


def test_rest_benchmark_runs() -> None:
    results = bench_rest.run(idle_passes=2, waiting_passes=2)
    assert results["passes"] > 0
