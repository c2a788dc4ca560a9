"""The traffic simulator in the real stack: it follows what the Argo CD simulator deploys from Git."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from promoter.sandbox.traffic import Flow
from tests.sandbox_traffic.conftest import CANARY, ROUTE, MakeStack, canary_pods, weights


def shares(flows: tuple[Flow, ...]) -> dict[tuple[str, str], float]:
    return {(flow.workload, flow.version): round(flow.share, 6) for flow in flows}


def wait_for(read: Callable[[], tuple[Flow, ...]], wanted: dict[tuple[str, str], float], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while (seen := shares(read())) != wanted:
        assert time.monotonic() < deadline, f"the shares stayed {seen}, wanted {wanted}"
        time.sleep(0.1)


def test_the_shares_follow_a_commit_once_argo_cd_has_synced_it(
    make_stack: MakeStack, push: Callable[[Path, dict[str, str]], None]
) -> None:
    running = make_stack()
    assert shares(running.traffic.flows()) == {("app", "1.0.0"): 1.0}
    assert "PROMOTER_PROMETHEUS_URL" not in running.environment()  # not asked for

    push(running.bare, {CANARY: canary_pods(3, "2.0.0"), ROUTE: weights(70, 30)})
    assert shares(running.traffic.flows()) == {("app", "1.0.0"): 1.0}  # in Git, not deployed yet
    wait_for(running.traffic.flows, {("app", "1.0.0"): 0.7, ("app-canary", "2.0.0"): 0.3})
    flows = {flow.workload: flow for flow in running.traffic.flows()}
    assert flows["app-canary"].per_second == 15.0
    assert flows["app-canary"].error_ratio == 0.001

    # The Argo CD simulator's scenario makes the version fail: its requests fail too.
    running.simulator.set_scenario({"fail_images": ["*:2.0.0"]})
    flows = {flow.workload: flow for flow in running.traffic.flows()}
    assert (flows["app-canary"].error_ratio, flows["app"].error_ratio) == (0.6, 0.001)

    push(running.bare, {ROUTE: weights(100, 0)})
    wait_for(running.traffic.flows, {("app", "1.0.0"): 1.0})
