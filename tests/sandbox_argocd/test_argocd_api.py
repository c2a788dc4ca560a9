"""The simulator's REST API over raw HTTP: every response checked against Argo CD's API description."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from promoter.sandbox.argocd import ManualClock, Simulator
from tests.sandbox_argocd.conftest import CREDENTIALS, TIMESTAMP, application, checked, deployment, root_synced

APPLICATION_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
spec:
  generators:
    - list:
        elements:
          - env: qa
  template:
    metadata:
      name: 'web-{{env}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/acme/config.git
        targetRevision: main
        path: 'envs/{{env}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'web-{{env}}'
"""


def test_login_gives_a_token_that_the_api_accepts(anonymous: httpx.Client) -> None:
    login = anonymous.post("/api/v1/session", json={"username": "admin", "password": CREDENTIALS.password})
    token = checked(login)["token"]
    listed = anonymous.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
    assert [app["metadata"]["name"] for app in checked(listed)["items"]] == ["root", "web-prod", "web-staging"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "no session information"),
        ({"Authorization": "Bearer wrong"}, "invalid session: token is not valid"),
        ({"Authorization": "Basic YWRtaW46eA=="}, "no session information"),
    ],
    ids=["no-token", "wrong-token", "not-bearer"],
)
def test_calls_without_a_valid_token_are_unauthenticated(
    anonymous: httpx.Client, headers: dict[str, str], message: str
) -> None:
    response = anonymous.get("/api/v1/applications/root", headers=headers)
    assert response.status_code == 401
    assert checked(response) == {"error": message, "code": 16, "message": message}


def test_a_wrong_password_is_refused(anonymous: httpx.Client) -> None:
    response = anonymous.post("/api/v1/session", json={"username": "admin", "password": "guess"})
    assert response.status_code == 401
    assert checked(response)["code"] == 16


def test_the_list_filters_by_name_and_label_selector(http: httpx.Client) -> None:
    def names(**params: str) -> list[str]:
        return [app["metadata"]["name"] for app in checked(http.get("/api/v1/applications", params=params))["items"]]

    assert names(name="web-prod") == ["web-prod"]
    assert names(selector="env=staging") == ["web-staging"]
    assert names(selector="env in (prod, staging),env!=prod") == ["web-staging"]
    assert names(selector="!env") == ["root"]
    bad = http.get("/api/v1/applications", params={"selector": "env=(x"})
    assert bad.status_code == 400
    assert checked(bad)["code"] == 3


def test_an_application_reads_like_argo_cds(http: httpx.Client) -> None:
    app = checked(http.get("/api/v1/applications/web-staging"))
    status = app["status"]
    assert app["metadata"]["labels"] == {"env": "staging"}
    assert app["spec"]["source"]["path"] == "envs/staging"
    assert status["sync"]["status"] == "Synced"
    assert status["sync"]["revision"] == status["operationState"]["syncResult"]["revision"]
    assert status["health"]["status"] == "Healthy"
    assert status["operationState"]["phase"] == "Succeeded"
    assert status["sourceType"] == "Directory"
    assert status["summary"] == {"images": ["ghcr.io/acme/web:1.0.0"]}
    assert [r["kind"] for r in status["resources"]] == ["Service", "Deployment"]
    assert status["resources"][1] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
        "namespace": "web-staging",
        "name": "web",
        "status": "Synced",
        "health": {"status": "Healthy"},
    }
    assert status["history"][0]["revision"] == status["sync"]["revision"]
    for moment in (
        status["reconciledAt"],
        status["operationState"]["startedAt"],
        status["operationState"]["finishedAt"],
        status["history"][0]["deployedAt"],
        app["metadata"]["creationTimestamp"],
    ):
        assert TIMESTAMP.match(moment), moment


def test_an_unknown_application_is_not_found(http: httpx.Client) -> None:
    for response in (
        http.get("/api/v1/applications/nope"),
        http.get("/api/v1/applications/nope", params={"refresh": "normal"}),
        http.post("/api/v1/applications/nope/sync", json={}),
        http.get("/api/v1/applications/nope/resource-tree"),
        http.get("/api/v1/applications/nope/managed-resources"),
        http.get("/api/v1/applications/nope/revisions/HEAD/metadata"),
    ):
        assert response.status_code == 404
        message = 'applications.argoproj.io "nope" not found'
        assert checked(response) == {"error": message, "code": 5, "message": message}


def test_refresh_syncs_a_new_commit_and_a_bad_refresh_type_is_refused(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    sha = push({"envs/prod/web.yaml": deployment("ghcr.io/acme/web:2.0.0")})
    running = checked(http.get("/api/v1/applications/web-prod", params={"refresh": "hard"}))
    assert running["operation"]["sync"]["revision"] == sha  # the requested operation, shown while it runs
    assert running["status"]["operationState"]["phase"] == "Running"
    assert "finishedAt" not in running["status"]["operationState"]
    clock.advance(3)
    done = checked(http.get("/api/v1/applications/web-prod"))
    assert "operation" not in done
    assert done["status"]["operationState"]["syncResult"]["resources"][0]["status"] == "Synced"
    assert [h["revision"] for h in done["status"]["history"]][-1] == sha
    assert done["status"]["health"]["status"] == "Progressing"
    assert done["status"]["summary"]["images"] == ["ghcr.io/acme/web:2.0.0"]
    bogus = http.get("/api/v1/applications/web-prod", params={"refresh": "soft"})
    assert bogus.status_code == 400
    assert checked(bogus)["code"] == 3


def test_sync_takes_a_revision_prune_and_dry_run(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    first = checked(http.get("/api/v1/applications/web-staging"))["status"]["sync"]["revision"]
    sha = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.3.0")})
    dry = checked(http.post("/api/v1/applications/web-staging/sync", json={"dryRun": True}))
    assert dry["status"]["operationState"]["syncResult"]["revision"] == first
    older = http.post("/api/v1/applications/web-staging/sync", json={"revision": first})
    assert older.status_code == 400
    assert checked(older)["message"] == f"Cannot sync to {first}: auto-sync currently set to main"
    unknown = http.post("/api/v1/applications/web-staging/sync", json={"revision": "no-such-branch"})
    assert checked(unknown)["code"] == 3
    synced = checked(http.post("/api/v1/applications/web-staging/sync", json={"revision": "main", "prune": True}))
    operation = synced["status"]["operationState"]
    assert (operation["phase"], operation["syncResult"]["revision"]) == ("Running", sha)
    assert operation["operation"] == {
        "sync": {"revision": sha, "prune": True, "syncStrategy": {"hook": {}}},
        "initiatedBy": {"username": "admin"},
        "retry": {},
    }
    again = http.post("/api/v1/applications/web-staging/sync", json={})
    assert (again.status_code, checked(again)["code"]) == (400, 9)
    clock.advance(1)
    assert checked(http.get("/api/v1/applications/web-staging"))["status"]["operationState"]["phase"] == "Succeeded"


def test_resource_tree_and_managed_resources(http: httpx.Client, push: Callable[..., str]) -> None:
    tree = checked(http.get("/api/v1/applications/web-staging/resource-tree"))
    deployment_node = next(node for node in tree["nodes"] if node["kind"] == "Deployment")
    assert deployment_node["images"] == ["ghcr.io/acme/web:1.0.0"]
    assert deployment_node["health"] == {"status": "Healthy"}
    push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.4.0")})
    http.get("/api/v1/applications/web-staging", params={"refresh": "normal"})
    managed = checked(http.get("/api/v1/applications/web-staging/managed-resources"))["items"]
    modified = {item["kind"]: item["modified"] for item in managed}
    assert modified == {"Deployment": True, "Service": False}
    (changed,) = [item for item in managed if item["modified"]]
    assert "1.4.0" in changed["targetState"]
    assert "1.0.0" in changed["liveState"]


def test_revision_metadata_comes_from_git(http: httpx.Client, push: Callable[..., str]) -> None:
    sha = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.5.0")}, "web 1.5.0 to staging\n\nWhy: CVE.")
    metadata = checked(http.get(f"/api/v1/applications/web-staging/revisions/{sha}/metadata"))
    assert metadata["author"] == "Test Person <person@example.com>"
    assert metadata["message"] == "web 1.5.0 to staging\n\nWhy: CVE."
    assert TIMESTAMP.match(metadata["date"])
    missing = http.get(f"/api/v1/applications/web-staging/revisions/{'0' * 40}/metadata")
    assert (missing.status_code, checked(missing)["code"]) == (404, 5)


def test_application_sets_are_listed_from_git(http: httpx.Client, push: Callable[..., str]) -> None:
    assert checked(http.get("/api/v1/applicationsets"))["items"] == []
    push({"appsets/web.yaml": APPLICATION_SET})
    (found,) = checked(http.get("/api/v1/applicationsets"))["items"]
    assert found["metadata"]["name"] == "web"
    assert checked(http.get("/api/v1/applicationsets/web"))["spec"]["generators"][0]["list"]["elements"] == [
        {"env": "qa"}
    ]
    assert checked(http.get("/api/v1/applicationsets/nope"))["code"] == 5


def test_clusters_are_the_simulators_one(http: httpx.Client) -> None:
    (cluster,) = checked(http.get("/api/v1/clusters"))["items"]
    assert (cluster["name"], cluster["server"]) == ("in-cluster", "https://kubernetes.default.svc")


def test_an_unresolvable_target_revision_is_a_comparison_error(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    push({"apps/staging.yaml": application("web-staging", "envs/staging", "web-staging", revision="gone")})
    root_synced(http, clock)
    status = checked(http.get("/api/v1/applications/web-staging", params={"refresh": "normal"}))["status"]
    assert status["sync"]["status"] == "Unknown"
    assert status["conditions"][0]["type"] == "ComparisonError"
    assert "Unable to resolve 'gone'" in status["conditions"][0]["message"]


def test_the_admin_path_changes_the_scenario(anonymous: httpx.Client, http: httpx.Client, simulator: Simulator) -> None:
    changed = anonymous.post("/_sim/scenario", json={"fail_images": ["*:bad-*"], "sync_interval_seconds": None})
    assert changed.status_code == 200
    assert changed.json()["fail_images"] == ["*:bad-*"]
    assert simulator.scenario.fail_images == ("*:bad-*",)
    assert simulator.scenario.sync_interval_seconds is None
    refused: dict[str, Any] = anonymous.post("/_sim/scenario", json={"progressing_seconds": -1}).json()
    assert refused["code"] == 3
    assert "progressing_seconds" in refused["message"]
    assert anonymous.post("/_sim/scenario", json={"fail_images": None}).status_code == 400
    anonymous.post("/_sim/scenario", json={"unreachable": True})
    down = http.get("/api/v1/applications")
    assert (down.status_code, checked(down)["code"]) == (503, 14)
    assert anonymous.get("/_sim/scenario").json()["unreachable"] is True
