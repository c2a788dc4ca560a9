"""A pipeline whose stages name no Applications: promoter finds the ones deploying each stage's files in the
config repo (its Application manifests) and waits on every one of them; a file two stages deploy is refused
before anything is pushed."""

from __future__ import annotations

from collections.abc import Callable

from promoter.core.model import Phase
from tests.e2e.world import PIPELINE, World

UNNAMED = PIPELINE.replace("    applications: [app-staging]\n", "").replace("    applications: [app-prod]\n", "")
SECOND_STAGING = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-staging-eu
spec:
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: envs/staging
  destination:
    server: https://kubernetes.default.svc
    namespace: staging-eu
"""


def test_stages_without_applications_wait_on_those_that_deploy_their_files(
    make_world: Callable[..., World],
) -> None:
    world = make_world(pipeline=UNNAMED, files={"apps/app-staging-eu.yaml": SECOND_STAGING})
    plan = world.cli("plan", "app", "--version", "2.0.0", "--config", str(world.config))
    assert plan.returncode == 0, plan.stderr
    assert "app-staging, app-staging-eu" in plan.stdout  # the derived set, printed
    promotion = world.start("2.0.0")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    staging = world.rt.store.stage_run("app", promotion.id, 0)
    assert staging is not None and staging.facts is not None
    assert staging.facts.applications == ("app-staging", "app-staging-eu")  # both waited on


def test_a_file_deployed_by_another_stage_is_refused_before_anything_is_pushed(
    make_world: Callable[..., World],
) -> None:
    shared = SECOND_STAGING.replace("app-staging-eu", "app-prod-shadow").replace(
        "namespace: staging-eu", "namespace: p"
    )
    pipeline = PIPELINE.replace("applications: [app-prod]", "applications: [app-prod, app-prod-shadow]")
    world = make_world(pipeline=pipeline, files={"apps/app-prod-shadow.yaml": shared})
    result = world.cli("start", "app", "--version", "2.0.0", "--config", str(world.config))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "envs/staging/deployment.yaml is deployed by app-prod-shadow of prod too" in result.stderr
    assert world.pulls() == []


def test_applications_are_not_derived_from_a_repo_whose_applications_are_not_all_known(
    make_world: Callable[..., World],
) -> None:
    """An ApplicationSet only Argo CD's controller can expand may generate a deployer of the stage's file:
    deriving then would wait on too few Applications, so it is refused before anything is pushed."""
    unknowable = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: from-scm}\n"
        "spec:\n  generators: [{scmProvider: {github: {organization: acme}}}]\n"
        "  template: {metadata: {name: '{{repository}}'}, spec: {project: default}}\n"
    )
    world = make_world(pipeline=UNNAMED, files={"apps/scm.yaml": unknowable})
    result = world.cli("start", "app", "--version", "2.0.0", "--config", str(world.config))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot be derived: not every Application of the repo is known" in result.stderr
    assert "ApplicationSet/from-scm" in result.stderr
    assert world.pulls() == []
