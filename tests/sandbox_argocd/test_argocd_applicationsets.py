"""The Applications a repo's ApplicationSets generate, on the simulated Argo CD as the controller would make
them: listed, synced and judged like plain ones; a plain manifest keeps its name against a generated one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from promoter.core.appstatus import Health, SyncStatus
from promoter.sandbox.argocd import ManualClock, Simulator
from tests.sandbox_argocd.conftest import SCENARIO, ServeRepo, application, checked, deployment

GIT_DIRECTORIES = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/acme/config.git
        revision: HEAD
        directories:
          - path: apps/*
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/acme/config.git
        targetRevision: main
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
      syncPolicy:
        automated: {}
"""
REPO = {
    "appset.yaml": GIT_DIRECTORIES,
    "apps/guestbook-staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
    "apps/guestbook-prod/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
}


def test_the_generated_applications_are_listed_synced_and_healthy(
    serve_repo: ServeRepo, clock: ManualClock, http: httpx.Client
) -> None:
    served = serve_repo(REPO, SCENARIO)
    simulator = served.simulator
    assert simulator.problems == ()
    listed = checked(http.get("/api/v1/applications"))["items"]
    assert [(a["metadata"]["name"], a["spec"]["source"]["path"]) for a in listed] == [
        ("guestbook-prod", "apps/guestbook-prod"),
        ("guestbook-staging", "apps/guestbook-staging"),
    ]
    assert {a["spec"]["destination"]["namespace"] for a in listed} == {"guestbook-prod", "guestbook-staging"}
    assert {(a["status"]["sync"]["status"], a["status"]["health"]["status"]) for a in listed} == {
        ("Synced", "Healthy")
    }  # in Git at start: taken as deployed, as plain ones are

    sha = served.push({"apps/guestbook-staging/web.yaml": deployment("ghcr.io/acme/web:1.1.0")})
    assert simulator.sync("guestbook-staging", "admin").state.running
    clock.advance(SCENARIO.progressing_seconds + SCENARIO.settle_seconds + 1)
    view = simulator.view("guestbook-staging", refresh=True)
    assert (view.state.sync, view.state.health) == (SyncStatus.SYNCED, Health.HEALTHY)
    assert view.state.live is not None and view.state.live.revisions == (sha,)
    assert "ghcr.io/acme/web:1.1.0" in view.live.images

    served.push({"apps/guestbook-qa/web.yaml": deployment("ghcr.io/acme/web:1.0.0")})  # a new directory: a new app
    assert [view.app.name for view in simulator.views()] == ["guestbook-prod", "guestbook-qa", "guestbook-staging"]


def test_a_plain_manifest_keeps_its_name_and_the_clash_is_a_problem(
    make_bare_repo: Callable[[dict[str, str]], Path], clock: ManualClock
) -> None:
    plain = application("guestbook-prod", "elsewhere", "prod")
    bare = make_bare_repo({**REPO, "manifests/prod.yaml": plain, "elsewhere/web.yaml": deployment("nginx:1")})
    simulator = Simulator(bare, scenario=SCENARIO, clock=clock)
    apps = simulator.catalog.applications
    assert sorted(apps) == ["guestbook-prod", "guestbook-staging"]
    assert (apps["guestbook-prod"].file, apps["guestbook-prod"].sources[0].path) == ("manifests/prod.yaml", "elsewhere")
    assert apps["guestbook-staging"].file == "appset.yaml"
    (problem,) = simulator.problems
    assert problem.startswith(
        "appset.yaml:1: ApplicationSet 'guestbook' generates an Application named 'guestbook-prod'"
    )
    assert "manifests/prod.yaml" in problem


def test_an_application_set_only_the_controller_can_resolve_generates_nothing_and_says_why(
    make_bare_repo: Callable[[dict[str, str]], Path], clock: ManualClock
) -> None:
    generators = GIT_DIRECTORIES[GIT_DIRECTORIES.index("    - git:") : GIT_DIRECTORIES.index("  template:")]
    scm = GIT_DIRECTORIES.replace(generators, "    - scmProvider:\n        github: {organization: acme}\n")
    bare = make_bare_repo({**REPO, "appset.yaml": scm})
    simulator = Simulator(bare, scenario=SCENARIO, clock=clock)
    assert dict(simulator.catalog.applications) == {}
    (problem,) = simulator.problems
    assert "only Argo CD's controller knows" in problem
