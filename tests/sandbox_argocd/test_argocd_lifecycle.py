"""The simulated controller as pure functions: sync operations, comparisons and health over time."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from promoter.core.appstatus import Condition, Health, OperationPhase, SyncStatus
from promoter.sandbox.argocd import lifecycle
from promoter.sandbox.argocd.lifecycle import Desired, Inputs, State
from promoter.sandbox.argocd.scenario import Scenario

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
IMAGES = {("a",): ("web:1",), ("b",): ("web:2",), ("bad",): ("web:bad-1",)}
RULES = Scenario(
    fail_images=("*:bad-*",),
    stuck_images=("*:stuck",),
    suspend_images=("*:paused",),
    sync_fail_images=("*:refused",),
    progressing_seconds=10,
    sync_seconds=1,
    settle_seconds=1,
    sync_interval_seconds=3,
)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def inputs(revision: str | None, scenario: Scenario = RULES, auto: bool = True, error: str | None = None) -> Inputs:
    desired = Desired(None if revision is None else (revision,), error)
    return Inputs(desired, lambda revisions: IMAGES.get(revisions, (f"web:{revisions[0]}",)), scenario, auto)


def running_a() -> State:
    """Deployed at revision a long ago, and looked at just now (T0)."""
    return lifecycle.advance(lifecycle.deployed(("a",), T0, RULES), inputs("a"), T0)


def test_an_app_found_at_start_is_synced_and_healthy() -> None:
    state = running_a()
    assert (state.sync, state.health, state.compared, state.reconciled_at) == (
        SyncStatus.SYNCED,
        Health.HEALTHY,
        ("a",),
        T0,
    )
    assert state.operation is not None
    assert state.operation.phase is OperationPhase.SUCCEEDED
    assert state.operation.finished_at is not None
    assert state.operation.finished_at < T0


def test_a_new_commit_is_noticed_on_the_interval_then_synced_then_settles() -> None:
    moved = inputs("b")
    state = lifecycle.advance(running_a(), moved, at(2))
    assert state.sync is SyncStatus.SYNCED  # the controller has not looked yet
    state = lifecycle.advance(state, moved, at(3))
    assert (state.sync, state.running) == (SyncStatus.OUT_OF_SYNC, True)
    state = lifecycle.advance(state, moved, at(4.5))
    assert state.operation is not None
    assert (state.operation.phase, state.operation.finished_at) == (OperationPhase.SUCCEEDED, at(4))
    assert (state.sync, state.health, state.reconciled_at) == (SyncStatus.OUT_OF_SYNC, Health.HEALTHY, at(3))
    state = lifecycle.advance(state, moved, at(5))
    assert (state.sync, state.health, state.reconciled_at) == (SyncStatus.SYNCED, Health.PROGRESSING, at(5))
    state = lifecycle.advance(state, moved, at(14))
    assert (state.health, state.reconciled_at, state.health_changed_at) == (Health.HEALTHY, at(14), at(14))
    assert [entry.revisions for entry in state.history] == [("a",), ("b",)]


@pytest.mark.parametrize(
    ("image", "health", "message"),
    [
        ("bad", Health.DEGRADED, "image web:bad-1 failing: the rollout exceeded its progress deadline"),
        ("stuck", Health.PROGRESSING, None),
        ("paused", Health.SUSPENDED, "image web:paused: the rollout is paused"),
    ],
)
def test_the_scenario_decides_how_a_rollout_ends(image: str, health: Health, message: str | None) -> None:
    state = lifecycle.reconcile(running_a(), inputs(image), at(1))
    state = lifecycle.advance(state, inputs(image), at(4))
    assert state.health is Health.PROGRESSING
    state = lifecycle.advance(state, inputs(image), at(3600))
    assert (state.health, state.health_message, state.sync) == (health, message, SyncStatus.SYNCED)


def test_a_failed_sync_keeps_the_old_revision_and_is_not_retried_automatically() -> None:
    state = lifecycle.reconcile(running_a(), inputs("refused"), at(1))
    state = lifecycle.advance(state, inputs("refused"), at(60))
    assert state.operation is not None
    assert state.operation.phase is OperationPhase.FAILED
    assert "web:refused" in state.operation.message
    assert (state.sync, state.health, len(state.history)) == (SyncStatus.OUT_OF_SYNC, Health.HEALTHY, 1)
    retried = lifecycle.start(state, ("refused",), at(61), "admin")
    assert retried.running


def test_without_automated_sync_an_app_stays_out_of_sync() -> None:
    state = lifecycle.advance(running_a(), inputs("b", auto=False), at(60))
    assert (state.sync, state.running, state.history[-1].revisions) == (SyncStatus.OUT_OF_SYNC, False, ("a",))


def test_an_unresolvable_revision_is_unknown_with_a_comparison_error() -> None:
    state = lifecycle.reconcile(running_a(), inputs(None, error="Unable to resolve 'gone'"), at(1))
    assert (state.sync, state.compared, state.running) == (SyncStatus.UNKNOWN, ("a",), False)
    assert state.conditions == (Condition("ComparisonError", "Unable to resolve 'gone'"),)


def test_a_long_idle_spell_is_caught_up_at_once() -> None:
    state = lifecycle.advance(running_a(), inputs("a"), at(30 * 24 * 3600 + 1))
    assert state.reconciled_at == at(30 * 24 * 3600)
    assert state.health_changed_at == running_a().health_changed_at


def test_without_an_interval_only_events_and_refreshes_look() -> None:
    quiet = dataclasses.replace(RULES, sync_interval_seconds=None)
    state = lifecycle.advance(lifecycle.deployed(("a",), T0, quiet), inputs("b", quiet), T0)
    assert state.running  # the first look (a new app in the simulator) compares and syncs
    state = lifecycle.advance(state, inputs("b", quiet), at(3600))
    assert (state.health, state.reconciled_at) == (Health.HEALTHY, at(11))  # the rollout's end was the last event


def test_history_keeps_the_last_ten_deployments() -> None:
    state = running_a()
    for n in range(12):
        state = lifecycle.start(state, (f"r{n}",), at(10 * n), "admin")
        state = lifecycle.advance(state, inputs(f"r{n}", auto=False), at(10 * n + 1))
    assert [entry.id for entry in state.history] == list(range(3, 13))
    assert state.history[-1].revisions == ("r11",)


CONTENT: dict[tuple[str, ...], str] = {
    ("a",): "v1",
    ("b",): "v1",
    ("c",): "v2",
    ("d",): "v1",
    ("refused",): "bad",
    ("e",): "bad",
}


def rendering(revision: str, auto: bool = True) -> Inputs:
    """Inputs whose revisions render manifests: ``a``, ``b`` and ``d`` the same ones, ``c`` others."""
    return dataclasses.replace(inputs(revision, auto=auto), content_of=lambda revisions: CONTENT[revisions])


def running_a_rendered() -> State:
    return lifecycle.advance(lifecycle.deployed(("a",), T0, RULES, "v1"), rendering("a"), T0)


def test_a_new_revision_with_the_same_manifests_is_synced_there_without_an_operation() -> None:
    before = running_a_rendered()
    state = lifecycle.advance(before, rendering("b"), at(3))
    assert (state.sync, state.compared, state.reconciled_at, state.running) == (SyncStatus.SYNCED, ("b",), at(3), False)
    assert (state.operation, state.history) == (before.operation, before.history)
    assert (state.health, state.health_changed_at) == (before.health, before.health_changed_at)


def test_a_new_revision_with_other_manifests_is_out_of_sync_then_synced() -> None:
    state = lifecycle.advance(running_a_rendered(), rendering("c"), at(3))
    assert (state.sync, state.running) == (SyncStatus.OUT_OF_SYNC, True)
    state = lifecycle.advance(state, rendering("c"), at(5))
    assert (state.sync, state.health) == (SyncStatus.SYNCED, Health.PROGRESSING)
    assert [(entry.revisions, entry.content) for entry in state.history] == [(("a",), "v1"), (("c",), "v2")]


def test_putting_back_what_runs_is_synced_without_a_sync() -> None:
    state = lifecycle.advance(running_a_rendered(), rendering("c", auto=False), at(3))
    assert (state.sync, state.running) == (SyncStatus.OUT_OF_SYNC, False)
    state = lifecycle.advance(state, rendering("d", auto=False), at(6))
    assert (state.sync, state.compared, len(state.history)) == (SyncStatus.SYNCED, ("d",), 1)


def test_manifests_whose_sync_failed_are_not_retried_at_a_new_revision() -> None:
    state = lifecycle.advance(running_a_rendered(), rendering("refused"), at(3))
    state = lifecycle.advance(state, rendering("refused"), at(10))
    assert state.operation is not None
    assert (state.operation.phase, state.failed) == (OperationPhase.FAILED, "bad")
    state = lifecycle.advance(state, rendering("e"), at(13))  # a commit elsewhere: the same failing manifests
    assert (state.sync, state.compared, state.running) == (SyncStatus.OUT_OF_SYNC, ("e",), False)
    state = lifecycle.advance(state, rendering("c"), at(20))  # a fix is synced
    assert (state.history[-1].revisions, state.failed) == (("c",), None)
