"""Analysis on a real Prometheus scraping the traffic simulator (loopback), with the bot driven in process.

- failing measurement -> revert PR open (target <= 1 s): a canary whose analysis step at 10% measures the bad
  version (``*-err``: healthy on Argo CD, 503s in Prometheus) once, with failure limit 0, so its first
  measurement fails the step. Timed from the Prometheus adapter's answer to that measurement (and, as a
  cross-check, from the measurement's ``taken_at`` in the store, which includes the query) to the revert PR
  being open on the forge;
- one measurement round: ``observe.snapshot`` + ``decide`` for a promotion sitting in an analysis gate, with a
  measurement due (the Prometheus query through the adapter, stored, then judged) and without one (the same
  observation with nothing due), so the query's share shows.

The real adapters are wrapped to note when each call starts or returns; nothing is replaced.

Run: .venv/bin/python -m tests.perf.bench_analysis
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from promoter import logs
from promoter.core.decide import decide
from promoter.core.measurements import Result
from promoter.core.model import EventKind, Phase, Promotion
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import GateRun, GateState
from promoter.core.templates import Prometheus
from promoter.engine import observe
from promoter.engine.reconcile import reconcile_all
from promoter.sandbox import prometheus
from tests.e2e import test_analysis
from tests.e2e.crashes import CANARY_FILES, ONLY_STAGING
from tests.e2e.world import Position, World

TARGET_MS = 1000.0

# The end-to-end template with a single measurement: the bad version fails it at once (failureLimit 0).
ONCE = test_analysis.SUCCESS_RATE.replace("      interval: 2s\n      count: 2\n", "      count: 1\n")
# Measured every 250 ms for as long as the benchmark looks (a good version: it stays in the gate).
STEADY = test_analysis.SUCCESS_RATE.replace(
    "      interval: 2s\n      count: 2\n",
    "      interval: 250ms\n      count: 100000\n      inconclusiveLimit: 1000\n",
)


@dataclasses.dataclass(frozen=True)
class _Stopped:
    moment: dt.datetime

    def now(self) -> dt.datetime:
        return self.moment


def _world(root: Path, template: str) -> World:
    return World(
        root,
        files={**ONLY_STAGING, **CANARY_FILES},
        pipeline=test_analysis.CANARY_ANALYSED,
        analysis={"success-rate.yaml": template},
        traffic=test_analysis.TRAFFIC,
        settings=test_analysis.SETTINGS,
        scenario=test_analysis.HEALTHY,
        deadline="120s",
    )


def _in_gate(current: Promotion, position: Position) -> bool:
    """The promotion waits in a gate of its stage (the canary's analysis step: the only gate here)."""
    return isinstance(position.run, GateRun) and position.run.state is GateState.WAITING


class Marks:
    def __init__(self) -> None:
        self.query_sent: float | None = None
        self.query_answered: float | None = None
        self.query_pass: int | None = None
        self.revert_opened: float | None = None
        self.revert_opened_at: dt.datetime | None = None
        self.revert_pass: int | None = None
        self.passes = 0


def _instrument(world: World, marks: Marks) -> None:
    rt = world.rt
    assert rt.metrics is not None
    metrics_query, open_pr = rt.metrics.query, rt.forge.open_pr

    def measured(provider: Prometheus, query: str, at: dt.datetime) -> Result:
        sent = time.perf_counter()
        try:
            return metrics_query(provider, query, at)
        finally:
            if marks.query_answered is None:
                marks.query_sent, marks.query_answered, marks.query_pass = sent, time.perf_counter(), marks.passes

    def opened(head_branch: str, base_branch: str, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        pr = open_pr(head_branch, base_branch, title, body, labels)
        if head_branch.endswith("-revert") and marks.revert_opened is None:
            marks.revert_opened, marks.revert_pass = time.perf_counter(), marks.passes
            marks.revert_opened_at = dt.datetime.now(dt.UTC)
        return pr

    rt.metrics.query = measured  # type: ignore[method-assign]
    rt.forge.open_pr = opened  # type: ignore[method-assign]


def _summary(samples: Sequence[float]) -> str:
    return f"median {statistics.median(samples):7.1f}  min {min(samples):7.1f}  max {max(samples):7.1f} ms"


def revert_reaction(rounds: int, base: str | None) -> dict[str, list[float]]:
    """Each round: a fresh world, the bad version driven into its analysis gate, then one pass at a time."""
    from_answer: list[float] = []
    from_taken: list[float] = []
    queries: list[float] = []
    same_pass = 0
    notes: list[str] = []
    for i in range(rounds):
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            world = _world(Path(tmp), ONCE)
            try:
                promotion = world.start(f"9.{i}.0-err")
                world.drive(promotion.id, until=_in_gate, timeout=120)
                marks = Marks()
                _instrument(world, marks)
                deadline = time.monotonic() + 60
                while marks.revert_opened is None:
                    assert time.monotonic() < deadline, f"no revert PR: {world.promotion(promotion.id)}"
                    marks.passes += 1
                    results = reconcile_all(world.rt)
                    if marks.query_answered is not None and marks.revert_opened is None:
                        # the measurement is taken and the revert not open: why did the pass stop between them?
                        why = "; ".join(f"{r.phase}, {r.actions} actions, error {r.error}" for r in results)
                        notes.append(f"  round {i + 1}: pass {marks.passes} took the measurement, no revert PR ({why})")
                    if marks.revert_opened is None:
                        time.sleep(0.05)
                assert marks.query_sent and marks.query_answered and marks.revert_opened_at
                event = next(e for e in world.rt.store.events("app", promotion.id) if e.kind is EventKind.MEASURED)
                (measurement,) = world.rt.store.measurements("app", promotion.id, 0)
                assert measurement.taken_at == event.at
                from_answer.append((marks.revert_opened - marks.query_answered) * 1000)
                from_taken.append((marks.revert_opened_at - measurement.taken_at).total_seconds() * 1000)
                queries.append((marks.query_answered - marks.query_sent) * 1000)
                same_pass += marks.query_pass == marks.revert_pass
            finally:
                world.close()
    print(f"{rounds} canaries of a bad version failing their first analysis measurement (count 1, failureLimit 0)")
    print(f"  failing measurement answered -> revert PR open:  {_summary(from_answer)}   target <= {TARGET_MS:.0f} ms")
    print(f"  measurement's taken_at (store) -> revert PR open: {_summary(from_taken)}   (includes the query)")
    print(f"  the Prometheus query itself:                      {_summary(queries)}")
    print(f"  measurement and revert PR in the same reconcile pass: {same_pass} of {rounds}")
    for note in notes:
        print(note)
    return {"from_answer": from_answer, "from_taken": from_taken}


def measurement_round(rounds: int, base: str | None) -> dict[str, list[float]]:
    """In one world whose good version sits in its analysis gate: observe + decide with and without a
    measurement due, alternately, each round waiting (real time) until the next measurement is due."""
    due: list[float] = []
    idle: list[float] = []
    queries: list[float] = []
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        world = _world(Path(tmp), STEADY)
        try:
            promotion = world.start("2.0.0")

            def measuring(current: Promotion, position: Position) -> bool:
                return bool(world.rt.store.measurements("app", current.id, current.stage))

            world.drive(promotion.id, until=measuring, timeout=120)
            rt = world.rt
            assert rt.metrics is not None
            pipeline = rt.pipelines["app"]
            real, metrics_query = rt.clock, rt.metrics.query
            spent: list[float] = []

            def timed_query(provider: Prometheus, query: str, at: dt.datetime) -> Result:
                started = time.perf_counter()
                try:
                    return metrics_query(provider, query, at)
                finally:
                    spent.append((time.perf_counter() - started) * 1000)

            rt.metrics.query = timed_query  # type: ignore[method-assign]

            def once(moment: dt.datetime) -> tuple[float, int]:
                current = world.promotion(promotion.id)
                rt.clock = _Stopped(moment)
                before = len(rt.store.measurements("app", current.id, current.stage))
                started = time.perf_counter()
                snapshot = observe.snapshot(rt, pipeline, current)
                decide(pipeline, current, snapshot)
                elapsed = (time.perf_counter() - started) * 1000
                return elapsed, len(snapshot.measurements) - before

            try:
                for n in range(rounds + 1):  # the first round warms up (connections, caches): not counted
                    last = max(m.taken_at for m in rt.store.measurements("app", promotion.id, 0))
                    wait = (last + dt.timedelta(milliseconds=250) - real.now()).total_seconds()
                    if wait > 0:
                        time.sleep(wait + 0.005)
                    moment = real.now()
                    spent.clear()
                    with_due, taken = once(moment)
                    assert taken == 1 and len(spent) == 1, (taken, spent)
                    query_ms = spent[0]
                    spent.clear()
                    without, taken = once(moment)  # the same moment: the next measurement is not due yet
                    assert taken == 0 and not spent, (taken, spent)
                    if n:
                        due.append(with_due)
                        idle.append(without)
                        queries.append(query_ms)
            finally:
                rt.clock = real
            current = world.promotion(promotion.id)
            assert current.phase is Phase.PROGRESSING, current.reason  # it was in its gate throughout
        finally:
            world.close()
    shares = [q / d * 100 for q, d in zip(queries, due, strict=True)]
    print(f"{rounds} measurement rounds of a canary in its analysis gate (observe.snapshot + decide)")
    print(f"  with a measurement due:      {_summary(due)}")
    print(f"  without (nothing due):       {_summary(idle)}")
    print(f"  of which the query (adapter): {_summary(queries)}   ({statistics.median(shares):.0f}% of the round)")
    return {"due": due, "idle": idle, "query": queries}


def run(rounds: int = 5, measurements: int = 50) -> dict[str, float]:
    if not prometheus.installed():
        print("skipped: Prometheus is not installed (scripts/system-packages installs the Debian package)")
        return {}
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    print("Analysis on a real Prometheus scraping the traffic simulator, GitHub sandbox, Argo CD simulator (loopback)")
    reaction = revert_reaction(rounds, base)
    measured = measurement_round(measurements, base)
    return {
        "to_revert_ms": statistics.median(reaction["from_answer"]),
        "from_taken_ms": statistics.median(reaction["from_taken"]),
        "round_due_ms": statistics.median(measured["due"]),
        "round_idle_ms": statistics.median(measured["idle"]),
        "query_ms": statistics.median(measured["query"]),
    }


if __name__ == "__main__":
    logs.configure(os.environ.get("PROMOTER_LOG_LEVEL", "warning"))
    run()
