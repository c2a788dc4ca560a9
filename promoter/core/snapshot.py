"""What the shell observed for one promotion's current step: frozen values, ``now`` among them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from promoter.core.actions import FileChange
from promoter.core.model import Step
from promoter.core.pullrequest import PullRequest
from promoter.core.verification import Observed


@dataclasses.dataclass(frozen=True)
class Proposal:
    """The step's edits applied at the base branch's head: the files they change, or why they cannot apply."""

    base_sha: str
    changes: tuple[FileChange, ...]
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class Snapshot:
    now: dt.datetime
    step: Step  # the current step's record
    held: bool = False  # the promotion's version is on hold
    pr: PullRequest | None = None  # the current step's PR, found by its branch
    approvals: frozenset[str] = frozenset()
    proposal: Proposal | None = None  # observed while the step is Planned and has no PR
    apps: Mapping[str, Observed] = dataclasses.field(default_factory=dict)  # while Merged or Verified
    revert_pr: PullRequest | None = None  # while Reverting
    revert_conflicts: tuple[str, ...] = ()  # files the revert could not apply (a person's later commit)
    failure: str | None = None  # an action the shell could not carry out, for good (e.g. a merge conflict)
