"""The issue side of pull requests: title, body, state, assignees (and labels, through ``labels``)."""

from __future__ import annotations

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, lifecycle
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import issues
from promoter.sandbox.github.routes import labels

ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", ISSUE, get_issue),
        endpoint.route("PATCH", ISSUE, update_issue),
    ]


def get_issue(call: endpoint.Call) -> endpoint.Reply:
    issue = call.forge.state.issue(call.number("issue_number"))
    return endpoint.Reply(200, issues.issue(call.forge, call.links, issue))


def update_issue(call: endpoint.Call) -> endpoint.Reply:
    """The author may edit title, body and state; labels, assignees and others' issues need triage."""
    hub = call.forge
    issue = hub.state.issue(call.number("issue_number"))
    if call.role < Role.TRIAGE and (call.user.login != issue.author or call.has("labels") or call.has("assignees")):
        raise errors.forbidden()
    state = call.field("state")
    if state not in (None, "open", "closed"):
        raise errors.invalid("Issue", "state", "invalid", state)
    assignees = call.field("assignees", list)
    if assignees is not None:
        for login in assignees:
            if not isinstance(login, str) or hub.accounts.by_login(login) is None:
                raise errors.invalid("Issue", "assignees", "invalid", str(login))
    with hub.state.lock:
        for name in ("title", "body"):
            if call.has(name):
                setattr(issue, name, call.field(name))
        if assignees is not None:
            issue.assignees = [_login(call, login) for login in assignees]
        issue.updated_at = hub.state.now()
    if call.has("labels"):
        labels.replace(call, issue, labels.names(call.field("labels", list)))
    if state == "closed":
        lifecycle.close(hub, issue, call.user.login, call.field("state_reason"))
    elif state == "open":
        lifecycle.reopen(hub, issue, call.user)
    return endpoint.Reply(200, issues.issue(hub, call.links, issue))


def _login(call: endpoint.Call, login: str) -> str:
    user = call.forge.accounts.by_login(login)
    return user.login if user is not None else login
