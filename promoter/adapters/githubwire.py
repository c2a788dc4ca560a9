"""GitHub's answers as promoter reads them: the fields used and no more, parsed at the edge into the values
PyGithub's objects give (:func:`view` for an object, :func:`pull` its twin for the JSON of a conditional
read). A malformed answer is a :class:`~promoter.errors.PermanentError` naming the field."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import pydantic
from github.PullRequest import PullRequest as GitHubPullRequest

from promoter.core import markers
from promoter.core.actions import StatusState
from promoter.core.history import CommitStatus
from promoter.core.pullrequest import PullRequest
from promoter.errors import PermanentError

_M = TypeVar("_M", bound=pydantic.BaseModel)


class Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="ignore")


class Label(Model):
    name: str


class Ref(Model):
    ref: str
    sha: str


class Pull(Model):
    number: int
    html_url: str
    state: str
    title: str
    body: str | None = None
    head: Ref
    base: Ref
    labels: tuple[Label, ...] = ()
    created_at: pydantic.AwareDatetime | None = None
    merged_at: pydantic.AwareDatetime | None = None
    merge_commit_sha: str | None = None


class User(Model):
    login: str


class Review(Model):
    user: User | None = None
    state: str
    commit_id: str | None = None


class Status(Model):
    context: str
    state: StatusState  # GitHub's four, whatever the context
    description: str | None = None
    created_at: pydantic.AwareDatetime


class Comment(Model):
    body: str | None = None


class Merge(Model):
    sha: str


def parse(model: type[_M], data: Any) -> _M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top"
        raise PermanentError(f"GitHub: malformed {model.__name__.lower()} at {where}: {first['msg']}") from None


def items(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise PermanentError(f"GitHub: expected a list, got {type(data).__name__}")
    return data


def pull(data: Any) -> PullRequest:
    """The JSON twin of :func:`view`: the same value from a pull request's JSON."""
    return view(parse(Pull, data))


def marked(data: Any) -> PullRequest | None:
    pr = pull(data)
    return pr if markers.parse(pr.body) is not None else None


def review(data: Any) -> tuple[str, str, str | None] | None:
    """(login, state, commit) of a review that decides something; None for comments and drafts."""
    review = parse(Review, data)
    if review.user is None or review.state in ("COMMENTED", "PENDING"):
        return None
    return review.user.login, review.state, review.commit_id


def promoter_status(data: Any) -> CommitStatus | None:
    status = parse(Status, data)
    if status.context != "promoter":
        return None
    return CommitStatus(status.state, status.description or "", status.created_at)


def comment_digest(data: Any) -> str:
    return digest(parse(Comment, data).body or "")


def digest(text: str) -> str:
    """What is kept of a comment's body: enough to tell it changed."""
    return hashlib.sha256(text.encode()).hexdigest()


def view(pr: GitHubPullRequest | Pull) -> PullRequest:
    """A pull request as the core sees it, from PyGithub's object or from its JSON parsed (the same fields)."""
    merged = pr.merged_at is not None
    return PullRequest(
        number=pr.number,
        url=pr.html_url,
        state=pr.state,
        merged=merged,
        merge_sha=pr.merge_commit_sha if merged else None,
        head_branch=pr.head.ref,
        head_sha=pr.head.sha,
        base_branch=pr.base.ref,
        title=pr.title,
        body=pr.body or "",
        labels=tuple(label.name for label in pr.labels),
        created_at=pr.created_at,
        merged_at=pr.merged_at,
    )
