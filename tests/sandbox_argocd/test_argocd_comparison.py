"""Synced or OutOfSync is decided by manifests, not revisions: a commit that leaves an Application's manifests
as they run keeps it Synced at the new revision, with no operation and no new deployment. Over raw HTTP on the
app-of-apps repo of the conftest (``web-staging`` and ``web-prod`` on one branch, and ``root`` over ``apps/``);
every response is checked against Argo CD's API description."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from promoter.sandbox.argocd import ManualClock, Simulator
from tests.sandbox_argocd.conftest import application, checked, deployment, root_synced

APPS = ("root", "web-prod", "web-staging")


def get(http: httpx.Client, name: str, refresh: bool = True) -> dict[str, Any]:
    params = {"refresh": "normal"} if refresh else {}
    found: dict[str, Any] = checked(http.get(f"/api/v1/applications/{name}", params=params))
    return found


def untouched(before: dict[str, Any], after: dict[str, Any], revision: str) -> None:
    """``after`` is ``before`` compared again at ``revision``: Synced there, nothing started, nothing deployed."""
    status = after["status"]
    assert (status["sync"]["status"], status["sync"]["revision"]) == ("Synced", revision)
    assert status["sync"]["comparedTo"] == before["status"]["sync"]["comparedTo"]
    assert "operation" not in after
    for field in ("operationState", "history", "health", "summary", "resources"):
        assert status[field] == before["status"][field], field
    assert status["reconciledAt"] > before["status"]["reconciledAt"]


def test_a_commit_to_one_apps_files_leaves_the_other_synced_at_the_new_revision(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    before = {name: get(http, name) for name in APPS}
    clock.advance(5)
    sha = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:2.0.0")}, "web 2.0.0 to staging")

    staging = get(http, "web-staging")
    assert (staging["status"]["sync"]["status"], staging["status"]["sync"]["revision"]) == ("OutOfSync", sha)
    assert (staging["operation"]["sync"]["revision"], staging["operation"]["initiatedBy"]) == (sha, {"automated": True})
    for name in ("web-prod", "root"):
        untouched(before[name], get(http, name), sha)

    clock.advance(3)  # the sync ends, the controller looks again, the new version is rolling out
    staging = get(http, "web-staging", refresh=False)
    assert (staging["status"]["sync"]["status"], staging["status"]["sync"]["revision"]) == ("Synced", sha)
    assert [h["revision"] for h in staging["status"]["history"]] == [
        before["web-staging"]["status"]["sync"]["revision"],
        sha,
    ]
    assert staging["status"]["operationState"]["syncResult"]["revision"] == sha
    assert staging["status"]["health"]["status"] == "Progressing"
    clock.advance(30)
    for name in ("web-prod", "root"):
        untouched(before[name], get(http, name), sha)  # still: the staging deployment changed nothing of theirs


def test_a_commit_outside_every_apps_path_syncs_nothing(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    before = {name: get(http, name) for name in APPS}
    clock.advance(5)
    sha = push({"README.md": "# config\n", "envs/staging/NOTES.txt": "not a manifest\n"}, "docs")
    for name in APPS:
        untouched(before[name], get(http, name), sha)


def test_a_commit_putting_back_what_runs_is_synced_without_a_sync(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock, simulator: Simulator
) -> None:
    simulator.set_scenario({"respect_sync_policy": True})
    manual = application("web-staging", "envs/staging", "web-staging").replace(
        "  syncPolicy:\n    automated:\n      prune: true\n", ""
    )
    push({"apps/staging.yaml": manual}, "staging: sync by hand")
    root_synced(http, clock)
    before = get(http, "web-staging")
    assert before["status"]["sync"]["status"] == "Synced"  # its own spec changed, not what it renders

    clock.advance(5)
    changed = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:2.0.0")}, "web 2.0.0 to staging")
    pending = get(http, "web-staging")
    assert (pending["status"]["sync"]["status"], pending["status"]["sync"]["revision"]) == ("OutOfSync", changed)
    assert "operation" not in pending
    modified = [
        item["kind"]
        for item in checked(http.get("/api/v1/applications/web-staging/managed-resources"))["items"]
        if item["modified"]
    ]
    assert modified == ["Deployment"]

    clock.advance(5)
    reverted = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0")}, "Revert web 2.0.0 to staging")
    untouched(before, get(http, "web-staging"), reverted)


def test_a_revert_after_a_failed_sync_is_synced_and_the_failure_stays_reported(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock, simulator: Simulator
) -> None:
    simulator.set_scenario({"sync_fail_images": ["*:refused"]})
    first = get(http, "web-staging")["status"]["sync"]["revision"]
    refused = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:refused")}, "web refused")
    get(http, "web-staging")
    clock.advance(3)
    failed = get(http, "web-staging", refresh=False)["status"]
    assert (failed["sync"]["status"], failed["operationState"]["phase"]) == ("OutOfSync", "Failed")

    other = push({"envs/prod/web.yaml": deployment("ghcr.io/acme/web:1.1.0")}, "prod only")
    again = get(http, "web-staging")
    assert again["status"]["sync"]["revision"] == other
    assert "operation" not in again  # the same manifests failed already: automated sync does not retry them

    reverted = push({"envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0")}, "Revert web refused")
    found = get(http, "web-staging")
    status = found["status"]
    assert (status["sync"]["status"], status["sync"]["revision"]) == ("Synced", reverted)
    assert "operation" not in found
    assert (status["operationState"]["phase"], status["operationState"]["syncResult"]["revision"]) == (
        "Failed",
        refused,
    )
    assert [h["revision"] for h in status["history"]] == [first]
    assert status["health"]["status"] == "Healthy"


def test_a_change_to_the_applications_own_spec_that_changes_its_manifests_is_synced(
    http: httpx.Client, push: Callable[..., str], clock: ManualClock
) -> None:
    before = get(http, "web-staging")
    clock.advance(5)
    labelled = push(
        {"apps/staging.yaml": application("web-staging", "envs/staging", "web-staging", labels="{env: qa}")}
    )
    root_synced(http, clock)
    untouched(before, get(http, "web-staging"), labelled)  # a label of the Application: same manifests

    moved = push({"apps/staging.yaml": application("web-staging", "envs/staging", "web-qa", labels="{env: qa}")})
    root_synced(http, clock)
    found = get(http, "web-staging")  # what it deployed went to web-staging: the new namespace is a difference
    assert (found["status"]["sync"]["status"], found["operation"]["sync"]["revision"]) == ("OutOfSync", moved)
    clock.advance(3)
    assert [h["revision"] for h in get(http, "web-staging")["status"]["history"]][-1] == moved
