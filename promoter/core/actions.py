"""What the decision core asks the shell to do: a closed union of frozen values, applied by one executor.

Every action is idempotent in the executor: opening a PR finds it first, comments are upserted by their
hidden marker, merging an already merged PR is a no-op, labels and statuses are set (not appended), records
are upserts. Outward effects come before the ``Record`` in a decision: a crash between them repeats the
effect (harmlessly) instead of losing it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from promoter.core.changes import Changes
from promoter.core.model import MergeMethod, RunKey


class StatusState(enum.Enum):
    """The states of a commit status (GitHub's vocabulary)."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"


@dataclasses.dataclass(frozen=True)
class FileChange:
    """A file of the config repo and its full new text (computed by the minimal-diff editor)."""

    path: str
    text: str


@dataclasses.dataclass(frozen=True)
class Record:
    """Write these changes to the store (one transaction)."""

    changes: Changes


@dataclasses.dataclass(frozen=True)
class OpenStepPR:
    """Commit the change's edits on its own branch from the base head, push, and open (or find) the PR."""

    key: RunKey
    branch: str
    base_branch: str
    base_sha: str
    changes: tuple[FileChange, ...]
    title: str
    body: str
    labels: tuple[str, ...]
    trailers: tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class MergePR:
    number: int
    head_sha: str
    method: MergeMethod
    title: str


@dataclasses.dataclass(frozen=True)
class OpenRevertPR:
    """``git revert`` each of the stage's merges (newest first) on a revert branch from the base head, push,
    open (or find) the PR."""

    stage: int
    branch: str
    base_branch: str
    merge_shas: tuple[str, ...]
    title: str
    body: str
    labels: tuple[str, ...]
    trailers: tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class RefreshApps:
    """Ask Argo CD to refresh (and so sync) these Applications now instead of at its next poll."""

    names: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Comment:
    """The bot's one comment with this marker on the PR, edited in place."""

    number: int
    marker: str
    body: str


@dataclasses.dataclass(frozen=True)
class Label:
    """Add labels to a PR (how a promotion ended, a hold): part of what a lost store is rebuilt from."""

    number: int
    names: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Unlabel:
    """Remove labels from a PR (a pause that ended); a label it does not have is no error."""

    number: int
    names: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SetStatus:
    """The commit status ``promoter`` on a commit: on a step's merge it mirrors the step (the store is rebuilt
    from it), on a PR's head it tells reviewers what promoter waits for."""

    sha: str
    state: StatusState
    description: str
    context: str = "promoter"  # ``promoter/analysis`` carries an analysis' verdict (rebuilding reads ``promoter``)


Action = Record | OpenStepPR | MergePR | OpenRevertPR | RefreshApps | Comment | Label | Unlabel | SetStatus


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to do now, and when to look again (sooner than the reconcile interval; None: at the interval)."""

    actions: tuple[Action, ...] = ()
    wake_at: dt.datetime | None = None
