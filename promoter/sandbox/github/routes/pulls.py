"""Pull requests: list, open, read, edit, merge, changed files and requested reviewers."""

from __future__ import annotations

from starlette.routing import Route

from promoter.sandbox.github import diffs, endpoint, errors, lifecycle, merging, paging, records
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import git, pulls

PULLS = "/repos/{owner}/{repo}/pulls"
PULL = "/repos/{owner}/{repo}/pulls/{pull_number}"
_SORTS = {
    "created": lambda issue: issue.number,
    "updated": lambda issue: (issue.updated_at, issue.number),
    "popularity": lambda issue: issue.number,
    "long-running": lambda issue: issue.number,
}


def routes() -> list[Route]:
    return [
        endpoint.route("GET", PULLS, list_pulls),
        endpoint.route("POST", PULLS, create_pull),
        endpoint.route("GET", PULL, get_pull),
        endpoint.route("PATCH", PULL, update_pull),
        endpoint.route("GET", f"{PULL}/merge", merged),
        endpoint.route("PUT", f"{PULL}/merge", merge),
        endpoint.route("GET", f"{PULL}/files", files),
        endpoint.route("GET", f"{PULL}/commits", commits),
        endpoint.route("GET", f"{PULL}/comments", review_comments),
        endpoint.route("GET", f"{PULL}/requested_reviewers", requested_reviewers),
        endpoint.route("POST", f"{PULL}/requested_reviewers", request_reviewers),
        endpoint.route("DELETE", f"{PULL}/requested_reviewers", remove_requested_reviewers),
    ]


def list_pulls(call: endpoint.Call) -> endpoint.Reply:
    """Filters ``state``, ``head`` (``owner:branch``; a bare branch is ignored, as GitHub does) and ``base``."""
    hub = call.forge
    state = call.query.get("state", "open")
    sort = call.query.get("sort", "created")
    if state not in ("open", "closed", "all") or sort not in _SORTS:
        raise errors.invalid("PullRequest", "state" if sort in _SORTS else "sort")
    direction = call.query.get("direction", "desc" if sort == "created" else "asc")
    head_owner, _, head = call.query.get("head", "").partition(":")
    base = call.query.get("base")
    branches = hub.git.branches()
    found = []
    for issue in hub.state.pulls():
        part = issue.pull
        assert part is not None
        merging.refresh(hub, issue, branches)
        if state not in ("all", issue.state):
            continue
        if head_owner and (head_owner.lower() != hub.owner.lower() or (head and part.head != head)):
            continue
        if base and part.base != base:
            continue
        found.append(issue)
    found.sort(key=_SORTS[sort], reverse=direction == "desc")
    return paging.reply(call, found, lambda issue: pulls.pull(hub, call.links, issue))


def _full(call: endpoint.Call, issue: records.Issue) -> dict[str, object]:
    merging.refresh(call.forge, issue)
    return pulls.pull(call.forge, call.links, issue, merging.facts(call.forge, issue))


def create_pull(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    for name in ("head", "base", "title"):
        if not call.field(name):
            raise errors.invalid("PullRequest", name, "missing_field")
    issue = lifecycle.open_pull(
        call.forge,
        call.user,
        title=call.field("title"),
        head=call.field("head"),
        base=call.field("base"),
        body=call.field("body"),
        draft=call.field("draft", bool, False),
        maintainer_can_modify=call.field("maintainer_can_modify", bool, False),
    )
    return endpoint.Reply(201, _full(call, issue), {"Location": call.links.pull(issue.number)})


def get_pull(call: endpoint.Call) -> endpoint.Reply:
    issue, _ = call.forge.state.pull(call.number("pull_number"))
    return endpoint.Reply(200, _full(call, issue))


def update_pull(call: endpoint.Call) -> endpoint.Reply:
    """Title, body, state (open/closed), base and maintainer_can_modify; the author or a writer may."""
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    if call.user.login != issue.author and call.role < Role.WRITE:
        raise errors.forbidden()
    state = call.field("state")
    if state not in (None, "open", "closed"):
        raise errors.invalid("PullRequest", "state", "invalid", state)
    base = call.field("base")
    if base is not None and base != part.base:
        if issue.state != "open":
            raise errors.custom("PullRequest", "Cannot change the base branch of a closed pull request.")
        if hub.git.branch(base) is None:
            raise errors.invalid("PullRequest", "base")
    changed = False
    with hub.state.lock:
        for name in ("title", "body"):
            if call.has(name) and call.field(name) != getattr(issue, name):
                setattr(issue, name, call.field(name))
                changed = True
        if call.has("maintainer_can_modify"):
            part.maintainer_can_modify = call.field("maintainer_can_modify", bool, False)
        if base is not None and base != part.base:
            part.base, changed = base, True
        if changed:
            issue.updated_at = hub.state.now()
    if changed:
        hub.state.publish(records.Event("pull_request", "edited", issue.number, call.user.login))
    if state == "closed":
        lifecycle.close(hub, issue, call.user.login)
    elif state == "open":
        lifecycle.reopen(hub, issue, call.user)
    return endpoint.Reply(200, _full(call, issue))


def merged(call: endpoint.Call) -> endpoint.Reply:
    """204 when merged, 404 without a body otherwise (PyGithub's ``is_merged`` reads only the status)."""
    _, part = call.forge.state.pull(call.number("pull_number"))
    if not part.merged:
        raise errors.ApiError(404, "Not Found", body=False)
    return endpoint.Reply(204)


def merge(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    sha = merging.merge(
        call.forge,
        call.number("pull_number"),
        call.user,
        method=call.field("merge_method", str, "merge"),
        sha=call.field("sha"),
        title=call.field("commit_title"),
        message=call.field("commit_message"),
    )
    return endpoint.Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def files(call: endpoint.Call) -> endpoint.Reply:
    """The files the pull request changes, against the merge base as GitHub diffs them."""
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    merging.refresh(hub, issue)
    base = hub.git.merge_base(part.base_sha, part.head_sha) or part.base_sha
    changes = diffs.changes(hub.git, base, part.head_sha)[:3000]
    return paging.reply(call, changes, lambda change: git.diff_entry(call.links, change, part.head_sha))


def commits(call: endpoint.Call) -> endpoint.Reply:
    """The pull request's commits, oldest first (GitHub lists at most 250)."""
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    merging.refresh(hub, issue)
    found = hub.git.commits(part.base_sha, part.head_sha, limit=250)
    return paging.reply(call, found, lambda commit: git.commit(hub, call.links, commit))


def review_comments(call: endpoint.Call) -> endpoint.Reply:
    """Inline review comments: the sandbox takes none, so the list is always empty (and truthful)."""
    call.forge.state.pull(call.number("pull_number"))
    return endpoint.Reply(200, [])


def requested_reviewers(call: endpoint.Call) -> endpoint.Reply:
    _, part = call.forge.state.pull(call.number("pull_number"))
    return endpoint.Reply(200, pulls.review_requests(call.forge, call.links, part))


def _reviewers(call: endpoint.Call) -> list[str]:
    logins = call.field("reviewers", list, [])
    if call.field("team_reviewers", list, []):
        raise errors.custom("PullRequest", "Teams are not supported by the sandbox.")
    if not all(isinstance(login, str) for login in logins):
        raise errors.invalid("PullRequest", "reviewers")
    return [str(login) for login in logins]


def request_reviewers(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    users = []
    for login in _reviewers(call):
        user = hub.accounts.by_login(login)
        if user is None or user.role < Role.READ:
            raise errors.custom(
                "PullRequest",
                "Reviews may only be requested from collaborators. One or more of the users or teams you "
                f"specified is not a collaborator of the {hub.full_name} repository.",
            )
        if user.login == issue.author:
            raise errors.custom("PullRequest", "Review cannot be requested from pull request author.")
        users.append(user.login)
    with hub.state.lock:
        part.requested_reviewers.extend(login for login in users if login not in part.requested_reviewers)
    for login in users:
        hub.state.publish(
            records.Event("pull_request", "review_requested", issue.number, call.user.login, reviewer=login)
        )
    return endpoint.Reply(201, pulls.pull(hub, call.links, issue))


def remove_requested_reviewers(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    removed = {login.lower() for login in _reviewers(call)}
    with hub.state.lock:
        part.requested_reviewers[:] = [login for login in part.requested_reviewers if login.lower() not in removed]
    return endpoint.Reply(200, pulls.pull(hub, call.links, issue))
