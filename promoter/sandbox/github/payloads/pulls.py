"""Pull requests (full and list forms), reviews, requested reviewers and merge results."""

from __future__ import annotations

import dataclasses
from typing import Any

from promoter.sandbox.github import forge, links, records
from promoter.sandbox.github.payloads import issues, repos, users


@dataclasses.dataclass(frozen=True)
class Facts:
    """What only the full form shows, computed from git by :mod:`promoter.sandbox.github.merging`."""

    commits: int
    additions: int
    deletions: int
    changed_files: int
    mergeable: bool | None
    mergeable_state: str
    rebaseable: bool | None


def _side(hub: forge.Forge, urls: links.Links, branch: str, sha: str, repo: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": f"{hub.owner}:{branch}",
        "ref": branch,
        "sha": sha,
        "user": users.account(hub, urls, hub.owner),
        "repo": repo,
    }


def pull(hub: forge.Forge, urls: links.Links, issue: records.Issue, facts: Facts | None = None) -> dict[str, Any]:
    """The list form (``pull-request-simple``), or with ``facts`` the full ``pull-request``."""
    assert issue.pull is not None
    part = issue.pull
    url = urls.pull(issue.number)
    issue_url = urls.issue(issue.number)
    html = urls.html_pull(issue.number)
    repo = repos.repository(hub, urls)
    labels = hub.state.labels_of(issue)
    with hub.state.lock:
        reviewers = list(part.requested_reviewers)
    hrefs = {
        "self": url,
        "html": html,
        "issue": issue_url,
        "comments": f"{issue_url}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{urls.api}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": urls.statuses(part.head_sha),
    }
    data: dict[str, Any] = {
        "url": url,
        "id": part.id,
        "node_id": f"PR_sandbox{part.id}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_url,
        "commits_url": hrefs["commits"],
        "review_comments_url": hrefs["review_comments"],
        "review_comment_url": hrefs["review_comment"],
        "comments_url": hrefs["comments"],
        "statuses_url": hrefs["statuses"],
        "number": issue.number,
        "state": issue.state,
        "locked": issue.locked,
        "title": issue.title,
        "user": users.account(hub, urls, issue.author),
        "body": issue.body,
        "labels": [issues.label(urls, item) for item in labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": users.timestamp(issue.created_at),
        "updated_at": users.timestamp(issue.updated_at),
        "closed_at": users.timestamp(issue.closed_at),
        "merged_at": users.timestamp(part.merged_at),
        "merge_commit_sha": part.merge_commit_sha,
        "assignee": users.maybe(hub, urls, issue.assignees[0] if issue.assignees else None),
        "assignees": [users.account(hub, urls, login) for login in issue.assignees],
        "requested_reviewers": [users.account(hub, urls, login) for login in reviewers],
        "requested_teams": [],
        "head": _side(hub, urls, part.head, part.head_sha, repo),
        "base": _side(hub, urls, part.base, part.base_sha, repo),
        "_links": {name: {"href": href} for name, href in hrefs.items()},
        "author_association": users.association(hub, issue.author),
        "auto_merge": None,
        "draft": part.draft,
    }
    if facts is not None:
        data.update(
            {
                "merged": part.merged,
                "mergeable": facts.mergeable,
                "rebaseable": facts.rebaseable,
                "mergeable_state": facts.mergeable_state,
                "merged_by": users.maybe(hub, urls, part.merged_by),
                "comments": len(hub.state.comments_on(issue.number)),
                "review_comments": 0,
                "maintainer_can_modify": part.maintainer_can_modify,
                "commits": facts.commits,
                "additions": facts.additions,
                "deletions": facts.deletions,
                "changed_files": facts.changed_files,
            }
        )
    return data


def minimal(hub: forge.Forge, urls: links.Links, issue: records.Issue) -> dict[str, Any]:
    """The pull request as check runs list it."""
    assert issue.pull is not None
    repo = {"id": hub.repo_id, "url": urls.api, "name": hub.name}
    return {
        "id": issue.pull.id,
        "number": issue.number,
        "url": urls.pull(issue.number),
        "head": {"ref": issue.pull.head, "sha": issue.pull.head_sha, "repo": repo},
        "base": {"ref": issue.pull.base, "sha": issue.pull.base_sha, "repo": repo},
    }


def review(hub: forge.Forge, urls: links.Links, found: records.Review) -> dict[str, Any]:
    html = f"{urls.html_pull(found.number)}#pullrequestreview-{found.id}"
    data: dict[str, Any] = {
        "id": found.id,
        "node_id": f"PRR_sandbox{found.id}",
        "user": users.account(hub, urls, found.user),
        "body": found.body,
        "state": found.state.value,
        "html_url": html,
        "pull_request_url": urls.pull(found.number),
        "author_association": users.association(hub, found.user),
        "_links": {"html": {"href": html}, "pull_request": {"href": urls.pull(found.number)}},
        "commit_id": found.commit_id,
    }
    if found.submitted_at is not None:
        data["submitted_at"] = users.timestamp(found.submitted_at)
    return data


def review_requests(hub: forge.Forge, urls: links.Links, part: records.Pull) -> dict[str, Any]:
    return {"users": [users.account(hub, urls, login) for login in part.requested_reviewers], "teams": []}
