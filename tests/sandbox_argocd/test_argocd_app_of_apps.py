"""App-of-apps on the simulated Argo CD, as the real one behaves: a child Application exists once its parent
has synced the commit that holds its manifest (Argo CD creates it by applying the parent's manifests), not
when the commit lands; its health is its own and does not roll up to the parent. Which Application deploys
a child's manifest is the product's mapping (:mod:`promoter.gitops.mapping`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from promoter.core.appstatus import Health
from promoter.sandbox.argocd import ManualClock, Simulator
from tests.sandbox_argocd.conftest import SCENARIO, application, checked, deployment

QA = {
    "apps/qa.yaml": application("web-qa", "envs/qa", "web-qa", labels="{env: qa}"),
    "envs/qa/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
}


def names(simulator: Simulator) -> list[str]:
    return [view.app.name for view in simulator.views()]


def test_the_children_in_git_at_start_are_there_as_deployed(simulator: Simulator) -> None:
    assert names(simulator) == ["root", "web-prod", "web-staging"]


def test_a_new_child_appears_only_when_its_parent_has_synced_it(
    simulator: Simulator, push: Callable[..., str], clock: ManualClock, http: httpx.Client
) -> None:
    sha = push(QA, "a qa environment")
    assert "web-qa" not in names(simulator)  # in Git, not yet in Argo CD: the root has not synced it
    assert http.get("/api/v1/applications/web-qa").status_code == 404
    assert simulator.view("root", refresh=True).state.running  # compared: it syncs the commit (automated)
    clock.advance(SCENARIO.sync_seconds + 0.5)
    assert simulator.view("root").state.live is not None
    assert simulator.view("root").state.live.revisions == (sha,)  # type: ignore[union-attr]
    assert names(simulator) == ["root", "web-prod", "web-qa", "web-staging"]
    listed = {a["metadata"]["name"]: a for a in checked(http.get("/api/v1/applications"))["items"]}
    assert listed["web-qa"]["status"]["health"]["status"] == Health.MISSING.value  # new: nothing deployed yet


def test_a_child_removed_from_git_stays_until_its_parent_syncs_the_removal(
    simulator: Simulator, push: Callable[..., str], clock: ManualClock
) -> None:
    push({"apps/prod.yaml": None}, "retire prod")
    assert "web-prod" in names(simulator)
    simulator.view("root", refresh=True)
    clock.advance(SCENARIO.sync_seconds + 0.5)
    assert names(simulator) == ["root", "web-staging"]
