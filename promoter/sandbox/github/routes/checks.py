"""Commit statuses and check runs: what CI (and the bot's own analysis verdict) reports on a commit."""

from __future__ import annotations

import datetime
from typing import Any

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, paging, records
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import checks, pulls

REPO = "/repos/{owner}/{repo}"
STATUS_STATES = ("error", "failure", "pending", "success")
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = ("success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required")


def routes() -> list[Route]:
    return [
        endpoint.route("POST", f"{REPO}/statuses/{{sha}}", create_status),
        endpoint.route("GET", f"{REPO}/commits/{{ref}}/status", combined_status),
        endpoint.route("GET", f"{REPO}/commits/{{ref}}/statuses", list_statuses),
        # The legacy spelling that GitHub still serves and PyGithub's Commit.get_statuses() uses.
        endpoint.route("GET", f"{REPO}/statuses/{{ref}}", list_statuses),
        endpoint.route("POST", f"{REPO}/check-runs", create_check_run),
        endpoint.route("GET", f"{REPO}/check-runs/{{check_run_id}}", get_check_run),
        endpoint.route("PATCH", f"{REPO}/check-runs/{{check_run_id}}", update_check_run),
        endpoint.route("GET", f"{REPO}/commits/{{ref}}/check-runs", list_check_runs),
    ]


def _commit(call: endpoint.Call, rev: str, *, status: int = 422) -> str:
    sha = call.forge.git.resolve(rev)
    if sha is None:
        raise errors.ApiError(status, f"No commit found for SHA: {rev}")
    return sha


def create_status(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    hub = call.forge
    sha = _commit(call, call.params["sha"])
    state = call.field("state")
    if state not in STATUS_STATES:
        raise errors.invalid("Status", "state", "invalid" if state else "missing_field")
    with hub.state.lock:
        status = records.Status(
            hub.state.new_id(),
            sha,
            state,
            call.field("context", str, "default"),
            call.field("description"),
            call.field("target_url"),
            call.user.login,
            hub.state.now(),
        )
        hub.state.statuses.append(status)
    return endpoint.Reply(201, checks.status(hub, call.links, status))


def combined_status(call: endpoint.Call) -> endpoint.Reply:
    sha = _commit(call, call.params["ref"], status=404)
    latest = call.forge.state.latest_statuses(sha)
    chunk, headers = paging.window(call, latest)
    body = checks.combined(call.forge, call.links, sha, chunk)
    body["state"] = checks.combined_state(latest)
    body["total_count"] = len(latest)
    return endpoint.Reply(200, body, headers)


def list_statuses(call: endpoint.Call) -> endpoint.Reply:
    sha = _commit(call, call.params["ref"], status=404)
    found = call.forge.state.statuses_for(sha)
    return paging.reply(call, found, lambda status: checks.status(call.forge, call.links, status))


def _time(call: endpoint.Call, name: str) -> datetime.datetime | None:
    text = call.field(name)
    if text is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.invalid("CheckRun", name, "invalid", text) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _apply(call: endpoint.Call, run: records.CheckRun) -> None:
    """Copy the body's fields onto ``run``; a conclusion completes the run, as on GitHub."""
    status = call.field("status", str, run.status)
    conclusion = call.field("conclusion", str, run.conclusion)
    if status not in RUN_STATUSES:
        raise errors.invalid("CheckRun", "status", "invalid", status)
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise errors.invalid("CheckRun", "conclusion", "invalid", conclusion)
    if call.has("conclusion") and conclusion is not None:
        status = "completed"
    if status == "completed" and conclusion is None:
        raise errors.invalid("CheckRun", "conclusion", "missing_field")
    output: dict[str, Any] = call.field("output", dict, {})
    now = call.forge.state.now()
    started, completed = _time(call, "started_at"), _time(call, "completed_at")
    run.name = call.field("name", str, run.name)
    run.details_url = call.field("details_url", str, run.details_url)
    run.external_id = call.field("external_id", str, run.external_id)
    run.status, run.conclusion = status, conclusion
    run.started_at = started or run.started_at or now
    run.completed_at = completed or run.completed_at or (now if status == "completed" else None)
    run.title = output.get("title", run.title)
    run.summary = output.get("summary", run.summary)
    run.text = output.get("text", run.text)


def _render(call: endpoint.Call, run: records.CheckRun) -> dict[str, Any]:
    """With the open pull requests whose head is the run's commit, which is how GitHub links them."""
    hub = call.forge
    heads = [
        pulls.minimal(hub, call.links, issue)
        for issue in hub.state.pulls()
        if issue.state == "open" and issue.pull is not None and issue.pull.head_sha == run.head_sha
    ]
    return checks.check_run(call.links, run, heads)


def create_check_run(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    hub = call.forge
    for name in ("name", "head_sha"):
        if not call.field(name):
            raise errors.invalid("CheckRun", name, "missing_field")
    sha = _commit(call, call.field("head_sha"))
    run = records.CheckRun(hub.state.new_id(), sha, call.field("name"), "queued", None, None, None, None, None)
    run.suite_id = hub.state.suite(sha)
    _apply(call, run)
    with hub.state.lock:
        hub.state.check_runs[run.id] = run
    return endpoint.Reply(201, _render(call, run))


def _run(call: endpoint.Call) -> records.CheckRun:
    with call.forge.state.lock:
        run = call.forge.state.check_runs.get(call.number("check_run_id"))
    if run is None:
        raise errors.not_found()
    return run


def get_check_run(call: endpoint.Call) -> endpoint.Reply:
    return endpoint.Reply(200, _render(call, _run(call)))


def update_check_run(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    run = _run(call)
    with call.forge.state.lock:
        _apply(call, run)
    return endpoint.Reply(200, _render(call, run))


def list_check_runs(call: endpoint.Call) -> endpoint.Reply:
    """Filters ``check_name``, ``status`` and ``filter`` (``latest`` per name, the default, or ``all``)."""
    hub = call.forge
    sha = _commit(call, call.params["ref"], status=404)
    everything = call.query.get("filter", "latest") == "all"
    found = hub.state.check_runs_for(sha) if everything else hub.state.latest_check_runs(sha)
    name, status = call.query.get("check_name"), call.query.get("status")
    found = [run for run in found if (not name or run.name == name) and (not status or run.status == status)]
    chunk, headers = paging.window(call, found)
    body = {"total_count": len(found), "check_runs": [_render(call, run) for run in chunk]}
    return endpoint.Reply(200, body, headers)
