"""Pull request reviews: approve, request changes, comment, or leave pending."""

from __future__ import annotations

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, merging, paging, records
from promoter.sandbox.github.payloads import pulls

REVIEWS = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
_STATES = {
    None: records.ReviewState.PENDING,
    "APPROVE": records.ReviewState.APPROVED,
    "REQUEST_CHANGES": records.ReviewState.CHANGES_REQUESTED,
    "COMMENT": records.ReviewState.COMMENTED,
}


def routes() -> list[Route]:
    return [
        endpoint.route("GET", REVIEWS, list_reviews),
        endpoint.route("POST", REVIEWS, create_review),
        endpoint.route("GET", f"{REVIEWS}/{{review_id}}", get_review),
    ]


def _visible(call: endpoint.Call, review: records.Review) -> bool:
    """A pending review is its author's draft: nobody else sees it."""
    return review.state is not records.ReviewState.PENDING or review.user == call.user.login


def list_reviews(call: endpoint.Call) -> endpoint.Reply:
    number = call.number("pull_number")
    call.forge.state.pull(number)
    found = [review for review in call.forge.state.reviews_on(number) if _visible(call, review)]
    return paging.reply(call, found, lambda review: pulls.review(call.forge, call.links, review))


def get_review(call: endpoint.Call) -> endpoint.Reply:
    number = call.number("pull_number")
    call.forge.state.pull(number)
    with call.forge.state.lock:
        review = call.forge.state.reviews.get(call.number("review_id"))
    if review is None or review.number != number or not _visible(call, review):
        raise errors.not_found()
    return endpoint.Reply(200, pulls.review(call.forge, call.links, review))


def create_review(call: endpoint.Call) -> endpoint.Reply:
    """``commit_id`` defaults to the head at this moment, so a later push makes the review stale."""
    hub = call.forge
    issue, part = hub.state.pull(call.number("pull_number"))
    event = call.field("event")
    if event not in _STATES:
        raise errors.simple(f"Invalid event: {event}")
    body = call.field("body", str, "")
    if call.user.login == issue.author and event in ("APPROVE", "REQUEST_CHANGES"):
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise errors.simple(f"Can not {verb} your own pull request")
    if event in ("REQUEST_CHANGES", "COMMENT") and not body.strip():
        raise errors.simple(f"Review body is required when the event is {event}")
    merging.refresh(hub, issue)
    commit_id = call.field("commit_id") or part.head_sha
    if hub.git.object_kind(commit_id) != "commit":
        raise errors.simple(f"No commit found for SHA: {commit_id}")
    state = _STATES[event]
    now = hub.state.now()
    with hub.state.lock:
        if state is records.ReviewState.PENDING and any(
            r.user == call.user.login and r.state is records.ReviewState.PENDING
            for r in hub.state.reviews_on(issue.number)
        ):
            raise errors.simple("User can only have one pending review per pull request")
        review = records.Review(
            hub.state.new_id(),
            issue.number,
            call.user.login,
            body,
            state,
            commit_id,
            None if state is records.ReviewState.PENDING else now,
        )
        hub.state.reviews[review.id] = review
        if review.submitted_at is not None and call.user.login in part.requested_reviewers:
            part.requested_reviewers.remove(call.user.login)
    if review.submitted_at is not None:
        hub.state.publish(
            records.Event("pull_request_review", "submitted", issue.number, call.user.login, review_id=review.id)
        )
    return endpoint.Reply(200, pulls.review(hub, call.links, review))
