"""The suite's parallel run relies on ``--dist loadgroup``: the demo, the crash drills and the Prometheus tests
each share one expensive set-up per group. When a pytest/xdist pair stops honouring ``xdist_group`` (pytest
9.2 did, silently: pytest-xdist#1386), each worker repeats those set-ups and the suite takes minutes longer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """\
import os
import pytest

pytestmark = pytest.mark.xdist_group("one")


@pytest.mark.parametrize("i", range(4))
def test_worker(i):
    with open(os.environ["PROBE_OUT"], "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + " ")
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-q"],
        env={**os.environ, "PROBE_OUT": str(tmp_path / "workers")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers = set((tmp_path / "workers").read_text().split())
    assert len(workers) == 1, f"one group ran on {sorted(workers)}: xdist_group is not honoured"
