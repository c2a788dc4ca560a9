"""The domain: pipelines as configured, promotions as they progress. Frozen values only.

A *pipeline* is one service's path to production: ordered *stages*, each with its *targets* (where the
version goes), the Argo CD Applications that deploy it, a strategy (:mod:`promoter.core.strategies`), and
its gates (soak time, deadline, merge policy). A *promotion* is one version moving through one pipeline; in
each stage it walks the stage's plan (:mod:`promoter.core.plan`): changes (one pull request each) and gates.
The records of that walk are in :mod:`promoter.core.runs`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Iterable

from promoter.core.strategies import ImageTarget, Rolling, SetTarget, Strategy, Target
from promoter.core.windows import Windows

__all__ = ["ImageTarget", "SetTarget", "Target"]


class MergeMethod(enum.Enum):
    MERGE = "merge"  # a merge commit keeps the step's own commit (and its trailers) visible
    SQUASH = "squash"


@dataclasses.dataclass(frozen=True)
class MergePolicy:
    """When promoter merges a stage's first PR itself: after ``approvals`` approving reviews (0: at once).

    The later changes of a stage (canary weights, the switch of a blue/green) merge at once: the stage's
    pauses are where people hold them.
    """

    approvals: int = 0
    method: MergeMethod = MergeMethod.MERGE


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    targets: tuple[Target, ...]  # where the version goes (for a canary: the stable workload, at the end)
    applications: tuple[str, ...]
    strategy: Strategy = dataclasses.field(default_factory=Rolling)
    soak: dt.timedelta = dt.timedelta(0)
    deadline: dt.timedelta = dt.timedelta(minutes=10)  # from a merge to verified, else the stage fails
    debounce: dt.timedelta = dt.timedelta(seconds=5)  # Healthy must hold this long
    merge: MergePolicy = MergePolicy()
    windows: Windows = dataclasses.field(default_factory=Windows)  # when its changes merge (with the pipeline's)


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
    FAILED = "Failed"  # a stage failed and was reverted (or needs a person to finish the revert)
    ABORTED = "Aborted"

    @property
    def finished(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED)


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
    reason: str = ""  # why it is where it is, for people (`promoter status`); never read as state
    paused: bool = False  # `promoter pause`: nothing moves forward (failures are still reverted)

    def key(self) -> RunKey:
        """The current item of the current stage's plan (``step`` is its index)."""
        return RunKey(self.id, self.stage, self.step)


def current(unfinished: Iterable[Promotion]) -> Promotion | None:
    """The promotion a pipeline works on, of its unfinished ones: the oldest in progress, else the oldest pending."""
    ordered = sorted(unfinished, key=lambda p: (p.created_at, p.id))
    progressing = [p for p in ordered if p.phase is Phase.PROGRESSING]
    candidates = progressing or ordered
    return candidates[0] if candidates else None


@dataclasses.dataclass(frozen=True)
class RunKey:
    promotion: str
    stage: int
    item: int


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


def branch_name(pipeline: str, key: RunKey) -> str:
    """Deterministic, so a crashed bot finds its own branch again (DESIGN.md §10)."""
    return f"promoter/{pipeline}/{key.promotion}/{key.stage}-{key.item}"


def revert_branch_name(pipeline: str, promotion: str, stage: int) -> str:
    """One revert per stage: it undoes every merged change of the stage."""
    return f"promoter/{pipeline}/{promotion}/{stage}-revert"


@dataclasses.dataclass(frozen=True)
class Hold:
    """A version that failed: never promoted again automatically until ``promoter retry`` (or a newer version)."""

    pipeline: str
    version: str
    reason: str
    at: dt.datetime


class EventKind(enum.Enum):
    """What the audit log records (and the log lines say: their event names)."""

    PROMOTION_STARTED = "promotion_started"
    PROMOTION_REFUSED = "promotion_refused"
    PROMOTION_SUCCEEDED = "promotion_succeeded"
    PROMOTION_FAILED = "promotion_failed"
    PROMOTION_ABORTED = "promotion_aborted"
    PROMOTION_PAUSED = "promotion_paused"
    PROMOTION_RESUMED = "promotion_resumed"
    PROMOTION_REBUILT = "promotion_rebuilt"
    ROLLBACK_STARTED = "rollback_started"  # `promoter rollback`: a succeeded promotion's last stage is reverted
    HOLD_LIFTED = "hold_lifted"  # `promoter retry`: a person promotes a failed version again
    STAGE_STARTED = "stage_started"
    STAGE_DONE = "stage_done"
    STEP_PR_OPENED = "step_pr_opened"
    STEP_MERGED = "step_merged"
    STEP_SKIPPED = "step_skipped"
    STEP_VERIFIED = "step_verified"
    STEP_BLOCKED = "step_blocked"
    STEP_UNBLOCKED = "step_unblocked"
    STEP_FAILED = "step_failed"
    GATE_STARTED = "gate_started"
    GATE_PASSED = "gate_passed"
    GATE_UNVERIFIED = "gate_unverified"  # the stage lost its verification during a gate
    GATE_REVERIFIED = "gate_reverified"
    GATE_INCONCLUSIVE = "gate_inconclusive"  # an analysis ended Inconclusive: a person decides
    MEASURED = "measured"  # one analysis measurement, as taken
    REVERT_PR_OPENED = "revert_pr_opened"
    REVERT_MERGED = "revert_merged"
    REVERT_STUCK = "revert_stuck"
    COMMAND_REFUSED = "command_refused"


@dataclasses.dataclass(frozen=True)
class Event:
    """One line of the audit log: what happened, when, why, with the evidence."""

    pipeline: str
    promotion: str | None
    at: dt.datetime
    kind: EventKind
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
