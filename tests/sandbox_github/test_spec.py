"""Every endpoint over raw HTTP, each JSON answer validated against GitHub's OpenAPI description."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator

from tests.apispec import _load
from tests.sandbox_github.client import Api
from tests.sandbox_github.conftest import push

REPO = "/repos/acme/config"


def _validate(schema: str, body: object) -> None:
    """Check against one named schema, where the operation's own schema cannot be met.

    The directory listing of ``GET .../contents/{path}``: the ``oneOf`` has a ``type`` discriminator,
    which the validator applies to the array too and so rejects every listing, although the array is one
    of the alternatives (and what GitHub and PyGithub use). The 409 of ``PUT .../contents/{path}``: a
    ``oneOf`` of two error schemas that any error body matches both of.
    """
    spec = _load("github-promotion-bot.trimmed.json")
    OAS30Validator({"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}).validate(body)


def _operations() -> set[str]:
    spec = _load("github-promotion-bot.trimmed.json")
    return {
        f"{method.upper()} {template}"
        for template, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


@pytest.mark.usefixtures("specs")  # conformance is the point: without the description, nothing to test
def test_every_served_operation_answers_as_specified(
    api: Callable[[str | None], Api], checked: set[str], checkout: Path
) -> None:
    bot, alice = api("promoter-bot"), api("alice")
    head = push(checkout, "promoter/web", {"apps/web/values.yaml": "image:\n  tag: 1.1.0\nreplicas: 2\n"}, "web")

    assert bot("GET", "/user").json()["login"] == "promoter-bot"
    assert bot("GET", "/rate_limit").json()["resources"]["core"]["limit"] == 5000
    assert bot("GET", REPO).json()["permissions"]["push"] is True
    assert bot("GET", f"{REPO}/branches/main").json()["protected"] is False
    assert bot("GET", f"{REPO}/branches/main/protection").status_code == 404
    assert bot("GET", f"{REPO}/collaborators/carol/permission").json()["permission"] == "read"

    main = bot("GET", f"{REPO}/git/ref/heads/main").json()["object"]["sha"]
    assert bot("GET", f"{REPO}/git/ref/heads/nope").status_code == 404
    assert [r["ref"] for r in bot("GET", f"{REPO}/git/matching-refs/heads/promoter").json()] == [
        "refs/heads/promoter/web"
    ]
    created = bot("POST", f"{REPO}/git/refs", json={"ref": "refs/heads/scratch", "sha": main})
    assert created.status_code == 201
    assert bot("POST", f"{REPO}/git/refs", json={"ref": "refs/heads/scratch", "sha": main}).status_code == 422
    assert bot("PATCH", f"{REPO}/git/refs/heads/scratch", json={"sha": head}).status_code == 200
    assert bot("PATCH", f"{REPO}/git/refs/heads/scratch", json={"sha": main}).status_code == 422
    assert bot("DELETE", f"{REPO}/git/refs/heads/scratch").status_code == 204
    assert bot("GET", f"{REPO}/git/commits/{head}").json()["parents"][0]["sha"] == main
    assert bot("GET", f"{REPO}/git/commits/{'0' * 40}").status_code == 404

    file = bot("GET", f"{REPO}/contents/apps/web/values.yaml", params={"ref": head}).json()
    assert base64.b64decode(file["content"]).decode().startswith("image:\n  tag: 1.1.0")
    listing = bot("GET", f"{REPO}/contents/apps", spec=False).json()
    _validate("content-directory", listing)
    assert {item["name"] for item in listing} == {"api", "web"}
    assert bot("GET", f"{REPO}/contents/missing.yaml").status_code == 404
    comparison = bot("GET", f"{REPO}/compare/main...promoter/web").json()
    assert (comparison["status"], comparison["ahead_by"], comparison["files"][0]["additions"]) == ("ahead", 1, 1)

    pull = bot("POST", f"{REPO}/pulls", json={"title": "Promote web", "head": "promoter/web", "base": "main"})
    assert pull.status_code == 201
    number = pull.json()["number"]
    assert (
        bot("POST", f"{REPO}/pulls", json={"title": "again", "head": "promoter/web", "base": "main"}).status_code == 422
    )
    assert [p["number"] for p in bot("GET", f"{REPO}/pulls", params={"head": "acme:promoter/web"}).json()] == [number]
    assert bot("GET", f"{REPO}/pulls/{number}").json()["mergeable_state"] == "clean"
    assert bot("GET", f"{REPO}/pulls/999").status_code == 404
    assert bot("PATCH", f"{REPO}/pulls/{number}", json={"body": "<!-- promoter:{} -->"}).json()["body"]
    assert bot("GET", f"{REPO}/pulls/{number}/files").json()[0]["filename"] == "apps/web/values.yaml"
    assert bot("GET", f"{REPO}/pulls/{number}/merge").status_code == 404
    requested = bot("POST", f"{REPO}/pulls/{number}/requested_reviewers", json={"reviewers": ["alice"]})
    assert requested.status_code == 201
    assert [u["login"] for u in bot("GET", f"{REPO}/pulls/{number}/requested_reviewers").json()["users"]] == ["alice"]

    review = alice("POST", f"{REPO}/pulls/{number}/reviews", json={"event": "APPROVE"}).json()
    assert (review["state"], review["commit_id"]) == ("APPROVED", head)
    assert bot("POST", f"{REPO}/pulls/{number}/reviews", json={"event": "APPROVE"}).status_code == 422
    assert bot("GET", f"{REPO}/pulls/{number}/reviews").json()[0]["id"] == review["id"]
    assert bot("GET", f"{REPO}/pulls/{number}/reviews/{review['id']}").json()["user"]["login"] == "alice"
    assert bot("GET", f"{REPO}/pulls/{number}/reviews/1").status_code == 404

    assert bot("GET", f"{REPO}/issues/{number}").json()["pull_request"]["merged_at"] is None
    assert bot("PATCH", f"{REPO}/issues/{number}", json={"title": "Promote web 1.1.0"}).json()["title"]
    comment = bot("POST", f"{REPO}/issues/{number}/comments", json={"body": "status"})
    assert comment.status_code == 201
    comment_id = comment.json()["id"]
    assert bot("GET", f"{REPO}/issues/{number}/comments").json()[0]["body"] == "status"
    assert bot("GET", f"{REPO}/issues/{number + 1}/comments").status_code == 404
    assert bot("GET", f"{REPO}/issues/comments/{comment_id}").json()["user"]["login"] == "promoter-bot"
    assert bot("GET", f"{REPO}/issues/comments/1").status_code == 404
    assert bot("PATCH", f"{REPO}/issues/comments/{comment_id}", json={"body": "status: done"}).json()["body"]
    assert bot("POST", f"{REPO}/issues/comments/{comment_id}/reactions", json={"content": "rocket"}).status_code == 201
    assert bot("POST", f"{REPO}/issues/comments/{comment_id}/reactions", json={"content": "rocket"}).status_code == 200
    assert bot("POST", f"{REPO}/issues/comments/{comment_id}/reactions", json={"content": "nope"}).status_code == 422
    assert bot("GET", f"{REPO}/issues/comments/{comment_id}/reactions").json()[0]["content"] == "rocket"
    assert bot("GET", f"{REPO}/issues/comments/{comment_id}").json()["reactions"]["rocket"] == 1

    labels = bot("POST", f"{REPO}/issues/{number}/labels", json={"labels": ["promoter", "stage:prod"]}).json()
    assert [label["name"] for label in labels] == ["promoter", "stage:prod"]
    assert len(bot("GET", f"{REPO}/issues/{number}/labels").json()) == 2
    assert [x["name"] for x in bot("DELETE", f"{REPO}/issues/{number}/labels/stage:prod").json()] == ["promoter"]
    assert bot("DELETE", f"{REPO}/issues/{number}/labels/stage:prod").status_code == 404

    assert bot("POST", f"{REPO}/statuses/{head}", json={"state": "failure", "context": "ci"}).status_code == 201
    assert bot("POST", f"{REPO}/statuses/{head}", json={"state": "success", "context": "ci"}).status_code == 201
    assert bot("GET", f"{REPO}/commits/{head}/status").json()["state"] == "success"
    assert bot("GET", f"{REPO}/commits/promoter/web/status").json()["sha"] == head
    assert bot("GET", f"{REPO}/commits/nope/status").status_code == 404
    assert [s["state"] for s in bot("GET", f"{REPO}/commits/{head}/statuses").json()] == ["success", "failure"]
    # Only completed runs here: the description's nullable enum rejects the null conclusion of a running one.
    run = bot("POST", f"{REPO}/check-runs", json={"name": "promoter", "head_sha": head, "conclusion": "failure"}).json()
    assert (run["status"], run["pull_requests"][0]["number"]) == ("completed", number)
    assert (
        bot("PATCH", f"{REPO}/check-runs/{run['id']}", json={"conclusion": "success"}).json()["status"] == "completed"
    )
    assert bot("GET", f"{REPO}/check-runs/{run['id']}").json()["conclusion"] == "success"
    assert bot("GET", f"{REPO}/commits/{head}/check-runs").json()["total_count"] == 1

    assert bot("PUT", f"{REPO}/pulls/{number}/merge", json={"sha": main}).status_code == 409
    merged = bot("PUT", f"{REPO}/pulls/{number}/merge", json={"merge_method": "squash"})
    assert merged.json()["merged"] is True
    assert bot("PUT", f"{REPO}/pulls/{number}/merge", json={}).status_code == 405
    assert bot("GET", f"{REPO}/pulls/{number}/merge").status_code == 204
    assert bot("GET", f"{REPO}/pulls", params={"state": "closed"}).json()[0]["merged_at"]

    assert api(None)("GET", "/user").status_code == 401
    assert api("carol")("POST", f"{REPO}/pulls", json={"title": "t", "head": "main", "base": "main"}).status_code == 403
    assert bot("GET", "/repos/acme/other").status_code == 404
    _write_through_the_api(bot, main)
    assert checked == _operations()


def _write_through_the_api(bot: Api, main: str) -> None:
    """Blobs, trees and commits, and one-file commits with ``PUT .../contents/{path}``."""
    blob = bot("POST", f"{REPO}/git/blobs", json={"content": "a: 1\n", "encoding": "utf-8"})
    assert blob.status_code == 201
    base_tree = bot("GET", f"{REPO}/git/trees/{main}").json()["sha"]
    entries = [
        {"path": "apps/new/values.yaml", "mode": "100644", "type": "blob", "sha": blob.json()["sha"]},
        {"path": "README.md", "mode": "100644", "type": "blob", "sha": None},
    ]
    tree = bot("POST", f"{REPO}/git/trees", json={"base_tree": base_tree, "tree": entries}).json()
    listed = bot("GET", f"{REPO}/git/trees/{tree['sha']}", params={"recursive": "1"}).json()
    assert "apps/new/values.yaml" in {item["path"] for item in listed["tree"]}
    assert "README.md" not in {item["path"] for item in listed["tree"]}
    bad = [{"path": "x", "mode": "100644", "type": "blob", "sha": "0" * 40}]
    assert bot("POST", f"{REPO}/git/trees", json={"tree": bad}).status_code == 422
    commit = bot("POST", f"{REPO}/git/commits", json={"message": "api", "tree": tree["sha"], "parents": [main]})
    assert commit.json()["parents"][0]["sha"] == main
    assert bot("POST", f"{REPO}/git/commits", json={"message": "x", "tree": "0" * 40}).status_code == 422

    text = base64.b64encode(b"new: file\n").decode()
    created = bot("PUT", f"{REPO}/contents/docs/new.yaml", json={"message": "add", "content": text, "branch": "main"})
    assert created.status_code == 201
    sha = created.json()["content"]["sha"]
    # Checked against basic-error alone: the operation's 409 is oneOf two schemas that every error matches.
    stale = bot(
        "PUT", f"{REPO}/contents/docs/new.yaml", json={"message": "x", "content": text, "sha": main}, spec=False
    )
    _validate("basic-error", stale.json())
    assert stale.status_code == 409
    updated = bot("PUT", f"{REPO}/contents/docs/new.yaml", json={"message": "edit", "content": text, "sha": sha})
    assert updated.status_code == 200
    assert bot("PUT", f"{REPO}/contents/docs/new.yaml", json={"message": "x", "content": text}).status_code == 422


def test_errors_have_githubs_shape(api: Callable[[str | None], Api]) -> None:
    bot = api("promoter-bot")
    missing = bot("POST", f"{REPO}/pulls", json={"title": "t", "head": "nope", "base": "main"}).json()
    assert missing["message"] == "Validation Failed"
    assert missing["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
    assert missing["documentation_url"].startswith("https://docs.github.com/")
    broken = bot.client.post(f"{REPO}/pulls", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()["message"]) == (400, "Problems parsing JSON")
    unknown = bot("GET", "/no/such/endpoint", spec=False)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not Found")
    bad = api(None)
    bad.client.headers["Authorization"] = "token wrong"
    refused = bad("GET", "/user")
    assert refused.json()["message"] == "Bad credentials"
    assert json.loads(bad("GET", "/user").content)["status"] == "401"
