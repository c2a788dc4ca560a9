"""Commit statuses (one by one and combined) and check runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from promoter.sandbox.github import forge, links, records
from promoter.sandbox.github.payloads import repos, users


def status(hub: forge.Forge, urls: links.Links, found: records.Status) -> dict[str, Any]:
    creator = users.account(hub, urls, found.creator)
    return {
        "url": urls.statuses(found.sha),
        "avatar_url": creator["avatar_url"],
        "id": found.id,
        "node_id": f"SC_sandbox{found.id}",
        "state": found.state,
        "description": found.description,
        "target_url": found.target_url,
        "context": found.context,
        "created_at": users.timestamp(found.created_at),
        "updated_at": users.timestamp(found.created_at),
        "creator": creator,
    }


def combined_state(latest: Sequence[records.Status]) -> str:
    """failure if any context failed or errored, pending if any is pending (or none exist), else success."""
    states = {found.state for found in latest}
    if states & {"failure", "error"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def combined(hub: forge.Forge, urls: links.Links, sha: str, latest: Sequence[records.Status]) -> dict[str, Any]:
    """``GET .../commits/{ref}/status``: ``latest`` holds the newest status of each context."""
    simple = []
    for found in latest:
        item = status(hub, urls, found)
        del item["creator"]
        item["required"] = False
        simple.append(item)
    return {
        "state": combined_state(latest),
        "statuses": simple,
        "sha": sha,
        "total_count": len(simple),
        "repository": repos.repository(hub, urls),
        "commit_url": urls.commit(sha),
        "url": f"{urls.commit(sha)}/status",
    }


def check_run(urls: links.Links, found: records.CheckRun, pull_requests: Sequence[dict[str, Any]]) -> dict[str, Any]:
    url = urls.check_run(found.id)
    return {
        "id": found.id,
        "node_id": f"CR_sandbox{found.id}",
        "head_sha": found.head_sha,
        "external_id": found.external_id,
        "url": url,
        "html_url": f"{urls.html}/runs/{found.id}",
        "details_url": found.details_url,
        "status": found.status,
        "conclusion": found.conclusion,
        "started_at": users.timestamp(found.started_at),
        "completed_at": users.timestamp(found.completed_at),
        "output": {
            "title": found.title,
            "summary": found.summary,
            "text": found.text,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "name": found.name,
        "check_suite": {"id": found.suite_id},
        "app": None,
        "pull_requests": list(pull_requests),
    }
