"""An app-of-apps end to end: a root Application over ``apps/`` whose children deploy the stages. The staging
file is deployed by two children; promoter derives both from the repo, waits on each itself (a child's health
does not roll up to the root in Argo CD), and when one of them turns Degraded the step fails and the stage is
reverted, although the other child and the root are Healthy."""

from __future__ import annotations

from collections.abc import Callable

from promoter.core.model import Phase
from tests.e2e.test_derived import SECOND_STAGING, UNNAMED
from tests.e2e.world import FAST, REPO_FILES, At, World

ROOT = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
spec:
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""
STAGING = "envs/staging/deployment.yaml"


def test_one_degraded_child_of_two_fails_the_step_and_the_stage_is_reverted(
    make_world: Callable[..., World],
) -> None:
    world = make_world(
        pipeline=UNNAMED, files={"bootstrap/root.yaml": ROOT, "apps/app-staging-eu.yaml": SECOND_STAGING}
    )
    listed = {app.name for app in world.rt.deployments.applications()}
    assert listed == {"root", "app-staging", "app-staging-eu", "app-prod"}
    world.scenario(progressing_seconds=3600)  # the rollouts stay Progressing until the override is in place
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    staging = world.rt.store.stage_run("app", promotion.id, 0)
    assert staging is not None and staging.facts is not None
    assert staging.facts.applications == ("app-staging", "app-staging-eu")  # the children, not the root
    degraded = {"health": "Degraded", "health_message": "Deployment/app: CrashLoopBackOff"}
    world.scenario(overrides={"app-staging-eu": degraded}, progressing_seconds=FAST.progressing_seconds)
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED, done.reason
    assert "app-staging-eu: Degraded" in done.reason
    assert world.at(done.id).stage is not None and world.at(done.id).state is At.REVERTED
    assert world.main_file(STAGING).decode() == REPO_FILES[STAGING]  # reverted
    assert [h.version for h in world.rt.store.holds("app")] == ["2.0.0"]
