"""What the shell observed for one promotion's next decision: frozen values, ``now`` among them.

It holds exactly what :func:`promoter.core.needs.needs` asked for. What could not be observed is there as an
:class:`Unobserved` value (an outage, a refused token), which the decision judges like any other observation:
it neither promotes nor reverts on it before a deadline, and asks to be woken when it is worth trying again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from promoter.core.commands import Command
from promoter.core.measurements import Measurement
from promoter.core.pullrequest import PullRequest
from promoter.core.resources import Located
from promoter.core.runs import Run, StageRun
from promoter.core.strategies import ResourceRef
from promoter.core.verification import Observed


@dataclasses.dataclass(frozen=True)
class Unobserved:
    """Something the shell could not observe, and why."""

    error: str
    permanent: bool = False  # a refused token, a missing repository: it will not pass by itself
    retry_after: dt.timedelta | None = None  # when the answer said (Retry-After), or None


@dataclasses.dataclass(frozen=True)
class Preflight:
    """Every stage checked before the first push: the base branch, each target and edit, each Application."""

    problems: tuple[str, ...] = ()  # each names the stage and what is wrong: the promotion is refused


@dataclasses.dataclass(frozen=True)
class Snapshot:
    now: dt.datetime
    stage: StageRun | None = None  # the current stage's record (None: not started)
    runs: Mapping[int, Run] = dataclasses.field(default_factory=dict)  # the current stage's items, by index
    held: bool = False  # the promotion's version is on hold
    preflight: Preflight | None = None  # observed while the promotion is Pending
    base_sha: str | None = None
    found: Mapping[ResourceRef, Located] = dataclasses.field(default_factory=dict)  # at the base head
    pr: PullRequest | Unobserved | None = None  # the current change's PR, found by its branch
    approvals: frozenset[str] = frozenset()
    apps: Mapping[str, Observed] = dataclasses.field(default_factory=dict)
    # the stage's resources at each synced revision that contains the reference merge, by revision
    deployed: Mapping[str, Mapping[ResourceRef, Located]] = dataclasses.field(default_factory=dict)
    revert_pr: PullRequest | Unobserved | None = None
    revert_conflicts: tuple[str, ...] = ()  # files the revert could not apply (a person's later commit)
    failure: str | None = None  # an action the shell could not carry out, for good (e.g. a merge conflict)
    commands: tuple[Command, ...] = ()
    last_pr: int | None = None  # the promotion's latest PR before this item (its outcome is labelled there)
    measurements: tuple[Measurement, ...] = ()  # the current stage's analysis measurements, as taken
    # a stage that names no Applications, as it starts: those deploying the files its plan edits, or why not
    derived: tuple[str, ...] | str | None = None
