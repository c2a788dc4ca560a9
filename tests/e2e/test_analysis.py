"""Analysis end to end on a real Prometheus scraping the traffic simulator: a canary whose analysis step fails
at 10% is rolled back in one revert, a good one goes through; a rolling stage whose post-deploy analysis fails
is reverted; a blue/green whose post-promotion analysis fails flips back. The bad version here is healthy on
Argo CD (its pods run): only its 5xx in Prometheus give it away."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from promoter.cli import main
from promoter.core.model import Phase
from promoter.sandbox import prometheus
from promoter.sandbox.argocd import Scenario
from promoter.sandbox.traffic import Options
from tests.e2e.crashes import (
    BLUE,
    BLUE_GREEN_FILES,
    BLUE_GREEN_PIPELINE,
    CANARY_FILES,
    CANARY_PIPELINE,
    GREEN,
    ONLY_STAGING,
)
from tests.e2e.world import World

pytestmark = pytest.mark.skipif(
    not prometheus.installed() and not __import__("os").environ.get("CI"),
    reason="Prometheus is not installed (scripts/system-packages installs the Debian package)",
)

# Argo Rollouts' Istio success-rate template, with a short window and interval for a test.
SUCCESS_RATE = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
    - name: workload
  metrics:
    - name: success-rate
      interval: 2s
      count: 2
      successCondition: result[0] >= 0.95
      provider:
        prometheus:
          address: PROMETHEUS
          query: |
            sum(rate(istio_requests_total{reporter="destination",destination_workload="{{args.workload}}",response_code!~"5.*"}[4s]))
            /
            sum(rate(istio_requests_total{reporter="destination",destination_workload="{{args.workload}}"}[4s]))
"""
TEMPLATES = {"success-rate.yaml": SUCCESS_RATE}
SETTINGS = "analysis:\n  scrape_interval: 1s\n"
# Pods of *-err versions run (Argo CD says Healthy) but answer 503s; nothing else is scripted to fail.
TRAFFIC = Options(error_images=("*:*-err*",), follow_scenario=False, rate=200.0)
HEALTHY = Scenario(progressing_seconds=0.3, sync_seconds=0.1, settle_seconds=0.1, sync_interval_seconds=1)

CANARY_ANALYSED = CANARY_PIPELINE.replace(
    "          - setWeight: 10\n          - pause: {duration: 1s}\n",
    "          - setWeight: 10\n          - analysis:\n"
    "              templates: [{templateName: success-rate}]\n"
    '              args: [{name: workload, value: "{{canary}}"}]\n',
)


def analysed_world(
    make_world: Callable[..., World], files: dict[str, str | None], pipeline: str, templates: dict[str, str] = TEMPLATES
) -> World:
    return make_world(
        files={**ONLY_STAGING, **files},
        pipeline=pipeline,
        analysis=templates,
        traffic=TRAFFIC,
        settings=SETTINGS,
        scenario=HEALTHY,
        deadline="60s",
    )


def titles(world: World) -> list[str]:
    return [pr.title for pr in world.pulls()]


def test_a_canary_that_passes_its_analysis_goes_through(make_world: Callable[..., World]) -> None:
    world = analysed_world(make_world, CANARY_FILES, CANARY_ANALYSED)
    promotion = world.start("2.0.0")

    def measuring(_promotion: object, _position: object) -> bool:
        return bool(world.rt.store.measurements("app", promotion.id, 0))

    world.drive(promotion.id, until=measuring, timeout=120)
    shown = json.loads(world.cli("status", "--json", "--config", str(world.config)).stdout)
    (running,) = shown[0]["analysis"]  # promoter status shows the running analysis, metric by metric
    assert running["analysis"] == "analysis success-rate"
    assert running["metrics"][0]["measurements"][0]["phase"] == "Successful"
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert "promoter: app 2.0.0 to staging: canary 50%" in titles(world)
    weight_pr = next(pr for pr in world.pulls() if pr.title.endswith("canary 10%"))
    bodies = [c.body for c in weight_pr.get_issue_comments()]
    table = next(b for b in bodies if "| success-rate |" in b)
    assert "result[0] >= 0.95" in table and "Successful" in table
    statuses = {s.context: s.state for s in world.repo_as().get_commit(weight_pr.merge_commit_sha).get_statuses()}
    assert statuses.get("promoter/analysis") == "success"
    measured = [e for e in world.rt.store.events("app", promotion.id) if e.kind.value == "measured"]
    assert len(measured) == 2  # the event log keeps every measurement, once


def test_a_canary_failing_its_analysis_at_10_percent_is_rolled_back_in_one_revert(
    make_world: Callable[..., World],
) -> None:
    world = analysed_world(make_world, CANARY_FILES, CANARY_ANALYSED)
    before = {path: world.main_file(path) for path in CANARY_FILES}
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert "analysis success-rate failed" in (world.rt.store.stage_run("app", promotion.id, 0).failure or "")
    assert not any(t.endswith("canary 50%") for t in titles(world))  # it never went past 10%
    reverts = [pr for pr in world.pulls() if pr.head.ref.endswith("-revert")]
    assert len(reverts) == 1 and reverts[0].merged
    assert {path: world.main_file(path) for path in before} == before  # byte for byte
    assert world.rt.store.holds("app")[0].version == "2.0.0-err"


ROLLING_ANALYSED = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Deployment/app, image: ghcr.io/acme/app}
    strategy:
      rolling:
        analysis:
          templates: [{templateName: success-rate}]
          args: [{name: workload, value: "{{stable}}"}]
    deadline: DEADLINE
    debounce: 200ms
"""


def test_a_rolling_stage_whose_post_deploy_analysis_fails_is_reverted(make_world: Callable[..., World]) -> None:
    world = analysed_world(make_world, CANARY_FILES, ROLLING_ANALYSED)
    before = world.main_file("envs/staging/deployment.yaml")
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert world.main_file("envs/staging/deployment.yaml") == before


BLUE_GREEN_ANALYSED = BLUE_GREEN_PIPELINE.replace(
    "        scaleDownDelay: 1s\n",
    "        scaleDownDelay: 1s\n"
    "        postPromotionAnalysis:\n"
    "          templates: [{templateName: success-rate}]\n"
    '          args: [{name: workload, value: "{{canary}}"}]\n',
)


def test_a_blue_green_whose_post_promotion_analysis_fails_flips_back(make_world: Callable[..., World]) -> None:
    world = analysed_world(make_world, BLUE_GREEN_FILES, BLUE_GREEN_ANALYSED)
    before = {path: world.main_file(path) for path in (BLUE, GREEN, "envs/staging/services.yaml")}
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert any(t.endswith("switch app to green") for t in titles(world))  # it switched, then flipped back
    assert {path: world.main_file(path) for path in before} == before


# Argo Rollouts users keep their templates in the config repo, next to the Rollouts, written for the cluster.
IN_CLUSTER = "http://prometheus.istio-system.svc:9090"
REPO_SETTINGS = (
    "analysis:\n  scrape_interval: 1s\n  address: PROMETHEUS\n  templates_in_repo:\n    paths: [rollouts/analysis]\n"
)


def in_process(world: World, *args: str) -> Result:
    """The command line in this process (the subprocess contract is the other tests' part): seconds saved."""
    return CliRunner().invoke(main.cli, [*args, "--config", str(world.config)], env=world.env)


def test_a_template_kept_in_the_config_repo_judges_the_canary(make_world: Callable[..., World]) -> None:
    """The template is read from the config repo as it is there (its in-cluster address replaced by
    promoter.yaml's ``analysis.address``); validate reads it too, and says so when offline."""
    world = make_world(
        files={
            **ONLY_STAGING,
            **CANARY_FILES,
            "rollouts/analysis/success-rate.yaml": SUCCESS_RATE.replace("PROMETHEUS", IN_CLUSTER),
        },
        pipeline=CANARY_ANALYSED,
        analysis={},  # DIR/analysis/ holds none: the template is the repo's
        traffic=TRAFFIC,
        settings=REPO_SETTINGS,
        scenario=HEALTHY,
        deadline="60s",
    )
    online = in_process(world, "validate")
    assert online.exit_code == 0, online.output
    offline = in_process(world, "validate", "--offline")
    assert offline.exit_code == 0, offline.output
    assert "main:rollouts/analysis) were not read (--offline)" in offline.stderr
    before = {path: world.main_file(path) for path in CANARY_FILES}
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert "analysis success-rate failed" in (world.rt.store.stage_run("app", promotion.id, 0).failure or "")
    measured = world.rt.store.measurements("app", promotion.id, 0)
    assert measured and all(m.error is None and m.value is not None for m in measured)  # read at the address
    assert {path: world.main_file(path) for path in before} == before


def test_a_reference_the_config_repo_does_not_hold_is_refused_with_where_it_was_looked_for(
    make_world: Callable[..., World],
) -> None:
    world = make_world(
        files={
            **ONLY_STAGING,
            **CANARY_FILES,
            "rollouts/analysis/other.yaml": SUCCESS_RATE.replace("success-rate", "x"),
        },
        pipeline=CANARY_ANALYSED,
        settings=REPO_SETTINGS.replace("  address: PROMETHEUS\n", ""),  # no Prometheus needed to refuse
    )
    refused = in_process(world, "validate")
    assert refused.exit_code == 2
    assert "no AnalysisTemplate 'success-rate' (available: x)" in refused.stderr
    started = world.cli("start", "app", "--version", "2.0.0", "--config", str(world.config))  # as a process
    assert started.returncode == 2 and "no AnalysisTemplate 'success-rate'" in started.stderr
    settings = world.config / "promoter.yaml"
    settings.write_text(settings.read_text().replace("rollouts/analysis", "rollouts/none"))
    missing = in_process(world, "validate")
    assert missing.exit_code == 2
    assert "promoter.yaml: analysis.templates_in_repo: no YAML file at rollouts/none on main" in missing.stderr


# Few measurements, errors soon beyond the limit: a run that Prometheus stops answering ends in Error quickly.
ERRING = SUCCESS_RATE.replace("      count: 2\n", "      count: 4\n      consecutiveErrorLimit: 1\n")


def test_prometheus_stopped_mid_analysis_ends_the_run_in_error_and_the_step_is_reverted(
    make_world: Callable[..., World],
) -> None:
    # The version is good: only Prometheus's silence fails it. An Error is never read as a success.
    world = analysed_world(make_world, CANARY_FILES, CANARY_ANALYSED, {"success-rate.yaml": ERRING})
    before = {path: world.main_file(path) for path in CANARY_FILES}
    promotion = world.start("2.0.0")

    def measured(_promotion: object, _position: object) -> bool:
        return bool(world.rt.store.measurements("app", promotion.id, 0))

    world.drive(promotion.id, until=measured, timeout=120)
    assert world.stack.prometheus is not None
    world.stack.prometheus.stop()  # down from the second measurement on
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    taken = world.rt.store.measurements("app", promotion.id, 0)
    assert taken[0].error is None and all(m.error for m in taken[1:]) and len(taken) >= 3  # 1 good, then > 1 error
    assert "analysis success-rate" in (world.rt.store.stage_run("app", promotion.id, 0).failure or "")
    reverts = [pr for pr in world.pulls() if pr.head.ref.endswith("-revert")]
    assert len(reverts) == 1 and reverts[0].merged
    assert {path: world.main_file(path) for path in before} == before  # byte for byte
    weight_pr = next(pr for pr in world.pulls() if pr.title.endswith("canary 10%"))
    statuses = world.repo_as().get_commit(weight_pr.merge_commit_sha).get_statuses()
    assert next(s.state for s in statuses if s.context == "promoter/analysis") == "error"


# The canary's background analysis (Argo Rollouts' strategy.canary.analysis) from its first weight on; the
# steps themselves only wait, so the background run alone can stop the canary.
CANARY_BACKGROUND = CANARY_PIPELINE.replace(
    "          - pause: {duration: 1s}\n",
    "          - pause: {duration: 30s}\n",
).replace(
    "        steps:\n",
    "        analysis:\n"
    "          templates: [{templateName: success-rate}]\n"
    '          args: [{name: workload, value: "{{canary}}"}]\n'
    "          startingStep: 1\n"
    "        steps:\n",
)


def test_a_canary_whose_background_analysis_fails_is_rolled_back_during_its_pause(
    make_world: Callable[..., World],
) -> None:
    world = analysed_world(make_world, CANARY_FILES, CANARY_BACKGROUND)
    before = {path: world.main_file(path) for path in CANARY_FILES}
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert "analysis success-rate failed" in (world.rt.store.stage_run("app", promotion.id, 0).failure or "")
    assert not any(t.endswith("canary 50%") for t in titles(world))  # stopped inside the 30 s pause
    reverts = [pr for pr in world.pulls() if pr.head.ref.endswith("-revert")]
    assert len(reverts) == 1 and reverts[0].merged
    assert {path: world.main_file(path) for path in before} == before


BLUE_GREEN_PRE = BLUE_GREEN_PIPELINE.replace(
    "        scaleDownDelay: 1s\n",
    "        scaleDownDelay: 1s\n"
    "        prePromotionAnalysis:\n"
    "          templates: [{templateName: success-rate}]\n"
    '          args: [{name: workload, value: "{{canary}}"}]\n',
)


def test_a_blue_green_whose_pre_promotion_analysis_fails_never_switches(make_world: Callable[..., World]) -> None:
    # The idle colour is judged on the preview Service's traffic before any user's: it never gets the users.
    world = analysed_world(make_world, BLUE_GREEN_FILES, BLUE_GREEN_PRE)
    before = {path: world.main_file(path) for path in (BLUE, GREEN, "envs/staging/services.yaml")}
    promotion = world.start("2.0.0-err")
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.FAILED, done.reason
    assert "analysis success-rate failed" in (world.rt.store.stage_run("app", promotion.id, 0).failure or "")
    assert not any(t.endswith("switch app to green") for t in titles(world))
    assert {path: world.main_file(path) for path in before} == before


# A series no workload exports: every answer is an empty vector, Inconclusive unless the template says more.
SILENT = SUCCESS_RATE.replace("istio_requests_total", "requests_nobody_exports_total")


def test_an_inconclusive_analysis_waits_for_a_person_and_promote_goes_on(make_world: Callable[..., World]) -> None:
    world = analysed_world(make_world, CANARY_FILES, CANARY_ANALYSED, {"success-rate.yaml": SILENT})
    promotion = world.start("2.0.0")

    def told(_promotion: object, _position: object) -> bool:
        return any(e.kind.value == "gate_inconclusive" for e in world.rt.store.events("app", promotion.id))

    world.drive(promotion.id, until=told, timeout=120)
    for _ in range(10):  # it waits: no next weight, no revert, however long
        world.drive(promotion.id, until=lambda p, s: True)
    waiting = world.promotion(promotion.id)
    assert not waiting.phase.finished
    assert not any(t.endswith("canary 50%") for t in titles(world))
    assert not any(pr.head.ref.endswith("-revert") for pr in world.pulls())
    assert all(m.error is None and m.value == () for m in world.rt.store.measurements("app", promotion.id, 0))

    assert world.cli("promote", "app", "--config", str(world.config)).returncode == 0  # a person decides
    done = world.drive(promotion.id, timeout=120)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert "promoter: app 2.0.0 to staging: canary 50%" in titles(world)
