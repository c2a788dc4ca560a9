"""A quick run of each benchmark so they cannot rot; figures are printed, never asserted."""

from __future__ import annotations

import os

import pytest

from promoter.sandbox import prometheus
from tests.perf import bench_analysis, bench_cli, bench_edit, bench_git, bench_reaction, bench_rest


def test_edit_benchmark_runs() -> None:
    results = bench_edit.run(repeat=3)
    assert set(results) and all(value > 0 for value in results.values())


def test_cli_benchmark_runs() -> None:
    results = bench_cli.run(repeat=1)
    assert any(label.startswith("status") for label in results) and all(value > 0 for value in results.values())


def test_git_benchmark_runs() -> None:
    results = bench_git.run(steps=3, clones=1, files=300)
    assert results["step_ms"] > 0


def test_reaction_benchmark_runs() -> None:
    results = bench_reaction.run(rounds=1)
    assert results["to_revert_ms"] > 0


def test_rest_benchmark_runs() -> None:
    results = bench_rest.run(idle_passes=2, waiting_passes=2)
    assert results["passes"] > 0


@pytest.mark.skipif(
    not prometheus.installed() and not os.environ.get("CI"),
    reason="Prometheus is not installed (scripts/system-packages installs the Debian package)",
)
def test_analysis_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # one world, one round: the revert figure (the round-cost figure takes a second world: `make perf`)
    reaction = bench_analysis.revert_reaction(1, None)
    assert "failing measurement answered -> revert PR open" in capsys.readouterr().out
    assert reaction["from_answer"] and reaction["from_answer"][0] > 0
