"""Labels: the repository's set (created on first use, as GitHub does) and those on issues and pulls."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, paging, records
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import issues

ISSUE_LABELS = "/repos/{owner}/{repo}/issues/{issue_number}/labels"
LABELS = "/repos/{owner}/{repo}/labels"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", ISSUE_LABELS, list_labels),
        endpoint.route("POST", ISSUE_LABELS, add_labels),
        endpoint.route("PUT", ISSUE_LABELS, set_labels),
        endpoint.route("DELETE", f"{ISSUE_LABELS}/{{name}}", remove_label),
        endpoint.route("GET", LABELS, list_repository_labels),
        endpoint.route("POST", LABELS, create_label),
        endpoint.route("GET", f"{LABELS}/{{name}}", get_label),
        endpoint.route("PATCH", f"{LABELS}/{{name}}", update_label),
    ]


def names(items: Any) -> list[str]:
    """Label names from ``["a"]``, ``[{"name": "a"}]`` or ``{"labels": [...]}``, all of which GitHub takes."""
    if isinstance(items, dict):
        items = items.get("labels")
    if not isinstance(items, list):
        raise errors.invalid("Label", "labels", "missing_field")
    found = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid("Label", "name", "invalid")
        found.append(name.strip())
    return found


def _labels(call: endpoint.Call, issue: records.Issue) -> endpoint.Reply:
    found = call.forge.state.labels_of(issue)
    return endpoint.Reply(200, [issues.label(call.links, label) for label in found])


def replace(call: endpoint.Call, issue: records.Issue, labels: list[str]) -> None:
    """Set the issue's labels (the repository's spelling), publishing labeled/unlabeled events."""
    hub = call.forge
    with hub.state.lock:
        wanted = list(dict.fromkeys(hub.state.label(name).name for name in labels))
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
    replace(call, issue, [*issue.labels, *names(call.body)])
    return _labels(call, issue)


def set_labels(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    issue = call.forge.state.issue(call.number("issue_number"))
    replace(call, issue, names(call.body))
    return _labels(call, issue)


def remove_label(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.TRIAGE)
    issue = call.forge.state.issue(call.number("issue_number"))
    name = call.params["name"]
    with call.forge.state.lock:
        present = [label for label in issue.labels if label.lower() == name.lower()]
    if not present:
        raise errors.ApiError(404, "Label does not exist")
    replace(call, issue, [label for label in issue.labels if label not in present])
    return _labels(call, issue)


def list_repository_labels(call: endpoint.Call) -> endpoint.Reply:
    with call.forge.state.lock:
        found = sorted(call.forge.state.labels.values(), key=lambda label: label.name.lower())
    return paging.reply(call, found, lambda label: issues.label(call.links, label))


def _existing(call: endpoint.Call) -> records.Label:
    with call.forge.state.lock:
        found = call.forge.state.labels.get(call.params["name"].lower())
    if found is None:
        raise errors.not_found()
    return found


def get_label(call: endpoint.Call) -> endpoint.Reply:
    return endpoint.Reply(200, issues.label(call.links, _existing(call)))


def _colour(call: endpoint.Call, default: str) -> str:
    """Six hex digits, with or without GitHub's tolerated leading ``#``."""
    color = call.field("color", str, default).lstrip("#").lower()
    if len(color) != 6 or any(c not in "0123456789abcdef" for c in color):
        raise errors.invalid("Label", "color", "invalid", color)
    return str(color)


def create_label(call: endpoint.Call) -> endpoint.Reply:
    """A label with its colour and description; 422 ``already_exists`` for a name taken in any case."""
    call.require(Role.WRITE)
    name = call.field("name")
    if not name or not name.strip():
        raise errors.invalid("Label", "name", "missing_field")
    color, description = _colour(call, "ededed"), call.field("description", str, "")
    state = call.forge.state
    with state.lock:
        if name.strip().lower() in state.labels:
            raise errors.invalid("Label", "name", "already_exists", name)
        label = state.label(name.strip())
        label.color, label.description = color, description
    return endpoint.Reply(201, issues.label(call.links, label), {"Location": call.links.label(label.name)})


def update_label(call: endpoint.Call) -> endpoint.Reply:
    """Colour and description (renaming is left out: issues hold labels by name)."""
    call.require(Role.WRITE)
    label = _existing(call)
    color, description = _colour(call, label.color), call.field("description", str, label.description)
    with call.forge.state.lock:
        label.color, label.description = color, description
    return endpoint.Reply(200, issues.label(call.links, label))
