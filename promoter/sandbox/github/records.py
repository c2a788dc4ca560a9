"""The in-memory records of everything GitHub keeps beside git: issues and pull requests, comments,
reactions, reviews, labels, commit statuses and check runs.

Records hold logins, numbers and ids, never other records, so the state stays a set of flat tables that
one lock guards; the payload builders join them when they render JSON. Pull requests are issues with a
:class:`Pull` part, so the two share one number sequence as on GitHub.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


class ReviewState(enum.StrEnum):
    PENDING = "PENDING"
    COMMENTED = "COMMENTED"
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    DISMISSED = "DISMISSED"


@dataclasses.dataclass
class Label:
    """``description`` is "" rather than None: the list form of pull requests requires a string."""

    id: int
    name: str
    color: str = "ededed"
    description: str = ""


@dataclasses.dataclass
class Pull:
    """The pull-request part of an issue; ``head_sha``/``base_sha`` are the last tips seen, kept for when
    a branch is deleted (GitHub keeps showing them)."""

    id: int
    head: str
    base: str
    head_sha: str
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged_at: datetime.datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[str] = dataclasses.field(default_factory=list)

    @property
    def merged(self) -> bool:
        return self.merged_at is not None


@dataclasses.dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    author: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime.datetime | None = None
    closed_by: str | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    assignees: list[str] = dataclasses.field(default_factory=list)
    locked: bool = False
    pull: Pull | None = None


@dataclasses.dataclass
class Comment:
    id: int
    number: int
    author: str
    body: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


@dataclasses.dataclass
class Reaction:
    id: int
    comment_id: int
    user: str
    content: str
    created_at: datetime.datetime


@dataclasses.dataclass
class Review:
    id: int
    number: int
    user: str
    body: str
    state: ReviewState
    commit_id: str
    submitted_at: datetime.datetime | None


@dataclasses.dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime.datetime


@dataclasses.dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    details_url: str | None
    external_id: str | None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    suite_id: int = 0


@dataclasses.dataclass(frozen=True)
class Event:
    """Something a webhook would report: ``name`` is GitHub's event (``pull_request``, ``issue_comment``,
    ``pull_request_review``), ``action`` its action (``opened``, ``created``, ``submitted``...); ``sender``
    is None for what a plain ``git push`` caused, since the sandbox does not see who pushed."""

    name: str
    action: str
    number: int
    sender: str | None
    comment_id: int | None = None
    review_id: int | None = None
    label: str | None = None
    reviewer: str | None = None
