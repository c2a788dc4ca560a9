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
from promoter.core.commands import Command, CommandKind
from promoter.core.history import CommitStatus, Trail
from promoter.core.measurements import Measurement, Result
from promoter.core.model import Event, Hold, PipelineError, Promotion
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import Run, StageRun
from promoter.core.templates import Prometheus

__all__ = [
    "Changes",
    "Clock",
    "CommitStatus",
    "ConfigRepo",
    "Deployments",
    "FileChange",
    "Forge",
    "Metrics",
    "PullRequest",
    "RevertResult",
    "Store",
    "Trail",
]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware UTC datetime."""
        ...


# the store ----------------------------------------------------------------------------------------


class Store(Protocol):
    def create_promotion(self, pipeline: str, version: str, now: dt.datetime) -> Promotion:
        """A new Pending promotion (a new id, unique for ever), or the unfinished one for that version."""
        ...

    def known(self, pipeline: str) -> bool:
        """Whether the store holds anything of the pipeline (a promotion or a hold); if not, it may be lost."""
        ...

    def promotion(self, promotion_id: str, pipeline: str) -> Promotion | None: ...

    def promotions(self, pipeline: str | None = None, *, unfinished: bool = False) -> list[Promotion]:
        """Newest first."""
        ...

    def stage_run(self, pipeline: str, promotion_id: str, stage: int) -> StageRun | None:
        """The stage's record; None before the stage started."""
        ...

    def runs(self, pipeline: str, promotion_id: str, stage: int | None = None) -> list[Run]:
        """The runs of the promotion's changes and gates (of one stage), by stage and item."""
        ...

    def add_command(self, pipeline: str, promotion_id: str, kind: CommandKind, by: str, now: dt.datetime) -> Command:
        """An operator's command for the promotion's next decision."""
        ...

    def commands(self, pipeline: str, promotion_id: str) -> list[Command]:
        """The promotion's commands not acted on yet, oldest first."""
        ...

    def holds(self, pipeline: str) -> list[Hold]: ...

    def events(self, pipeline: str | None = None, promotion_id: str | None = None, limit: int = 100) -> list[Event]:
        """Oldest first, the last ``limit``."""
        ...

    def commit(self, pipeline: str, *changes: Changes) -> None:
        """Write all the changes, or none of them (one transaction)."""
        ...

    def measurements(self, pipeline: str, promotion_id: str, stage: int) -> list[Measurement]:
        """The stage's analysis measurements (every run of it), by run, metric and index."""
        ...

    def add_measurement(self, pipeline: str, promotion_id: str, measurement: Measurement, event: Event) -> bool:
        """Store a measurement as taken, with its event, once: False when one with its key is stored already
        (a retry after a crash keeps the first)."""
        ...

    def want_refresh(self, pipeline: str, applications: Sequence[str], now: dt.datetime) -> None:
        """Remember refreshes Argo CD could not be asked for (it was down), to ask again later."""
        ...

    def pending_refreshes(self, pipeline: str) -> list[str]: ...

    def refreshed(self, pipeline: str, application: str) -> None: ...

    def set_error(self, pipeline: str, error: PipelineError | None) -> None:
        """The error that stops the pipeline's passes now; None clears it."""
        ...

    def errors(self) -> dict[str, PipelineError]:
        """Every pipeline's current error, by pipeline."""
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

    def marked_prs(self) -> list[PullRequest]:
        """Every PR (any state) whose body holds a promoter marker: what a lost store is rebuilt from."""
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

    def add_labels(self, number: int, names: Sequence[str]) -> None:
        """Add the labels to the PR (those it has already are kept once)."""
        ...

    def remove_labels(self, number: int, names: Sequence[str]) -> None:
        """Remove the labels from the PR (one it does not have is no error)."""
        ...

    def set_status(
        self, sha: str, state: str, description: str, target_url: str | None = None, context: str = "promoter"
    ) -> None:
        """A commit status (pending | success | failure | error), ``promoter`` unless another context is named."""
        ...

    def commit_status(self, sha: str) -> CommitStatus | None:
        """The latest commit status ``promoter`` of the commit, if any."""
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

    def files(self, commit: str) -> dict[str, str]:
        """Every manifest-like file (YAML, JSON, Helm templates) at ``commit``, path -> text."""
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
        """Commit the changed files on top of ``base_sha`` and push them as ``branch``; return the sha.

        A branch that exists already is kept if it holds a commit with these trailers (the bot's own, pushed
        before a crash, perhaps with a person's commits on top); otherwise it is someone else's: refused.
        """
        ...

    def revert(
        self,
        branch: str,
        base_branch: str,
        merge_shas: Sequence[str],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> RevertResult:
        """``git revert`` each merge commit, in the order given (newest first), on top of the base branch's head,
        one commit each, and push them as ``branch``."""
        ...

    def candidates(self, commit: str, name: str) -> list[str]:
        """The YAML files at ``commit`` whose text holds ``name`` (where a resource of that name may be)."""
        ...

    def contains(self, descendant: str, ancestor: str) -> bool:
        """Whether ``ancestor`` is ``descendant`` or one of its ancestors."""
        ...

    def trails(self, base_branch: str, pipeline: str) -> list[Trail]:
        """promoter's commits of the pipeline, by their trailers: on the base branch and on its own branches."""
        ...


# Argo CD ------------------------------------------------------------------------------------------


class Deployments(Protocol):
    def app_status(self, name: str, refresh: bool = True) -> AppStatus: ...

    def sync(self, name: str) -> None: ...


class Metrics(Protocol):
    """Prometheus, as an analysis reads it. ``query`` may hold secret ``{{args.NAME}}`` placeholders: the
    adapter fills them in right before the request. Errors (down, timeout, a bad query) raise
    :class:`promoter.errors.TemporaryError` or :class:`promoter.errors.PermanentError`; the shell turns them
    into an Error measurement, never into a value."""

    def query(self, provider: Prometheus, query: str, at: dt.datetime) -> Result:
        """An instant query at ``at``: a scalar, or a vector's values (one per series, Prometheus' order)."""
        ...

    def samples(
        self, provider: Prometheus, query: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> tuple[float, ...]:
        """A range query's samples in time order (every series' values, series after series)."""
        ...
