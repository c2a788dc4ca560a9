"""The domain: pipelines as configured, promotions as they progress. Frozen values only.

A *pipeline* is one service's path to production: ordered *stages*, each with its *targets* (what to edit),
the Argo CD Applications that deploy it, a strategy, and its gates (soak time, deadline, merge policy).
A *promotion* is one version moving through one pipeline; each *step* is one pull request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re


class Strategy(enum.Enum):
    ROLLING = "rolling"  # also covers Recreate: set the version in the stage's targets, verify, soak


@dataclasses.dataclass(frozen=True)
class ImageTarget:
    """``promoter edit image FILE IMAGE:VERSION`` on one file (every reference to the image there)."""

    file: str
    image: str
    container: str | None = None


@dataclasses.dataclass(frozen=True)
class SetTarget:
    """``promoter edit set FILE PATH=VALUE ...``; ``{version}`` in a value is replaced by the version."""

    file: str
    values: tuple[tuple[str, str], ...]  # (path, value template)
    doc: int | None = None


Target = ImageTarget | SetTarget


@dataclasses.dataclass(frozen=True)
class MergePolicy:
    """When promoter merges a step's PR itself: after ``approvals`` approving reviews (0: at once)."""

    approvals: int = 0
    method: str = "merge"  # merge | squash (a merge commit keeps the step's own commit visible)


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    targets: tuple[Target, ...]
    applications: tuple[str, ...]
    strategy: Strategy = Strategy.ROLLING
    soak: dt.timedelta = dt.timedelta(0)
    deadline: dt.timedelta = dt.timedelta(minutes=10)  # from merge to verified, else the step fails
    debounce: dt.timedelta = dt.timedelta(seconds=5)  # Healthy must hold this long
    merge: MergePolicy = MergePolicy()


@dataclasses.dataclass(frozen=True)
class Pipeline:
    name: str
    stages: tuple[Stage, ...]
    base_branch: str = "main"
    labels: tuple[str, ...] = ("promoter",)

    def stage(self, index: int) -> Stage:
        return self.stages[index]


# promotions ---------------------------------------------------------------------------------------


class Phase(enum.Enum):
    PENDING = "Pending"
    PROGRESSING = "Progressing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"  # a step failed and was reverted (or needs a person to finish the revert)
    ABORTED = "Aborted"

    @property
    def finished(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED)


class StepState(enum.Enum):
    """Where the current step of a promotion is. The forge is the truth for PRs; this is the memory."""

    PLANNED = "Planned"  # nothing pushed yet
    OPEN = "Open"  # the PR is open, waiting for its merge policy
    MERGED = "Merged"  # merged; waiting for Argo CD to deploy it Healthy
    VERIFIED = "Verified"  # deployed and healthy; soaking
    DONE = "Done"
    REVERTING = "Reverting"  # the step failed; a revert PR is on its way or open
    REVERTED = "Reverted"
    STUCK = "Stuck"  # the revert conflicts with a later commit: a person must finish it


@dataclasses.dataclass(frozen=True)
class StepKey:
    promotion: str
    stage: int
    step: int


@dataclasses.dataclass(frozen=True)
class Step:
    """One step's record: its PR, its merge, its verification, its revert."""

    key: StepKey
    state: StepState = StepState.PLANNED
    pr_number: int | None = None
    merge_sha: str | None = None
    merged_at: dt.datetime | None = None
    # When the current wait for verification began: the merge, or the moment a verified step lost its
    # verification (during the soak). The deadline counts from here.
    waiting_since: dt.datetime | None = None
    healthy_since: dt.datetime | None = None  # first pass that saw every app verified (debounce start)
    verified_at: dt.datetime | None = None
    revert_pr_number: int | None = None
    revert_merge_sha: str | None = None
    failure: str | None = None
    blocked: str | None = None  # an observation error the step's PR was told about (told once, not every pass)

    @property
    def settled(self) -> bool:
        """The step was verified once: soaking, or waiting again after losing its verification."""
        if self.state is StepState.VERIFIED:
            return True
        return self.waiting_since is not None and self.merged_at is not None and self.waiting_since > self.merged_at

    def deadline(self, stage: Stage) -> dt.datetime | None:
        """When the current wait for verification fails the step (None before the merge)."""
        since = self.waiting_since or self.merged_at
        return None if since is None else since + stage.deadline


@dataclasses.dataclass(frozen=True)
class Promotion:
    id: str
    pipeline: str
    version: str
    phase: Phase
    stage: int  # the current stage's index
    step: int  # the current step's index within the stage
    created_at: dt.datetime
    updated_at: dt.datetime
    reason: str = ""  # why it is in its phase (shown by `promoter status`)

    def key(self) -> StepKey:
        return StepKey(self.id, self.stage, self.step)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def promotion_id(version: str, created: dt.datetime, entropy: int) -> str:
    """A branch-safe id, readable and unique for ever: the version, the creation time, some randomness.

    ``1.5.0-mi9x2k7q3f``: milliseconds since the epoch in base 36 (ids of one version sort by age), then two
    random base-36 digits from ``entropy``. Never derived from a counter in the store: a lost store must not
    hand out an id (and so a branch name) that an earlier promotion used.
    """
    safe = _UNSAFE.sub("-", version).strip("-.") or "version"
    millis = int(created.timestamp() * 1000)
    return f"{safe[:60]}-{_base36(millis)}{_base36(entropy % 36**2).rjust(2, '0')}"


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if number == 0:
            return digits


def branch_name(pipeline: str, key: StepKey) -> str:
    """Deterministic, so a crashed bot finds its own branch again (DESIGN.md §10)."""
    return f"promoter/{pipeline}/{key.promotion}/{key.stage}-{key.step}"


def revert_branch_name(pipeline: str, key: StepKey) -> str:
    return f"promoter/{pipeline}/{key.promotion}/{key.stage}-{key.step}-revert"


@dataclasses.dataclass(frozen=True)
class Hold:
    """A version that failed: never promoted again automatically until ``/retry`` or a newer version."""

    pipeline: str
    version: str
    reason: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Event:
    """One line of the audit log: what happened, when, why, with the evidence."""

    pipeline: str
    promotion: str | None
    at: dt.datetime
    kind: str  # snake_case: step_pr_opened, step_merged, step_verified, step_failed, revert_merged, ...
    message: str
    evidence: dict[str, object] = dataclasses.field(default_factory=dict)


class ErrorKind(enum.Enum):
    """Why a pipeline's passes stop: it clears by itself, or a person must act (a token, a missing repo)."""

    TEMPORARY = "temporary"  # an outage, a timeout, a 5xx, a rate limit
    PERMANENT = "permanent"  # a missing repository or branch, an answer promoter cannot use
    CREDENTIALS = "credentials"  # a 401, or a 403 that is not a rate limit, from GitHub or Argo CD


@dataclasses.dataclass(frozen=True)
class PipelineError:
    """The error that stops a pipeline's passes now, and since when (``promoter status`` shows it)."""

    pipeline: str
    kind: ErrorKind
    message: str
    since: dt.datetime
    seen_at: dt.datetime
