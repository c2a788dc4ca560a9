"""The repository object, in the full form (``GET /repos/{owner}/{repo}``) and inside pull requests."""

from __future__ import annotations

from typing import Any

from promoter.sandbox.github import accounts, forge, links
from promoter.sandbox.github.payloads import users

# GitHub's URL templates, relative to the repository's API URL.
_TEMPLATES = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def repository(hub: forge.Forge, urls: links.Links, role: accounts.Role | None = None) -> dict[str, Any]:
    """The repository; ``role`` adds the caller's ``permissions`` as GitHub does for authenticated calls.

    Timestamps are fixed (the creation time) so that the body, and so its ETag, changes only when
    something a client could care about changes.
    """
    created = users.timestamp(hub.created_at)
    with hub.state.lock:
        open_issues = sum(1 for issue in hub.state.issues.values() if issue.state == "open")
    host = urls.base.split("://", 1)[-1]
    data: dict[str, Any] = {
        "id": hub.repo_id,
        "node_id": f"R_sandbox{hub.repo_id}",
        "name": hub.name,
        "full_name": hub.full_name,
        "private": True,
        "visibility": "private",
        "owner": users.account(hub, urls, hub.owner),
        "html_url": urls.html,
        "description": hub.description,
        "fork": False,
        "url": urls.api,
        **{key: urls.api + suffix for key, suffix in _TEMPLATES.items()},
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "git_url": f"git://{host}/{hub.full_name}.git",
        "ssh_url": f"git@{host}:{hub.full_name}.git",
        "clone_url": hub.clone(),
        "svn_url": urls.html,
        "homepage": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": True,
        "has_projects": False,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": open_issues,
        "license": None,
        "allow_forking": False,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": hub.default_branch,
        "allow_squash_merge": "squash" in hub.merge_methods,
        "allow_merge_commit": "merge" in hub.merge_methods,
        "allow_rebase_merge": "rebase" in hub.merge_methods,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "network_count": 0,
        "subscribers_count": 0,
    }
    if role is not None:
        data["permissions"] = role.flags()
    return data
