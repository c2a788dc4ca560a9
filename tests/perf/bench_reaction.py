"""Reaction times of the real loop (sandbox + simulator on loopback): targets <= 1 s each.

- failed verdict (the decision that the merged step failed, from Argo CD's Degraded at the merged commit
  with health re-checked after the sync) -> revert PR open;
- revert merged -> Argo CD refresh asked.

The real adapters are wrapped to note when each call returns or starts; nothing is replaced.

Run: .venv/bin/python -m tests.perf.bench_reaction
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from promoter import logs
from promoter.core.actions import Action, Record
from promoter.core.appstatus import Health
from promoter.core.model import Phase
from promoter.core.runs import StageState
from promoter.engine import execute
from promoter.engine.runtime import Runtime
from tests.e2e.world import World

apply = execute.execute


class Timestamps:
    def __init__(self) -> None:
        self.degraded: float | None = None  # first seen (the rules may not allow a verdict yet)
        self.verdict: float | None = None
        self.revert_opened: float | None = None
        self.revert_merged: float | None = None
        self.refresh_after_revert: float | None = None


def instrument(world: World, marks: Timestamps) -> None:
    rt = world.rt

    def acting(rt: Runtime, pipeline: Any, promotion: Any, snapshot: Any, actions: tuple[Action, ...]) -> Any:
        # The verdict is the decision that fails the step: its effects (status, comment) and record follow.
        failing = any(
            isinstance(a, Record) and a.changes.stage is not None and a.changes.stage.state is StageState.REVERTING
            for a in actions
        )
        if failing and marks.verdict is None:
            marks.verdict = time.perf_counter()
        return apply(rt, pipeline, promotion, snapshot, actions)

    execute.execute = acting  # type: ignore[assignment]
    deployments, forge = rt.deployments, rt.forge
    app_status, open_pr, merge = deployments.app_status, forge.open_pr, forge.merge

    def observed_status(name: str, refresh: bool = True) -> Any:
        if marks.revert_merged is not None and marks.refresh_after_revert is None and refresh:
            marks.refresh_after_revert = time.perf_counter()
        status = app_status(name, refresh)
        if status.health is Health.DEGRADED and marks.degraded is None:
            marks.degraded = time.perf_counter()
        return status

    def opened(head: str, *args: Any) -> Any:
        pr = open_pr(head, *args)
        if head.endswith("-revert") and marks.revert_opened is None:
            marks.revert_opened = time.perf_counter()
        return pr

    def merged(number: int, head_sha: str, method: str, title: str) -> str:
        sha = merge(number, head_sha, method, title)
        if marks.revert_opened is not None and marks.revert_merged is None:
            marks.revert_merged = time.perf_counter()
        return sha

    deployments.app_status = observed_status  # type: ignore[method-assign]
    forge.open_pr = opened  # type: ignore[method-assign]
    forge.merge = merged  # type: ignore[method-assign]


def run(rounds: int = 5) -> dict[str, float]:
    to_revert: list[float] = []
    from_sighting: list[float] = []
    to_refresh: list[float] = []
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    for i in range(rounds):
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            world = World(Path(tmp))
            try:
                marks = Timestamps()
                instrument(world, marks)
                done = world.drive(world.start(f"9.{i}.0-bad").id)
                assert done.phase is Phase.FAILED
                assert marks.degraded and marks.verdict and marks.revert_opened
                assert marks.revert_merged and marks.refresh_after_revert
                to_revert.append((marks.revert_opened - marks.verdict) * 1000)
                from_sighting.append((marks.revert_opened - marks.degraded) * 1000)
                to_refresh.append((marks.refresh_after_revert - marks.revert_merged) * 1000)
            finally:
                world.close()
                execute.execute = apply  # type: ignore[assignment]
    print(f"{rounds} failing promotions on the GitHub sandbox and the Argo CD simulator (loopback)")
    print(
        f"  failed verdict -> revert PR open:        median {statistics.median(to_revert):6.1f} ms  max {max(to_revert):6.1f} ms"
    )
    print(
        f"  revert merged -> Argo CD refresh asked:  median {statistics.median(to_refresh):6.1f} ms  max {max(to_refresh):6.1f} ms"
    )
    print(
        f"  (Degraded first seen -> revert PR open:  median {statistics.median(from_sighting):6.1f} ms; this includes"
    )
    print("   waiting until health is re-checked after the sync, as the verification rules require)")
    return {"to_revert_ms": statistics.median(to_revert), "to_refresh_ms": statistics.median(to_refresh)}


if __name__ == "__main__":
    logs.configure(os.environ.get("PROMOTER_LOG_LEVEL", "warning"))
    run()
