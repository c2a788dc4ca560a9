"""A pull request as the decision core sees it."""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    state: str  # open | closed
    merged: bool
    merge_sha: str | None
    head_branch: str
    head_sha: str
    base_branch: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    merged_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return self.state == "open"

    @property
    def closed_unmerged(self) -> bool:
        return self.state == "closed" and not self.merged
