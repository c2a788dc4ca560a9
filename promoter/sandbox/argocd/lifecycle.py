"""One Application's life in the simulated controller: pure functions of (state, what Git says, scenario, time).

Modelled on Argo CD's application controller, whose two halves do not move together:
- a *sync operation* deploys revisions: ``Running`` for ``sync_seconds``, then ``Succeeded`` (or ``Failed``),
  and the deployment enters the history;
- a *reconcile* (comparison) sets ``sync`` (the manifests deployed vs. those rendered at the branch heads,
  so a commit that leaves an Application's manifests as they run keeps it Synced, at the new revision),
  ``health`` (each live workload's, from its images, its replicas and the time since a deployment last
  changed it: see :mod:`.health`; the app's is the worst) and ``reconciledAt``; with automated sync it
  starts an operation when the app is OutOfSync.
After an operation ends, the controller looks again only ``settle_seconds`` later, so for that moment the
operation already says ``Succeeded`` at the new revision while sync and health still describe the old one:
the race promoter's verification must not be fooled by (DESIGN.md §6). Besides, the controller looks again
every ``sync_interval_seconds``, when a rollout's Progressing time ends, and whenever a refresh asks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from promoter.core.appstatus import Condition, Health, OperationPhase, SyncStatus
from promoter.sandbox.argocd import health
from promoter.sandbox.argocd.health import Assessment, Workload
from promoter.sandbox.argocd.scenario import Override, Scenario, first_match

_HISTORY_LIMIT = 10  # Argo CD's default revisionHistoryLimit
_MAX_EVENTS = 200  # a bound on catching up; beyond it the controller just looks once, now

ImagesOf = Callable[[tuple[str, ...]], tuple[str, ...]]  # the images deployed by some revisions
WorkloadsOf = Callable[[tuple[str, ...]], tuple[Workload, ...]]  # the workloads deployed by some revisions
ContentOf = Callable[[tuple[str, ...]], str]  # a digest of the manifests some revisions render (equal: same manifests)


def by_revisions(revisions: tuple[str, ...]) -> str:
    """The content of ``revisions`` when their manifests are not known: each revision its own content."""
    return "revisions:" + ",".join(revisions)


@dataclasses.dataclass(frozen=True)
class Desired:
    """What Git says an Application should run, as observed once per request."""

    revisions: tuple[str, ...] | None  # per source; None when a targetRevision names no commit
    error: str | None = None  # why the manifests cannot be generated (a ComparisonError)


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything besides its own state and the time that an Application's controller looks at."""

    desired: Desired
    images_of: ImagesOf
    scenario: Scenario
    auto: bool  # whether it syncs by itself when OutOfSync (automated sync policy)
    workloads_of: WorkloadsOf | None = None  # None: the images of some revisions are one workload of unknown kind
    content_of: ContentOf | None = None  # None: manifests not known, revisions compared instead (:func:`by_revisions`)

    def content(self, revisions: tuple[str, ...]) -> str:
        """What ``revisions`` render, as a digest: two renderings are the same manifests when their digests agree."""
        return by_revisions(revisions) if self.content_of is None else self.content_of(revisions)

    def workloads(self, revisions: tuple[str, ...]) -> tuple[Workload, ...]:
        if self.workloads_of is None:
            return health.implied(self.images_of(revisions))
        return self.workloads_of(revisions)


@dataclasses.dataclass(frozen=True)
class Operation:
    revisions: tuple[str, ...]
    started_at: dt.datetime
    initiated_by: str | None  # a username; None when the controller started it (automated sync)
    phase: OperationPhase = OperationPhase.RUNNING
    finished_at: dt.datetime | None = None
    message: str = "one or more tasks are running"
    prune: bool = False


@dataclasses.dataclass(frozen=True)
class Deployment:
    """One entry of ``status.history``."""

    id: int
    revisions: tuple[str, ...]
    started_at: dt.datetime
    deployed_at: dt.datetime
    initiated_by: str | None
    content: str  # the digest of the manifests it applied (:meth:`Inputs.content`, at the time)


@dataclasses.dataclass(frozen=True)
class State:
    operation: Operation | None = None
    history: tuple[Deployment, ...] = ()
    sync: SyncStatus = SyncStatus.UNKNOWN
    compared: tuple[str, ...] = ()  # the revisions the last comparison was made to
    health: Health = Health.MISSING
    health_message: str | None = None
    health_changed_at: dt.datetime | None = None
    resource_health: tuple[Assessment, ...] = ()  # each live workload's, at the last comparison
    reconciled_at: dt.datetime | None = None
    conditions: tuple[Condition, ...] = ()
    recheck_at: dt.datetime | None = None  # the controller's next look when sooner than its interval
    failed: str | None = None  # the content whose sync failed: automated sync does not retry the same manifests

    @property
    def live(self) -> Deployment | None:
        return self.history[-1] if self.history else None

    @property
    def running(self) -> bool:
        return self.operation is not None and self.operation.phase is OperationPhase.RUNNING


def deployed(revisions: tuple[str, ...], now: dt.datetime, scenario: Scenario, content: str | None = None) -> State:
    """An Application found running already when the simulator starts: synced long enough ago to be settled.

    ``content``: what ``revisions`` render (:meth:`Inputs.content`); left out, :func:`by_revisions`."""
    at = now - dt.timedelta(seconds=scenario.progressing_seconds + scenario.settle_seconds)
    started = at - dt.timedelta(seconds=scenario.sync_seconds)
    operation = Operation(revisions, started, None, OperationPhase.SUCCEEDED, at, "successfully synced (all tasks run)")
    entry = Deployment(0, revisions, started, at, None, by_revisions(revisions) if content is None else content)
    return State(operation=operation, history=(entry,))


def start(state: State, revisions: tuple[str, ...], now: dt.datetime, user: str | None, prune: bool = False) -> State:
    """A sync operation begins (the caller has checked that none is running)."""
    return dataclasses.replace(state, operation=Operation(revisions, now, user, prune=prune))


def advance(state: State, inputs: Inputs, now: dt.datetime) -> State:
    """Everything the controller would have done up to ``now``, one event at a time."""
    if state.reconciled_at is None:  # never looked at yet (just created, or just found in Git)
        state = reconcile(state, inputs, now)
    for _ in range(_MAX_EVENTS):
        due = _next_event(state, inputs.scenario)
        if due is None or due > now:
            return state
        operation = state.operation
        if operation is not None and state.running and _finish_time(operation, inputs.scenario) <= due:
            state = _finish(state, inputs)
        else:
            state = reconcile(state, inputs, _skip_idle(state, inputs, due, now))
    return reconcile(state, inputs, now)


def reconcile(state: State, inputs: Inputs, now: dt.datetime) -> State:
    """The controller compares Git with the live state at ``now``; when automated, it syncs what differs.

    As Argo CD does, it compares manifests, not revisions: the manifests rendered at the branch heads with
    those the last deployment applied. A commit that leaves them equal (it touched other Applications' files,
    or it put back what runs) keeps the app Synced, now at the new revision (``compared``), and starts nothing:
    the operation and the history stay as they were, and so does health (nothing rolled out).
    """
    desired, live = inputs.desired, state.live
    wanted = desired.revisions
    if wanted is None or desired.error is not None:
        sync, compared = SyncStatus.UNKNOWN, wanted or state.compared
    else:
        synced = live is not None and len(live.revisions) == len(wanted) and live.content == inputs.content(wanted)
        sync, compared = (SyncStatus.SYNCED if synced else SyncStatus.OUT_OF_SYNC), wanted
    assessed = _health(state, inputs, now)
    status, message = (Health.MISSING, None) if live is None else health.overall(assessed)
    reconciled = dataclasses.replace(
        state,
        sync=sync,
        compared=compared,
        health=status,
        health_message=message,
        health_changed_at=now
        if status is not state.health or state.health_changed_at is None
        else state.health_changed_at,
        resource_health=assessed,
        reconciled_at=now,
        conditions=(Condition("ComparisonError", desired.error),) if desired.error else (),
        recheck_at=min((a.until for a in assessed if a.until is not None), default=None),
    )
    failed_before = wanted is not None and inputs.content(wanted) == state.failed
    if inputs.auto and sync is SyncStatus.OUT_OF_SYNC and wanted and not state.running and not failed_before:
        return start(reconciled, wanted, now, None)
    return reconciled


def _health(state: State, inputs: Inputs, now: dt.datetime) -> tuple[Assessment, ...]:
    """Each live workload's health: the scenario's outcome for its own images, timed from its own last change."""
    live = state.live
    if live is None:
        return ()
    running = inputs.workloads(live.revisions)
    progressing = dt.timedelta(seconds=inputs.scenario.progressing_seconds)
    earlier = [(e.deployed_at, inputs.workloads(e.revisions)) for e in reversed(state.history[:-1])] if running else []
    assessed = []
    for workload in running:
        changed = live.deployed_at  # when a deployment gave the workload its present form
        for deployed_at, deployed in earlier:
            if workload not in deployed:
                break
            changed = deployed_at
        outcome, culprit = inputs.scenario.outcome(workload.images)
        assessed.append(health.assess(workload, outcome, culprit, changed + progressing, now))
    return tuple(assessed)


def _finish(state: State, inputs: Inputs) -> State:
    operation, scenario = state.operation, inputs.scenario
    assert operation is not None
    finished = _finish_time(operation, scenario)
    recheck = finished + dt.timedelta(seconds=scenario.settle_seconds)
    culprit = first_match(scenario.sync_fail_images, inputs.images_of(operation.revisions))
    if culprit is not None:
        message = f"one or more objects failed to apply, reason: image {culprit} was refused"
        failed = dataclasses.replace(operation, phase=OperationPhase.FAILED, finished_at=finished, message=message)
        content = inputs.content(operation.revisions)
        return dataclasses.replace(state, operation=failed, recheck_at=recheck, failed=content)
    done = dataclasses.replace(
        operation, phase=OperationPhase.SUCCEEDED, finished_at=finished, message="successfully synced (all tasks run)"
    )
    entry = Deployment(
        state.history[-1].id + 1 if state.history else 0,
        operation.revisions,
        operation.started_at,
        finished,
        operation.initiated_by,
        inputs.content(operation.revisions),
    )
    history = (*state.history, entry)[-_HISTORY_LIMIT:]
    return dataclasses.replace(state, operation=done, history=history, recheck_at=recheck, failed=None)


def _next_event(state: State, scenario: Scenario) -> dt.datetime | None:
    times = []
    if state.operation is not None and state.running:
        times.append(_finish_time(state.operation, scenario))
    if state.recheck_at is not None:
        times.append(state.recheck_at)
    if state.reconciled_at is not None and scenario.sync_interval_seconds is not None:
        times.append(state.reconciled_at + dt.timedelta(seconds=scenario.sync_interval_seconds))
    return min(times, default=None)


def _skip_idle(state: State, inputs: Inputs, due: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Jump over periodic looks that would change nothing but ``reconciledAt`` (a long idle spell)."""
    interval = inputs.scenario.sync_interval_seconds
    if interval is None or state.recheck_at is not None or state.running or now - due < dt.timedelta(seconds=interval):
        return due
    if reconcile(state, inputs, due) != dataclasses.replace(state, reconciled_at=due):
        return due
    skipped = (now - due) // dt.timedelta(seconds=interval)
    return due + skipped * dt.timedelta(seconds=interval)


def _finish_time(operation: Operation, scenario: Scenario) -> dt.datetime:
    return operation.started_at + dt.timedelta(seconds=scenario.sync_seconds)


def overridden(state: State, override: Override, now: dt.datetime) -> State:
    """The state as the Application reports it under a scripted override (its controller's own is unchanged)."""
    if override.health is not None:
        state = dataclasses.replace(state, health=override.health, health_message=override.health_message)
    if override.sync is not None:
        state = dataclasses.replace(state, sync=override.sync)
    if override.operation is not None:
        revisions = state.live.revisions if state.live else state.compared
        finished = None if override.operation is OperationPhase.RUNNING else now
        message = "one or more tasks are running" if finished is None else f"operation {override.operation.value}"
        operation = Operation(revisions, now, None, override.operation, finished, message)
        state = dataclasses.replace(state, operation=operation)
    return state
