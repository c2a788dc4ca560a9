"""The issue side of pull requests: title, body, state, assignees and labels."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, lifecycle, records
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import issues

ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", ISSUE, get_issue),
        endpoint.route("PATCH", ISSUE, update_issue),
        endpoint.route("GET", f"{ISSUE}/labels", list_labels),
        endpoint.route("POST", f"{ISSUE}/labels", add_labels),
        endpoint.route("PUT", f"{ISSUE}/labels", set_labels),
        endpoint.route("DELETE", f"{ISSUE}/labels/{{name}}", remove_label),
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
        _replace(call, issue, _names(call.field("labels", list)))
    if state == "closed":
        lifecycle.close(hub, issue, call.user, call.field("state_reason"))
    elif state == "open":
        lifecycle.reopen(hub, issue, call.user)
    return endpoint.Reply(200, issues.issue(hub, call.links, issue))


def _login(call: endpoint.Call, login: str) -> str:
    user = call.forge.accounts.by_login(login)
    return user.login if user is not None else login


def _names(items: Any) -> list[str]:
    """Label names from ``["a"]``, ``[{"name": "a"}]`` or ``{"labels": [...]}``, all of which GitHub takes."""
    if isinstance(items, dict):
        items = items.get("labels")
    if not isinstance(items, list):
        raise errors.invalid("Label", "labels", "missing_field")
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid("Label", "name", "invalid")
        names.append(name.strip())
    return names


def _labels(call: endpoint.Call, issue: records.Issue) -> endpoint.Reply:
    with call.forge.state.lock:
        found = [call.forge.state.label(name) for name in issue.labels]
    return endpoint.Reply(200, [issues.label(call.links, label) for label in found])


def _replace(call: endpoint.Call, issue: records.Issue, names: list[str]) -> None:
    """Set the issue's labels (the repository's spelling), publishing labeled/unlabeled events."""
    hub = call.forge
    with hub.state.lock:
        wanted = list(dict.fromkeys(hub.state.label(name).name for name in names))
        added = [name for name in wanted if name not in issue.labels]
        removed = [name for name in issue.labels if name not in wanted]
        issue.labels = wanted
        if added or removed:
            issue.updated_at = hub.state.now()
    kind = "pull_request" if issue.pull is not None else "issues"
    hub.state.publish(
        *(records.Event(kind, "labeled", issue.number, call.user.login, label=name) for name in added),
        *(records.Event(kind, "unlabeled", issue.number, call.user.login, label=name) for name in removed),
    )


def list_labels(call: endpoint.Call) -> endpoint.Reply:
    return _labels(call, call.forge.state.issue(call.number("issue_number")))


def add_labels(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    issue = call.forge.state.issue(call.number("issue_number"))
    _replace(call, issue, [*issue.labels, *_names(call.body)])
    return _labels(call, issue)


def set_labels(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    issue = call.forge.state.issue(call.number("issue_number"))
    _replace(call, issue, _names(call.body))
    return _labels(call, issue)


def remove_label(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    issue = call.forge.state.issue(call.number("issue_number"))
    name = call.params["name"]
    with call.forge.state.lock:
        present = [label for label in issue.labels if label.lower() == name.lower()]
    if not present:
        raise errors.ApiError(404, "Label does not exist")
    _replace(call, issue, [label for label in issue.labels if label not in present])
    return _labels(call, issue)
