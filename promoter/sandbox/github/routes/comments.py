"""Issue and pull request comments, and reactions to them."""

from __future__ import annotations

import datetime

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, paging, records
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import issues

COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", COMMENTS, list_comments),
        endpoint.route("POST", COMMENTS, create_comment),
        endpoint.route("GET", COMMENT, get_comment),
        endpoint.route("PATCH", COMMENT, update_comment),
        endpoint.route("DELETE", COMMENT, delete_comment),
        endpoint.route("GET", f"{COMMENT}/reactions", list_reactions),
        endpoint.route("POST", f"{COMMENT}/reactions", create_reaction),
        endpoint.route("DELETE", f"{COMMENT}/reactions/{{reaction_id}}", delete_reaction),
    ]


def _render(call: endpoint.Call, comment: records.Comment) -> dict[str, object]:
    return issues.comment(call.forge, call.links, comment, call.forge.state.issue(comment.number))


def list_comments(call: endpoint.Call) -> endpoint.Reply:
    """Oldest first; ``since`` keeps those updated at or after a time."""
    number = call.number("issue_number")
    call.forge.state.issue(number)
    found = call.forge.state.comments_on(number)
    since = call.query.get("since")
    if since:
        try:
            moment = datetime.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError as exc:
            raise errors.invalid("IssueComment", "since", "invalid", since) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        found = [comment for comment in found if comment.updated_at >= moment]
    return paging.reply(call, found, lambda comment: _render(call, comment))


def create_comment(call: endpoint.Call) -> endpoint.Reply:
    """Anyone who can read the repository may comment (slash commands arrive this way)."""
    hub = call.forge
    issue = hub.state.issue(call.number("issue_number"))
    body = call.field("body")
    if not body:
        raise errors.invalid("IssueComment", "body", "missing_field")
    if issue.locked and call.role < Role.WRITE:
        raise errors.forbidden("Unable to create comment because issue is locked.")
    now = hub.state.now()
    with hub.state.lock:
        comment = records.Comment(hub.state.new_id(), issue.number, call.user.login, body, now, now)
        hub.state.comments[comment.id] = comment
        issue.updated_at = now
    hub.state.publish(records.Event("issue_comment", "created", issue.number, call.user.login, comment_id=comment.id))
    return endpoint.Reply(201, _render(call, comment), {"Location": call.links.comment(comment.id)})


def get_comment(call: endpoint.Call) -> endpoint.Reply:
    return endpoint.Reply(200, _render(call, call.forge.state.comment(call.number("comment_id"))))


def _editable(call: endpoint.Call) -> records.Comment:
    """One's own comments may be edited by anyone; other people's need write access."""
    comment = call.forge.state.comment(call.number("comment_id"))
    if comment.author != call.user.login and call.role < Role.WRITE:
        raise errors.forbidden()
    return comment


def update_comment(call: endpoint.Call) -> endpoint.Reply:
    hub = call.forge
    comment = _editable(call)
    body = call.field("body")
    if not body:
        raise errors.invalid("IssueComment", "body", "missing_field")
    with hub.state.lock:
        changed = comment.body != body
        comment.body = body
        comment.updated_at = hub.state.now()
    if changed:
        event = records.Event("issue_comment", "edited", comment.number, call.user.login, comment_id=comment.id)
        hub.state.publish(event)
    return endpoint.Reply(200, _render(call, comment))


def delete_comment(call: endpoint.Call) -> endpoint.Reply:
    hub = call.forge
    comment = _editable(call)
    with hub.state.lock:
        hub.state.comments.pop(comment.id, None)
        for reaction in hub.state.reactions_on(comment.id):
            hub.state.reactions.pop(reaction.id, None)
    event = records.Event("issue_comment", "deleted", comment.number, call.user.login, comment_id=comment.id)
    hub.state.publish(event)
    return endpoint.Reply(204)


def list_reactions(call: endpoint.Call) -> endpoint.Reply:
    comment = call.forge.state.comment(call.number("comment_id"))
    found = call.forge.state.reactions_on(comment.id)
    content = call.query.get("content")
    if content:
        found = [reaction for reaction in found if reaction.content == content]
    return paging.reply(call, found, lambda reaction: issues.reaction(call.forge, call.links, reaction))


def create_reaction(call: endpoint.Call) -> endpoint.Reply:
    """201 for a new reaction, 200 with the existing one when the user already reacted so."""
    hub = call.forge
    comment = hub.state.comment(call.number("comment_id"))
    content = call.field("content")
    if content not in records.REACTIONS:
        raise errors.invalid("Reaction", "content", "invalid", content)
    with hub.state.lock:
        for reaction in hub.state.reactions_on(comment.id):
            if reaction.user == call.user.login and reaction.content == content:
                return endpoint.Reply(200, issues.reaction(hub, call.links, reaction))
        reaction = records.Reaction(hub.state.new_id(), comment.id, call.user.login, content, hub.state.now())
        hub.state.reactions[reaction.id] = reaction
    return endpoint.Reply(201, issues.reaction(hub, call.links, reaction))


def delete_reaction(call: endpoint.Call) -> endpoint.Reply:
    hub = call.forge
    comment = hub.state.comment(call.number("comment_id"))
    with hub.state.lock:
        reaction = hub.state.reactions.get(call.number("reaction_id"))
        if reaction is None or reaction.comment_id != comment.id:
            raise errors.not_found()
        if reaction.user != call.user.login and call.role < Role.ADMIN:
            raise errors.forbidden()
        del hub.state.reactions[reaction.id]
    return endpoint.Reply(204)
