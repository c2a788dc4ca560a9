"""promoter's Argo CD client against the simulator, over HTTP: the verification signals of DESIGN.md §6."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from promoter.adapters.argocd import ArgoCD, Source
from promoter.cli import main
from promoter.core.appstatus import Health, OperationPhase, SyncStatus
from promoter.errors import PermanentError, TemporaryError
from promoter.sandbox.argocd import ManualClock, Simulator, create_app
from tests.conftest import git
from tests.gitops.test_discovery import CLUSTER_SET
from tests.sandbox_argocd.conftest import APP_OF_APPS, CREDENTIALS, SCENARIO, application, deployment, serve


def test_a_pushed_commit_is_deployed_on_refresh_and_turns_healthy_as_time_passes(
    argocd: ArgoCD, push: Callable[..., str], clock: ManualClock
) -> None:
    before = argocd.app_status("web-staging", refresh=False)
    assert (before.sync, before.health, before.operation_phase) == (
        SyncStatus.SYNCED,
        Health.HEALTHY,
        OperationPhase.SUCCEEDED,
    )
    sha = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.1.0")}, "web 1.1.0 to staging")

    running = argocd.app_status("web-staging")  # the refresh compares, then the automated sync starts
    assert running.operation_phase is OperationPhase.RUNNING
    assert running.operation_revisions == (sha,)
    assert running.sync is SyncStatus.OUT_OF_SYNC
    assert running.sync_revisions == (sha,)

    clock.advance(1)  # the sync ends; the controller has not looked again yet
    stale = argocd.app_status("web-staging", refresh=False)
    assert stale.operation_phase is OperationPhase.SUCCEEDED
    assert stale.operation_revisions == (sha,)
    assert stale.health is Health.HEALTHY  # still the old revision's health: the race promoter must not trust
    assert stale.reconciled_at is not None
    assert stale.operation_finished_at is not None
    assert stale.reconciled_at < stale.operation_finished_at

    clock.advance(1)  # the controller's look after the sync
    progressing = argocd.app_status("web-staging", refresh=False)
    assert (progressing.sync, progressing.health) == (SyncStatus.SYNCED, Health.PROGRESSING)
    assert progressing.reconciled_at is not None
    assert progressing.operation_finished_at is not None
    assert progressing.reconciled_at > progressing.operation_finished_at

    clock.advance(10)
    healthy = argocd.app_status("web-staging")
    assert (healthy.sync, healthy.health, healthy.sync_revisions) == (SyncStatus.SYNCED, Health.HEALTHY, (sha,))
    assert healthy.reconciled_at is not None
    assert healthy.operation_finished_at is not None
    assert healthy.reconciled_at > healthy.operation_finished_at
    assert healthy.operation_started_at == dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert healthy.operation_message == "successfully synced (all tasks run)"
    assert healthy.conditions == ()


def test_a_failing_image_makes_the_app_degraded_after_its_progress_deadline(
    argocd: ArgoCD, simulator: Simulator, push: Callable[..., str], clock: ManualClock
) -> None:
    simulator.set_scenario({"fail_images": ["*:bad-*"]})
    sha = push({"envs/prod/web.yaml": deployment("ghcr.io/acme/web:bad-2")})
    argocd.app_status("web-prod")
    clock.advance(2)
    assert argocd.app_status("web-prod").health is Health.PROGRESSING
    clock.advance(10)
    degraded = argocd.app_status("web-prod")
    assert (degraded.health, degraded.sync, degraded.operation_revisions) == (
        Health.DEGRADED,
        SyncStatus.SYNCED,
        (sha,),
    )
    assert degraded.health_message is not None
    assert "ghcr.io/acme/web:bad-2" in degraded.health_message
    assert argocd.app_status("web-staging").health is Health.HEALTHY  # the other environment is untouched


def test_sync_deploys_without_a_refresh_and_a_second_sync_while_running_is_worth_retrying(
    argocd: ArgoCD, push: Callable[..., str], clock: ManualClock
) -> None:
    sha = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.2.0")})
    argocd.sync("web-staging")
    with pytest.raises(TemporaryError, match="another operation is already in progress"):
        argocd.sync("web-staging")
    clock.advance(2)
    status = argocd.app_status("web-staging", refresh=False)
    assert (status.operation_phase, status.operation_revisions, status.sync) == (
        OperationPhase.SUCCEEDED,
        (sha,),
        SyncStatus.SYNCED,
    )


def test_a_multi_source_app_reports_one_revision_per_source(
    make_bare_repo: Callable[[dict[str, str]], Path],
    fast_tmp: Path,
    clock: ManualClock,
    plug: Callable[[Simulator], str],
    argocd: ArgoCD,
) -> None:
    multi = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
spec:
  destination:
    namespace: web-prod
  sources:
    - repoURL: https://git.example.com/acme/charts.git
      targetRevision: main
      path: charts/web
      helm:
        valueFiles: [$values/envs/prod/values.yaml]
    - repoURL: https://git.example.com/acme/config.git
      targetRevision: release
      ref: values
"""
    files = {
        "apps/web.yaml": multi,
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: 1.0.0\n",
        "charts/web/values.yaml": "image:\n  repository: ghcr.io/acme/web\n  tag: ''\n",
        "envs/prod/values.yaml": "image:\n  tag: 1.0.0\n",
    }
    bare = make_bare_repo(files)
    work = fast_tmp / "work"
    git(fast_tmp, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "-b", "release")
    (work / "envs/prod/values.yaml").write_text("image:\n  tag: 2.0.0\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "release 2.0.0")
    git(work, "push", "-q", "origin", "release")
    main, release = git(work, "rev-parse", "main"), git(work, "rev-parse", "release")

    plug(Simulator(bare, scenario=SCENARIO, clock=clock))
    status = argocd.app_status("web-prod")
    assert status.operation_revisions == (main, release)
    assert status.sync_revisions == (main, release)
    assert status.sync is SyncStatus.SYNCED
    (app,) = argocd.applications()
    assert app.sources == (
        Source(
            "https://git.example.com/acme/charts.git",
            "charts/web",
            "main",
            None,
            None,
            ("$values/envs/prod/values.yaml",),
        ),
        Source("https://git.example.com/acme/config.git", None, "release", None, "values"),
    )


def test_manifests_are_the_applications_as_served(argocd: ArgoCD) -> None:
    """What ``promoter apps --argocd-url`` reads: the items whole, as manifests, not the client's models."""
    listed = {item["metadata"]["name"]: item for item in argocd.manifests("applications")}
    assert set(listed) == {"root", "web-prod", "web-staging"}
    assert listed["web-prod"]["spec"]["source"]["path"] == "envs/prod"
    assert "sync" in listed["web-prod"]["status"]


def test_promoter_apps_asks_the_simulator_for_what_only_argocd_knows(
    url: str, push: Callable[..., str], fast_tmp: Path
) -> None:
    """``promoter apps`` against the simulator: its cluster generator resolved by ``/api/v1/clusters``, the
    live Applications adopted under their parents; nothing left pending."""
    push({"sets/guestbook.yaml": CLUSTER_SET})
    checkout = fast_tmp / "checkout"
    (checkout / "sets").mkdir(parents=True)
    (checkout / "sets" / "guestbook.yaml").write_text(CLUSTER_SET)
    env = {"PROMOTER_ARGOCD_URL": url, "PROMOTER_ARGOCD_TOKEN": CREDENTIALS.token, "COLUMNS": "200"}
    result = CliRunner().invoke(main.cli, ["apps", str(checkout), "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(a["name"], a["origin"]) for a in document["applications"]] == [("guestbook-in-cluster", "applicationset")]
    assert document["pending"] == [] and document["problems"] == []


def test_applications_lists_every_app_with_its_sources(argocd: ArgoCD) -> None:
    listed = {app.name: app.sources for app in argocd.applications()}
    assert listed == {
        "root": (Source("https://git.example.com/acme/config.git", "apps", "HEAD"),),
        "web-prod": (Source("https://git.example.com/acme/config.git", "envs/prod", "main"),),
        "web-staging": (Source("https://git.example.com/acme/config.git", "envs/staging", "main"),),
    }


def test_a_wrong_token_is_a_permanent_error_that_does_not_show_the_token(url: str) -> None:
    with ArgoCD(url, "not-the-token", timeout=5) as argocd, pytest.raises(PermanentError) as caught:
        argocd.app_status("web-staging")
    assert "401" in str(caught.value)
    assert "not-the-token" not in str(caught.value)


def test_an_unknown_app_is_a_permanent_error_naming_the_app_and_the_url(argocd: ArgoCD, url: str) -> None:
    with pytest.raises(PermanentError) as caught:
        argocd.app_status("web-qa")
    message = str(caught.value)
    assert "'web-qa'" in message
    assert f"{url}/api/v1/applications/web-qa?refresh=normal" in message
    assert 'applications.argoproj.io "web-qa" not found' in message


def test_a_stopped_server_is_a_temporary_error(config_repo: Path, clock: ManualClock) -> None:
    server = serve(create_app(Simulator(config_repo, scenario=SCENARIO, clock=clock), CREDENTIALS))
    with ArgoCD(server.url, CREDENTIALS.token, timeout=2) as argocd:
        assert argocd.app_status("root").health is Health.HEALTHY
        server.stop()
        with pytest.raises(TemporaryError, match="ConnectError"):
            argocd.app_status("root")


def test_an_unreachable_api_is_a_temporary_error(argocd: ArgoCD, simulator: Simulator) -> None:
    simulator.set_scenario({"unreachable": True})
    with pytest.raises(TemporaryError, match="503"):
        argocd.app_status("root")
    simulator.set_scenario({"unreachable": False})
    assert argocd.app_status("root").sync is SyncStatus.SYNCED


@pytest.fixture(scope="module")
def fake_argocd() -> Iterator[str]:
    """A server answering odd but possible things, to see how the client copes."""

    async def app(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "not-json":
            return PlainTextResponse("<html>proxy error</html>")
        if name == "not-an-app":
            return JSONResponse({"metadata": {"name": 3.5}})
        status = {"sync": {"status": "Comparing"}, "health": {"status": "Reticulating"}}
        status["operationState"] = {"phase": "Pondering", "startedAt": "2025-01-01T12:00:00Z"}
        return JSONResponse({"metadata": {"name": name}, "status": status, "somethingNew": [1, 2]})

    server = serve(Starlette(routes=[Route("/api/v1/applications/{name}", app)]))
    yield server.url
    server.stop()


def test_unknown_status_strings_become_unknown_and_missing_fields_none(fake_argocd: str) -> None:
    with ArgoCD(fake_argocd, "t") as argocd:
        status = argocd.app_status("odd")
    assert (status.sync, status.health, status.operation_phase) == (SyncStatus.UNKNOWN, Health.UNKNOWN, None)
    assert status.operation_started_at == dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert (status.operation_finished_at, status.reconciled_at, status.operation_revisions) == (None, None, ())


@pytest.mark.parametrize("name", ["not-json", "not-an-app"])
def test_a_malformed_response_is_a_permanent_error(fake_argocd: str, name: str) -> None:
    with ArgoCD(fake_argocd, "t") as argocd, pytest.raises(PermanentError, match=name):
        argocd.app_status(name)


def test_the_app_of_apps_gains_a_child_pushed_to_git_once_the_root_synced_it(
    argocd: ArgoCD, push: Callable[..., str], clock: ManualClock
) -> None:
    sha = push({"apps/qa.yaml": application("web-qa", "envs/staging", "web-qa"), "envs/qa/.keep": ""})
    assert {app.name for app in argocd.applications()} == {"root", "web-prod", "web-staging"}
    argocd.app_status("root")  # refreshed, the root auto-syncs the commit: Argo CD creates the child as it applies it
    clock.advance(SCENARIO.sync_seconds + 0.5)
    assert argocd.app_status("root", refresh=False).operation_revisions == (sha,)
    assert {app.name for app in argocd.applications()} == {"root", "web-prod", "web-staging", "web-qa"}
    assert argocd.app_status("web-qa").operation_phase is OperationPhase.RUNNING  # new: synced on refresh
    assert set(APP_OF_APPS) >= {"apps/staging.yaml", "apps/prod.yaml"}
