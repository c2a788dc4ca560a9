"""The records of a promotion's walk through a stage's plan: one per change, one per gate, one per stage.

The forge and the config repo are the truth about pull requests; these are promoter's memory of them (and a
cache: :mod:`promoter.core.history` rebuilds them). A change is Planned until its PR is pushed, Open until
merged, Merged until every Application of the stage is verified at its merge commit (debounced, within the
deadline), then Done. A gate Waits (its timer runs while the stage stays verified) until it Passes. A stage
Runs its items; when one fails, every merged change of the stage is reverted together (Reverting ->
Reverted, or Stuck when a person's commit conflicts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from typing import Any

from promoter.core.model import RunKey


class ChangeState(enum.Enum):
    PLANNED = "Planned"  # nothing pushed yet
    OPEN = "Open"  # the PR is open, waiting for its merge policy
    MERGED = "Merged"  # merged; waiting for Argo CD to deploy it Healthy
    DONE = "Done"  # verified (or nothing to change)


class GateState(enum.Enum):
    WAITING = "Waiting"
    PASSED = "Passed"


class StageState(enum.Enum):
    RUNNING = "Running"
    REVERTING = "Reverting"  # a change or gate failed (or an abort): one revert PR undoes the stage's merges
    REVERTED = "Reverted"
    STUCK = "Stuck"  # the revert conflicts with a later commit: a person must finish it


@dataclasses.dataclass(frozen=True)
class ChangeRun:
    key: RunKey
    state: ChangeState = ChangeState.PLANNED
    pr_number: int | None = None
    merge_sha: str | None = None
    merged_at: dt.datetime | None = None  # the PR's merge time: the deadline counts from here
    healthy_since: dt.datetime | None = None  # first look that saw every Application verified (debounce)
    verified_at: dt.datetime | None = None
    skipped: bool = False  # nothing to change: done without a PR
    blocked: str | None = None  # an observation error the PR was told about (told once, not every pass)
    approved_by: str | None = None  # an operator's `promoter promote` stood for the approvals

    def deadline(self, deadline: dt.timedelta) -> dt.datetime | None:
        return None if self.merged_at is None else self.merged_at + deadline


@dataclasses.dataclass(frozen=True)
class GateRun:
    key: RunKey
    state: GateState = GateState.WAITING
    started_at: dt.datetime | None = None  # the gate's timer runs from here (restarted after a lost verification)
    unverified_since: dt.datetime | None = None  # the stage lost its verification: the deadline counts from here
    healthy_since: dt.datetime | None = None  # verified again since (debounce)
    passed_at: dt.datetime | None = None
    passed_by: str | None = None  # who promoted past it (an indefinite pause), or None for its timer
    blocked: str | None = None
    told: int = 0  # an analysis: the measurements its PR's table shows (told once each, not every pass)
    verdict: str | None = None  # an analysis waiting for a person: its run's verdict (Inconclusive)

    def deadline(self, deadline: dt.timedelta) -> dt.datetime | None:
        return None if self.unverified_since is None else self.unverified_since + deadline


Run = ChangeRun | GateRun


@dataclasses.dataclass(frozen=True)
class Facts:
    """What a stage's plan depends on in the repo, read when the stage starts and kept for the whole stage:
    replica counts (a canary's ratio, what to scale back to), the colour a blue/green serves, and for a stage
    that names no Applications, the ones that deploy the files its plan edits (found in the repo)."""

    replicas: tuple[tuple[str, int], ...] = ()  # (resource, spec.replicas)
    active: str | None = None  # blue/green: the colour the active Service selects
    applications: tuple[str, ...] = ()  # derived: the Applications deploying the stage's files

    def replica(self, resource: str) -> int | None:
        return next((n for name, n in self.replicas if name == resource), None)

    def to_json(self) -> str:
        data: dict[str, Any] = {"replicas": dict(self.replicas), "active": self.active}
        if self.applications:
            data["applications"] = list(self.applications)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Facts:
        data: Any = json.loads(text) if text else {}
        data = data if isinstance(data, dict) else {}
        replicas, active, applications = data.get("replicas"), data.get("active"), data.get("applications")
        pairs = tuple(sorted((str(k), int(v)) for k, v in (replicas or {}).items() if isinstance(v, int)))
        apps = tuple(str(a) for a in applications) if isinstance(applications, list) else ()
        return cls(pairs, active if isinstance(active, str) else None, apps)


@dataclasses.dataclass(frozen=True)
class StageRun:
    promotion: str
    stage: int
    state: StageState = StageState.RUNNING
    facts: Facts | None = None  # None until read, when the stage starts
    revert_pr_number: int | None = None
    revert_merge_sha: str | None = None
    failure: str | None = None  # why the stage is reverted
    aborted_by: str | None = None  # a person's `promoter abort`: the promotion ends Aborted, not Failed
