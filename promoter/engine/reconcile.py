"""One reconcile pass: for each pipeline, under its lock, move its promotion as far as it can go now.

A pass first rebuilds a lost store (once per process), asks Argo CD for the refreshes it still owes, then
observes, decides and executes until the decision asks for nothing. An error that stops the pass is kept
as the pipeline's current error, with since when (``promoter status`` shows it), logged when it starts or
changes, and cleared by the next pass that succeeds. Passes that change nothing log at debug level.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

from promoter import logs
from promoter.core import texts
from promoter.core.decide import decide
from promoter.core.model import ErrorKind, Pipeline, PipelineError, Promotion, current
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import ChangeRun
from promoter.engine import execute, observe, rebuild
from promoter.engine.runtime import Runtime
from promoter.errors import CredentialError, PermanentError, PromoterError, TemporaryError

log = logs.get("promoter.reconcile")

MAX_ROUNDS = 25  # decide/execute rounds per pass: bounded, so a bug cannot spin


@dataclasses.dataclass(frozen=True)
class PassResult:
    pipeline: str
    promotion: str | None
    phase: str | None
    actions: int
    error: str | None
    seconds: float
    wake_at: dt.datetime | None = None  # a gate of the current step comes due then (sooner than the interval)


def reconcile_all(rt: Runtime) -> list[PassResult]:
    return [reconcile(rt, pipeline) for pipeline in rt.pipelines.values()]


def reconcile(rt: Runtime, pipeline: Pipeline) -> PassResult:
    started = time.monotonic()
    count = 0
    failure: PromoterError | None = None
    promotion: Promotion | None = None
    wake: dt.datetime | None = None
    with rt.store.lock(pipeline.name) as held:
        if not held:
            return PassResult(pipeline.name, None, None, 0, "another replica holds the lock", 0.0)
        try:
            rebuild.ensure(rt, pipeline)
            _flush_refreshes(rt, pipeline)
            for _ in range(MAX_ROUNDS * 4):  # one promotion can finish and the next start in one pass
                following = current(rt.store.promotions(pipeline.name, unfinished=True))
                if following is None:
                    break  # the pass reports the promotion it worked on last
                promotion = following
                done, actions, wake = _drive(rt, pipeline, promotion)
                count += actions
                if not done:
                    break
        except PromoterError as exc:
            failure = exc
        previous = rt.errors().get(pipeline.name)
        _keep_error(rt, pipeline, failure)
        if promotion is not None:
            _tell_the_pr(rt, pipeline, promotion, previous, rt.errors().get(pipeline.name))
        finished = rt.store.promotion(promotion.id, pipeline.name) if promotion else None
        if failure is not None or finished is None or finished.phase.finished:
            wake = _retry_at(rt, pipeline, failure) if finished is not None and not finished.phase.finished else None
    result = PassResult(
        pipeline.name,
        promotion.id if promotion else None,
        finished.phase.value if finished else None,
        count,
        str(failure) if failure else None,
        time.monotonic() - started,
        wake,
    )
    fields = dataclasses.asdict(result) | {"wake_at": wake.isoformat() if wake else None}
    (log.info if count else log.debug)("reconcile_pass", **fields)
    return result


_LONGEST_RETRY = dt.timedelta(minutes=5)


def _retry_at(rt: Runtime, pipeline: Pipeline, failure: PromoterError | None) -> dt.datetime | None:
    """When to try again after a pass that a temporary error ended: after the delay the service asked for
    (``Retry-After``), or longer the longer the error has lasted (at most five minutes, and the reconcile
    interval comes first anyway). A permanent error waits for the interval: a person must act first."""
    if not isinstance(failure, TemporaryError):
        return None
    now = rt.clock.now()
    error = rt.errors().get(pipeline.name)
    lasted = now - error.since if error is not None else dt.timedelta(0)
    delay = max(dt.timedelta(seconds=max(failure.delay, 1.0)), min(lasted, _LONGEST_RETRY))
    return now + delay


def _tell_the_pr(
    rt: Runtime,
    pipeline: Pipeline,
    promotion: Promotion,
    previous: PipelineError | None,
    now_error: PipelineError | None,
) -> None:
    """A refused credential stops the promotion until a person acts: say so on its PR (once per error, edited
    in place), and again when it works. Best effort: the token that was refused may not comment either."""
    was = previous if previous is not None and previous.kind is ErrorKind.CREDENTIALS else None
    blocked = now_error if now_error is not None and now_error.kind is ErrorKind.CREDENTIALS else None
    if blocked is None and was is None:
        return
    if blocked is not None and was is not None and blocked.message == was.message:
        return  # said already
    number = _pr_of(rt, pipeline, promotion)
    if number is None:
        return
    marker = texts.blocked_marker(pipeline.name, promotion.id)
    if blocked is not None:
        body = texts.blocked_comment(pipeline.name, promotion.id, blocked.message, blocked.since)
    else:
        assert was is not None
        body = texts.unblocked_comment(pipeline.name, promotion.id, was.message, was.since, rt.clock.now())
    try:
        rt.forge.upsert_comment(number, marker, body)
    except PromoterError as exc:
        log.warning("report_failed", pipeline=pipeline.name, pr=number, error=str(exc))


def _pr_of(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> int | None:
    """The PR a person looks at for this promotion now: its stage's revert, else its current change's."""
    stage = rt.store.stage_run(pipeline.name, promotion.id, promotion.stage)
    if stage is not None and stage.revert_pr_number is not None:
        return stage.revert_pr_number
    runs = rt.store.runs(pipeline.name, promotion.id, promotion.stage)
    numbers = [r.pr_number for r in runs if isinstance(r, ChangeRun) and r.pr_number is not None]
    current = next((r for r in runs if r.key.item == promotion.step), None)
    if isinstance(current, ChangeRun) and current.pr_number is not None:
        return current.pr_number
    return numbers[-1] if numbers else None


def _flush_refreshes(rt: Runtime, pipeline: Pipeline) -> None:
    """Ask Argo CD for the refreshes it could not take before (it was down after a merge or a revert)."""
    for name in rt.store.pending_refreshes(pipeline.name):
        try:
            rt.deployments.app_status(name, refresh=True)
        except PromoterError:
            return  # still down: the next pass asks again
        rt.store.refreshed(pipeline.name, name)
        log.info("refresh_caught_up", pipeline=pipeline.name, application=name)


def _keep_error(rt: Runtime, pipeline: Pipeline, failure: PromoterError | None) -> None:
    """Record the pipeline's current error (keeping since when it lasts), or clear it; log changes only."""
    now = rt.clock.now()
    previous = rt.errors().get(pipeline.name)
    if failure is None:
        if previous is not None:
            rt.store.set_error(pipeline.name, None)
            rt.errors()[pipeline.name] = None
            log.info(
                "pipeline_recovered", pipeline=pipeline.name, error=previous.message, since=previous.since.isoformat()
            )
        return
    kind = _kind(failure)
    message = str(failure)
    same = previous is not None and previous.kind is kind and previous.message == message
    since = previous.since if same and previous is not None else now
    error = PipelineError(pipeline.name, kind, message, since, now)
    if not same or now - (previous.seen_at if previous else now) >= _REMIND:
        rt.store.set_error(pipeline.name, error)
        rt.errors()[pipeline.name] = error
        level = log.warning if kind is ErrorKind.TEMPORARY else log.error
        level("pipeline_error", pipeline=pipeline.name, kind=kind.value, error=message, since=since.isoformat())


_REMIND = dt.timedelta(minutes=5)  # a lasting error is logged (and its row touched) again this often


def _kind(failure: PromoterError) -> ErrorKind:
    if isinstance(failure, CredentialError):
        return ErrorKind.CREDENTIALS
    if isinstance(failure, PermanentError):
        return ErrorKind.PERMANENT
    return ErrorKind.TEMPORARY


def _drive(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> tuple[bool, int, dt.datetime | None]:
    """Decide and execute until the decision asks for nothing; (finished, actions taken, when to look again)."""
    snapshot = observe.snapshot(rt, pipeline, promotion)
    count = 0
    opened: PullRequest | None = None
    decision = decide(pipeline, promotion, snapshot)
    for _ in range(MAX_ROUNDS):
        if not decision.actions:
            break
        count += len(decision.actions)
        outcome = execute.execute(rt, pipeline, promotion, snapshot, decision.actions)
        if outcome.opened and isinstance(outcome.snapshot.pr, PullRequest):
            opened = outcome.snapshot.pr  # the PR as the forge answered its opening: not read again
        if outcome.recorded:
            fresh = rt.store.promotion(promotion.id, pipeline.name)
            assert fresh is not None
            promotion = fresh
            if promotion.phase.finished:
                return True, count, None
            # A permanent failure found while acting is kept for the next decision.
            fresh_snapshot = observe.snapshot(rt, pipeline, promotion, known=opened)
            snapshot = dataclasses.replace(fresh_snapshot, failure=outcome.snapshot.failure)
            opened = None
        else:
            snapshot = outcome.snapshot
        decision = decide(pipeline, promotion, snapshot)
    return promotion.phase.finished, count, decision.wake_at
