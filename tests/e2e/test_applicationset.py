"""A config repo whose Applications come from an ApplicationSet (a git directories generator, one Application
per ``envs/*`` directory) and a pipeline whose stages name none: promoter finds each stage's Application
through the ApplicationSet, and the Argo CD simulator serves those same generated Applications."""

from __future__ import annotations

from collections.abc import Callable

from promoter.core.model import Phase
from tests.e2e.test_derived import UNNAMED
from tests.e2e.world import REPO_FILES, World

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: app
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://example.com/config.git
        revision: main
        directories:
          - path: envs/*
  template:
    metadata:
      name: 'app-{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://example.com/config.git
        targetRevision: main
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
"""
FILES: dict[str, str | None] = {"apps/app-staging.yaml": None, "apps/app-prod.yaml": None, "appset.yaml": APPSET}


def applications_of(world: World, promotion_id: str, stage: int) -> tuple[str, ...]:
    run = world.rt.store.stage_run("app", promotion_id, stage)
    assert run is not None and run.facts is not None
    return run.facts.applications


def test_a_good_version_goes_through_the_applications_an_applicationset_generates(
    make_world: Callable[..., World],
) -> None:
    world = make_world(pipeline=UNNAMED, files=FILES)
    assert sorted(world.stack.simulator.catalog.applications) == ["app-prod", "app-staging"]
    assert world.stack.simulator.problems == ()
    promotion = world.start("1.1.0")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert applications_of(world, promotion.id, 0) == ("app-staging",)  # found through the ApplicationSet
    assert applications_of(world, promotion.id, 1) == ("app-prod",)
    for env in ("staging", "prod"):
        expected = REPO_FILES[f"envs/{env}/deployment.yaml"].replace("app:1.0.0", "app:1.1.0")
        assert world.main_file(f"envs/{env}/deployment.yaml").decode() == expected


def test_a_bad_version_fails_in_staging_is_reverted_and_prod_is_untouched(make_world: Callable[..., World]) -> None:
    world = make_world(pipeline=UNNAMED, files=FILES)
    promotion = world.start("1.2.0-bad")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED
    assert "Degraded" in done.reason and "app-staging" in done.reason, done.reason
    assert applications_of(world, promotion.id, 0) == ("app-staging",)
    assert world.rt.store.stage_run("app", promotion.id, 1) is None  # prod never started
    for env in ("staging", "prod"):
        assert world.main_file(f"envs/{env}/deployment.yaml").decode() == REPO_FILES[f"envs/{env}/deployment.yaml"]
    step_pr, revert_pr = world.pulls()
    assert step_pr.merged and revert_pr.merged
    assert revert_pr.head.ref == f"promoter/app/{promotion.id}/0-revert"
