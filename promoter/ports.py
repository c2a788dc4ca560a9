"""The seams between the shell and the outside systems: small Protocols named with domain verbs.

One adapter module implements each (``promoter.adapters.*``); tests use the real adapters against the
sandbox servers, a real git repository and real databases.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from promoter.core.actions import FileChange
from promoter.core.appstatus import AppStatus
from promoter.core.changes import Changes
from promoter.core.model import Event, Hold, Promotion, Step, StepKey
from promoter.core.pullrequest import PullRequest

__all__ = [
    "Changes",
    "Clock",
    "ConfigRepo",
    "Deployments",
    "FileChange",
    "Forge",
    "PullRequest",
    "RevertResult",
    "Store",
]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware UTC datetime."""
        ...


# the store ----------------------------------------------------------------------------------------


class Store(Protocol):
    def create_promotion(self, pipeline: str, version: str, now: dt.datetime) -> Promotion:
        """A new Pending promotion (id ``<version>-<attempt>``), or the unfinished one for that version."""
        ...

    def promotion(self, promotion_id: str, pipeline: str) -> Promotion | None: ...

    def promotions(self, pipeline: str | None = None, *, unfinished: bool = False) -> list[Promotion]:
        """Newest first."""
        ...

    def step(self, pipeline: str, key: StepKey) -> Step:
        """The step's record, or a fresh Planned one."""
        ...

    def steps(self, pipeline: str, promotion_id: str) -> list[Step]: ...

    def holds(self, pipeline: str) -> list[Hold]: ...

    def events(self, pipeline: str | None = None, promotion_id: str | None = None, limit: int = 100) -> list[Event]:
        """Oldest first, the last ``limit``."""
        ...

    def commit(self, pipeline: str, changes: Changes) -> None:
        """Write all the changes, or none of them."""
        ...

    def lock(self, pipeline: str) -> contextlib.AbstractContextManager[bool]:
        """Hold the pipeline's lock while reconciling it; yields False if another replica holds it."""
        ...


# the forge ----------------------------------------------------------------------------------------


class Forge(Protocol):
    def find_pr(self, head_branch: str) -> PullRequest | None:
        """The newest PR (any state) whose head is this branch."""
        ...

    def open_pr(self, head_branch: str, base_branch: str, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        """Open the PR, or return the open one for this head (find before create)."""
        ...

    def approvals(self, number: int, head_sha: str) -> frozenset[str]:
        """Logins whose latest review approves the current head."""
        ...

    def merge(self, number: int, head_sha: str, method: str, title: str) -> str:
        """Merge if the head is still ``head_sha``; return the merge commit's sha."""
        ...

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        """The bot's one comment carrying ``marker``: edited in place, created if missing."""
        ...

    def set_status(self, sha: str, state: str, description: str, target_url: str | None = None) -> None:
        """The commit status ``promoter`` (pending | success | failure | error)."""
        ...


# git ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RevertResult:
    sha: str | None  # the revert commit pushed to the branch (None if nothing needed reverting)
    conflicts: tuple[str, ...] = ()  # files a person must resolve


class ConfigRepo(Protocol):
    def fetch(self, base_branch: str) -> str:
        """Bring the clone up to date; return the base branch's head sha."""
        ...

    def read(self, path: str, ref: str) -> str | None:
        """A file's text at a commit, or None if absent."""
        ...

    def branch_head(self, branch: str) -> str | None:
        """The remote branch's head sha (after the last fetch), or None."""
        ...

    def commit_edit(
        self,
        branch: str,
        base_sha: str,
        changes: Sequence[FileChange],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> str:
        """Commit the changed files on top of ``base_sha`` and push them as ``branch``; return the sha."""
        ...

    def revert(
        self, branch: str, base_branch: str, merge_sha: str, message: str, trailers: Sequence[tuple[str, str]]
    ) -> RevertResult:
        """``git revert`` the merge commit on top of the base branch's head and push it as ``branch``."""
        ...

    def contains(self, descendant: str, ancestor: str) -> bool:
        """Whether ``ancestor`` is ``descendant`` or one of its ancestors."""
        ...


# Argo CD ------------------------------------------------------------------------------------------


class Deployments(Protocol):
    def app_status(self, name: str, refresh: bool = True) -> AppStatus: ...

    def sync(self, name: str) -> None: ...
