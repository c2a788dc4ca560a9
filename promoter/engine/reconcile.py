"""One reconcile pass: for each pipeline, under its lock, move its promotion as far as it can go now."""

from __future__ import annotations

import dataclasses
import time

import structlog

from promoter.core.decide import decide
from promoter.core.model import Phase, Pipeline, Promotion
from promoter.engine import observe
from promoter.engine.execute import execute
from promoter.engine.runtime import Runtime
from promoter.errors import PermanentError, TemporaryError

log = structlog.get_logger("promoter.reconcile")

MAX_ROUNDS = 25  # decide/execute rounds per pass: bounded, so a bug cannot spin


@dataclasses.dataclass(frozen=True)
class PassResult:
    pipeline: str
    promotion: str | None
    phase: str | None
    actions: int
    error: str | None
    seconds: float


def reconcile_all(rt: Runtime) -> list[PassResult]:
    return [reconcile(rt, pipeline) for pipeline in rt.pipelines.values()]


def current(rt: Runtime, pipeline: Pipeline) -> Promotion | None:
    """The promotion to work on: the oldest one in progress, else the oldest pending one."""
    unfinished = sorted(rt.store.promotions(pipeline.name, unfinished=True), key=lambda p: (p.created_at, p.id))
    progressing = [p for p in unfinished if p.phase is Phase.PROGRESSING]
    candidates = progressing or unfinished
    return candidates[0] if candidates else None


def reconcile(rt: Runtime, pipeline: Pipeline) -> PassResult:
    started = time.monotonic()
    count = 0
    error: str | None = None
    promotion: Promotion | None = None
    with rt.store.lock(pipeline.name) as held:
        if not held:
            return PassResult(pipeline.name, None, None, 0, "another replica holds the lock", 0.0)
        try:
            for _ in range(MAX_ROUNDS * 4):  # one promotion can finish and the next start in one pass
                promotion = current(rt, pipeline)
                if promotion is None:
                    break
                done, actions = _drive(rt, pipeline, promotion)
                count += actions
                if not done:
                    break
        except TemporaryError as exc:
            error = str(exc)
        except PermanentError as exc:
            error = str(exc)
    finished = rt.store.promotion(promotion.id, pipeline.name) if promotion else None
    result = PassResult(
        pipeline.name,
        promotion.id if promotion else None,
        finished.phase.value if finished else None,
        count,
        error,
        time.monotonic() - started,
    )
    log.info("reconcile_pass", **dataclasses.asdict(result))
    return result


def _drive(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> tuple[bool, int]:
    """Decide and execute until the decision asks for nothing; return (finished, actions taken)."""
    snapshot = observe.snapshot(rt, pipeline, promotion)
    count = 0
    for _ in range(MAX_ROUNDS):
        actions = decide(pipeline, promotion, snapshot)
        if not actions:
            break
        count += len(actions)
        outcome = execute(rt, pipeline, snapshot, actions)
        if outcome.recorded:
            fresh = rt.store.promotion(promotion.id, pipeline.name)
            assert fresh is not None
            promotion = fresh
            if promotion.phase.finished:
                return True, count
            # A permanent failure found while acting is kept for the next decision.
            snapshot = dataclasses.replace(observe.snapshot(rt, pipeline, promotion), failure=outcome.snapshot.failure)
        else:
            snapshot = outcome.snapshot
    return promotion.phase.finished, count
