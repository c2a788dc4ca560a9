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
    target: int | None = None  # the index of the stage's target the error is about


@dataclasses.dataclass(frozen=True)
class Preflight:
    """Every stage checked before the first push: the base branch, each target file and edit, each Application."""

    problems: tuple[str, ...] = ()  # each names the stage and what is wrong: the promotion is refused


@dataclasses.dataclass(frozen=True)
class Snapshot:
    now: dt.datetime
    step: Step  # the current step's record
    held: bool = False  # the promotion's version is on hold
    preflight: Preflight | None = None  # observed while the promotion is Pending
    last_pr: int | None = None  # the promotion's latest step PR before this step (its outcome is labelled there)
    pr: PullRequest | None = None  # the current step's PR, found by its branch
    approvals: frozenset[str] = frozenset()
    proposal: Proposal | None = None  # observed while the step is Planned and has no PR
    # while Merged or Verified: every Application of the stage, observed or with the error that prevented it
    apps: Mapping[str, Observed] = dataclasses.field(default_factory=dict)
    revert_pr: PullRequest | None = None  # while Reverting
    revert_conflicts: tuple[str, ...] = ()  # files the revert could not apply (a person's later commit)
    failure: str | None = None  # an action the shell could not carry out, for good (e.g. a merge conflict)
