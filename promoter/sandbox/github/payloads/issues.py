"""Issues (the issue side of pull requests), their comments, labels and reactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from promoter.sandbox.github import forge, links, records
from promoter.sandbox.github.payloads import users


def label(urls: links.Links, found: records.Label) -> dict[str, Any]:
    return {
        "id": found.id,
        "node_id": f"LA_sandbox{found.id}",
        "url": urls.label(found.name),
        "name": found.name,
        "color": found.color,
        "default": False,
        "description": found.description,
    }


def reactions(url: str, found: Sequence[records.Reaction]) -> dict[str, Any]:
    """The ``reactions`` roll-up on comments and issues: a count per content."""
    rollup: dict[str, Any] = {"url": url, "total_count": len(found)}
    for content in records.REACTIONS:
        rollup[content] = sum(1 for reaction in found if reaction.content == content)
    return rollup


def reaction(hub: forge.Forge, urls: links.Links, found: records.Reaction) -> dict[str, Any]:
    return {
        "id": found.id,
        "node_id": f"REA_sandbox{found.id}",
        "user": users.account(hub, urls, found.user),
        "content": found.content,
        "created_at": users.timestamp(found.created_at),
    }


def html(urls: links.Links, issue: records.Issue) -> str:
    return urls.html_pull(issue.number) if issue.pull is not None else urls.html_issue(issue.number)


def issue(hub: forge.Forge, urls: links.Links, found: records.Issue) -> dict[str, Any]:
    url = urls.issue(found.number)
    labels = hub.state.labels_of(found)
    data: dict[str, Any] = {
        "id": found.id,
        "node_id": f"I_sandbox{found.id}",
        "url": url,
        "repository_url": urls.api,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "timeline_url": f"{url}/timeline",
        "html_url": html(urls, found),
        "number": found.number,
        "title": found.title,
        "user": users.account(hub, urls, found.author),
        "labels": [label(urls, item) for item in labels],
        "state": found.state,
        "locked": found.locked,
        "active_lock_reason": None,
        "assignee": users.maybe(hub, urls, found.assignees[0] if found.assignees else None),
        "assignees": [users.account(hub, urls, login) for login in found.assignees],
        "milestone": None,
        "comments": len(hub.state.comments_on(found.number)),
        "created_at": users.timestamp(found.created_at),
        "updated_at": users.timestamp(found.updated_at),
        "closed_at": users.timestamp(found.closed_at),
        "closed_by": users.maybe(hub, urls, found.closed_by),
        "author_association": users.association(hub, found.author),
        "body": found.body,
        "reactions": reactions(f"{url}/reactions", ()),
        "performed_via_github_app": None,
    }
    if found.state_reason is not None:
        # Left out rather than null: the description's nullable enum does not admit null.
        data["state_reason"] = found.state_reason
    if found.pull is not None:
        data["draft"] = found.pull.draft
        data["pull_request"] = {
            "url": urls.pull(found.number),
            "html_url": urls.html_pull(found.number),
            "diff_url": f"{urls.html_pull(found.number)}.diff",
            "patch_url": f"{urls.html_pull(found.number)}.patch",
            "merged_at": users.timestamp(found.pull.merged_at),
        }
    return data


def comment(hub: forge.Forge, urls: links.Links, found: records.Comment, issue_: records.Issue) -> dict[str, Any]:
    url = urls.comment(found.id)
    return {
        "id": found.id,
        "node_id": f"IC_sandbox{found.id}",
        "url": url,
        "html_url": f"{html(urls, issue_)}#issuecomment-{found.id}",
        "issue_url": urls.issue(found.number),
        "body": found.body,
        "user": users.account(hub, urls, found.author),
        "created_at": users.timestamp(found.created_at),
        "updated_at": users.timestamp(found.updated_at),
        "author_association": users.association(hub, found.author),
        "performed_via_github_app": None,
        "reactions": reactions(f"{url}/reactions", hub.state.reactions_on(found.id)),
    }
