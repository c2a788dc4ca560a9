"""App-of-apps on the simulated Argo CD, as the real one behaves: a child Application exists once its parent
has synced the commit that holds its manifest (Argo CD creates it by applying the parent's manifests), not
when the commit lands; its health is its own and does not roll up to the parent. Which Applications a commit
declares, and which one deploys each, is the product's reading of a repo (:mod:`promoter.gitops.discovery`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from promoter.core.appstatus import Health
from promoter.sandbox.argocd import ManualClock, Simulator
from tests.sandbox_argocd.conftest import SCENARIO, ServeRepo, application, checked, deployment

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


# The simulator reads a repo as the product does (promoter.gitops.discovery): a Helm "apps" chart's templates and
# a kustomize build are children too, under the names they render to.
APPS_CHART = """\
{{- range $name, $path := .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ $name }}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/acme/config.git
    targetRevision: main
    path: {{ $path }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ $name }}
  syncPolicy:
    automated: {}
{{- end }}
"""


def test_a_helm_chart_roots_children_are_its_rendered_templates(
    serve_repo: ServeRepo, clock: ManualClock, http: httpx.Client
) -> None:
    files = {
        "bootstrap/root.yaml": application("root", "charts/apps", "argocd", revision="HEAD"),
        "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "charts/apps/values.yaml": "apps:\n  web-staging: envs/staging\n  web-prod: envs/prod\n",
        "charts/apps/templates/apps.yaml": APPS_CHART,
        "envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
        "envs/prod/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
    }
    served = serve_repo(files, SCENARIO)
    assert served.simulator.problems == ()
    assert names(served.simulator) == ["root", "web-prod", "web-staging"]
    prod = checked(http.get("/api/v1/applications/web-prod"))
    assert (prod["spec"]["source"]["path"], prod["status"]["health"]["status"]) == ("envs/prod", "Healthy")
    served.push({"charts/apps/values.yaml": "apps:\n  web-staging: envs/staging\n"}, "retire prod")
    served.simulator.view("root", refresh=True)
    clock.advance(SCENARIO.sync_seconds + 0.5)
    assert names(served.simulator) == ["root", "web-staging"]  # gone once the root synced the new values


def test_a_kustomized_childs_name_is_what_the_build_makes_it(serve_repo: ServeRepo) -> None:
    files = {
        "bootstrap/root.yaml": application("root", "apps", "argocd", revision="HEAD"),
        "apps/kustomization.yaml": "namePrefix: team-a-\nresources:\n  - staging.yaml\n",
        "apps/staging.yaml": application("web-staging", "envs/staging", "web-staging"),
        "envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
    }
    served = serve_repo(files, SCENARIO)
    assert names(served.simulator) == ["root", "team-a-web-staging"]
    (child,) = [view for view in served.simulator.views() if view.app.name == "team-a-web-staging"]
    assert child.app.file == "apps/staging.yaml"  # where it was defined, for the bot's mapping of files
