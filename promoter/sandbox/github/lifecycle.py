"""Opening, closing and reopening pull requests and issues, with GitHub's rules.

Both ``PATCH .../pulls/{n}`` and ``PATCH .../issues/{n}`` close and reopen, and deleting a branch closes
the pull requests that need it, so the rules live here once: one open pull request per head and base,
no pull request without commits, a merged pull request stays closed.
"""

from __future__ import annotations

from promoter.sandbox.github import accounts, errors, forge, records


def open_pull(
    hub: forge.Forge,
    user: accounts.User,
    title: str,
    head: str,
    base: str,
    body: str | None,
    draft: bool,
    maintainer_can_modify: bool,
) -> records.Issue:
    """Create a pull request from branch ``head`` (``owner:branch`` or ``branch``) into ``base``."""
    owner, _, branch = head.rpartition(":")
    if owner and owner.lower() != hub.owner.lower():
        raise errors.invalid("PullRequest", "head")
    head_sha, base_sha = hub.git.branch(branch), hub.git.branch(base)
    if head_sha is None:
        raise errors.invalid("PullRequest", "head")
    if base_sha is None:
        raise errors.invalid("PullRequest", "base")
    if hub.git.is_ancestor(head_sha, base_sha):
        raise errors.custom("PullRequest", f"No commits between {base} and {branch}")
    now = hub.state.now()
    with hub.state.lock:
        _refuse_duplicate(hub, branch, base, number=None)
        number = hub.state.new_number()
        pull = records.Pull(
            hub.state.new_id(),
            branch,
            base,
            head_sha,
            base_sha,
            draft=draft,
            maintainer_can_modify=maintainer_can_modify,
        )
        issue = records.Issue(number, hub.state.new_id(), title, body, user.login, now, now, pull=pull)
        hub.state.issues[number] = issue
    hub.state.publish(records.Event("pull_request", "opened", number, user.login))
    return issue


def _refuse_duplicate(hub: forge.Forge, head: str, base: str, number: int | None) -> None:
    """422 when another open pull request already goes from ``head`` into ``base``."""
    for other in hub.state.pulls():
        part = other.pull
        assert part is not None
        if other.number != number and other.state == "open" and part.head == head and part.base == base:
            raise errors.custom("PullRequest", f"A pull request already exists for {hub.owner}:{head}.")


def close(hub: forge.Forge, issue: records.Issue, actor: str | None, reason: str | None = None) -> bool:
    """Close an open issue or pull request; False if it was already closed.

    ``actor`` is the login of whoever closed it; None when git did (a branch deleted by a push).
    """
    now = hub.state.now()
    with hub.state.lock:
        if issue.state == "closed":
            return False
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", now, actor, now
        issue.state_reason = None if issue.pull is not None else (reason or "completed")
    kind = "pull_request" if issue.pull is not None else "issues"
    hub.state.publish(records.Event(kind, "closed", issue.number, actor))
    return True


def reopen(hub: forge.Forge, issue: records.Issue, user: accounts.User) -> bool:
    """Reopen a closed issue or unmerged pull request whose branches still exist; False if already open."""
    part = issue.pull
    with hub.state.lock:
        if issue.state == "open":
            return False
        if part is not None:
            if part.merged:
                raise errors.custom("PullRequest", "state cannot be changed. The pull request has been merged.")
            if hub.git.branch(part.head) is None or hub.git.branch(part.base) is None:
                raise errors.custom("PullRequest", "state cannot be changed. The head or base branch was deleted.")
            _refuse_duplicate(hub, part.head, part.base, number=issue.number)
        now = hub.state.now()
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "open", None, None, now
        issue.state_reason = "reopened" if part is None else None
    kind = "pull_request" if part is not None else "issues"
    hub.state.publish(records.Event(kind, "reopened", issue.number, user.login))
    return True


def branch_deleted(hub: forge.Forge, branch: str, actor: str | None) -> None:
    """GitHub closes the open pull requests whose head or base branch was deleted."""
    for issue in hub.state.pulls():
        part = issue.pull
        assert part is not None
        if issue.state == "open" and branch in (part.head, part.base):
            close(hub, issue, actor)
