"""The repository, the caller, rate limits, branches and collaborator permissions."""

from __future__ import annotations

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, paging
from promoter.sandbox.github.payloads import git, repos, users

REPO = "/repos/{owner}/{repo}"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", REPO, get_repository),
        endpoint.route("GET", "/user", get_user),
        endpoint.route("GET", "/users/{username}", get_public_user),
        endpoint.route("GET", "/rate_limit", rate_limit, counted=False),
        endpoint.route("GET", f"{REPO}/branches", list_branches),
        endpoint.route("GET", f"{REPO}/branches/{{branch}}/protection", branch_protection),
        endpoint.route("GET", f"{REPO}/branches/{{branch}}", get_branch),
        endpoint.route("GET", f"{REPO}/collaborators/{{username}}/permission", permission),
    ]


def get_repository(call: endpoint.Call) -> endpoint.Reply:
    return endpoint.Reply(200, repos.repository(call.forge, call.links, call.role))


def get_user(call: endpoint.Call) -> endpoint.Reply:
    return endpoint.Reply(200, users.private(call.forge, call.links, call.user))


def get_public_user(call: endpoint.Call) -> endpoint.Reply:
    user = call.forge.accounts.by_login(call.params["username"])
    if user is None:
        raise errors.not_found()
    return endpoint.Reply(200, users.public(call.forge, call.links, user))


def rate_limit(call: endpoint.Call) -> endpoint.Reply:
    """The caller's core budget; the other resources are never spent in the sandbox."""
    core = call.forge.accounting.quota(call.user.login).payload()
    search = {"limit": 30, "remaining": 30, "used": 0, "reset": core["reset"]}
    graphql = {**core, "used": 0, "remaining": core["limit"]}
    return endpoint.Reply(200, {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core})


def list_branches(call: endpoint.Call) -> endpoint.Reply:
    """Branch names with their tips, sorted by name as GitHub sorts them."""
    found = sorted(call.forge.git.branches().items())
    return paging.reply(
        call,
        found,
        lambda item: {
            "name": item[0],
            "commit": {"sha": item[1], "url": call.links.commit(item[1])},
            "protected": False,
        },
    )


def get_branch(call: endpoint.Call) -> endpoint.Reply:
    hub = call.forge
    name = call.params["branch"]
    sha = hub.git.branch(name)
    found = hub.git.commit(sha) if sha else None
    if found is None:
        raise errors.ApiError(404, "Branch not found")
    url = call.links.branch(name)
    body = {
        "name": name,
        "commit": git.commit(hub, call.links, found),
        "_links": {"self": url, "html": f"{call.links.html}/tree/{name}"},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": f"{url}/protection",
    }
    return endpoint.Reply(200, body)


def branch_protection(call: endpoint.Call) -> endpoint.Reply:
    """The sandbox protects no branch; the bot enforces its own merge policy."""
    if call.forge.git.branch(call.params["branch"]) is None:
        raise errors.ApiError(404, "Branch not found")
    raise errors.ApiError(404, "Branch not protected")


def permission(call: endpoint.Call) -> endpoint.Reply:
    user = call.forge.accounts.by_login(call.params["username"])
    if user is None:
        raise errors.ApiError(404, f"{call.params['username']} is not a user")
    return endpoint.Reply(200, users.collaborator(call.forge, call.links, user))
