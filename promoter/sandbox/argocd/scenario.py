"""Scenario rules: how the simulated cluster behaves when an image is deployed, and how fast.

Rules are a frozen value, set when the simulator is built and replaced at run time through the admin path
``POST /_sim/scenario`` (a JSON object with any of the fields below; the others keep their value).
Image patterns are globs matched against the whole reference as written (``*:bad-*``, ``ghcr.io/acme/*``).
Each workload meets the outcome of its own images, and its kind and replica count say what that outcome
looks like in Argo CD (:mod:`.health`): a workload scaled to zero runs no image, so nothing fails there.

``overrides`` script Argo CD's bad moments for one Application, whatever its controller did: a health or sync
status it reports (``{"app-staging": {"health": "Progressing"}}``), or a sync operation that runs (a
self-heal re-sync at the deployed revision: ``{"operation": "Running"}``). ``{}`` removes them all.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from promoter.core.appstatus import Health, OperationPhase, SyncStatus


class Outcome(enum.Enum):
    """What the workloads running a set of images end up as, once their rollout is over."""

    HEALTHY = "Healthy"
    DEGRADED = "Degraded"  # the rollout exceeds its progress deadline
    STUCK = "Stuck"  # the rollout never finishes: Progressing forever
    SUSPENDED = "Suspended"  # a paused Rollout


@dataclasses.dataclass(frozen=True)
class Override:
    """What one Application reports, whatever its controller did (a scripted bad moment)."""

    health: Health | None = None
    health_message: str | None = None
    sync: SyncStatus | None = None
    operation: OperationPhase | None = None  # Running: a sync operation under way at the deployed revisions


@dataclasses.dataclass(frozen=True)
class Scenario:
    fail_images: tuple[str, ...] = ()
    stuck_images: tuple[str, ...] = ()
    suspend_images: tuple[str, ...] = ()
    sync_fail_images: tuple[str, ...] = ()  # the sync operation itself fails (phase Failed), nothing is deployed
    progressing_seconds: float = 5.0  # from the end of a sync until Healthy (or Degraded)
    sync_seconds: float = 1.0  # how long a sync operation stays Running
    settle_seconds: float = 1.0  # from the end of a sync until the controller re-checks sync and health
    sync_interval_seconds: float | None = 3.0  # the controller's own reconcile (and auto-sync) period; None: never
    respect_sync_policy: bool = False  # False: every Application syncs as if its policy were automated
    unreachable: bool = False  # the API answers 503 to everything but the admin paths
    overrides: tuple[tuple[str, Override], ...] = ()  # (Application name, what it reports)

    def override(self, app: str) -> Override | None:
        return next((o for name, o in self.overrides if name == app), None)

    def __post_init__(self) -> None:
        for name in ("progressing_seconds", "sync_seconds", "settle_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"scenario field {name}: must not be negative")
        if self.sync_interval_seconds is not None and self.sync_interval_seconds <= 0:
            raise ValueError("scenario field sync_interval_seconds: must be positive, or None for never")

    def outcome(self, images: Iterable[str]) -> tuple[Outcome, str | None]:
        """The worst outcome among ``images`` and the image that causes it (failing beats stuck beats paused)."""
        listed = tuple(images)
        for patterns, outcome in (
            (self.fail_images, Outcome.DEGRADED),
            (self.stuck_images, Outcome.STUCK),
            (self.suspend_images, Outcome.SUSPENDED),
        ):
            culprit = first_match(patterns, listed)
            if culprit is not None:
                return outcome, culprit
        return Outcome.HEALTHY, None

    def updated(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with ``changes`` (JSON field values) applied; ``ValueError`` naming the bad field."""
        try:
            patch = _Patch.model_validate(changes)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise ValueError(f"scenario field {where}: {first['msg']}") from None
        values = patch.model_dump(exclude_unset=True)
        for name, value in values.items():
            if value is None and name not in _NULLABLE:
                raise ValueError(f"scenario field {name}: may not be null")
        if patch.overrides is not None:
            values["overrides"] = tuple(
                (app, Override(o.health, o.health_message, o.sync, o.operation)) for app, o in patch.overrides.items()
            )
        return dataclasses.replace(self, **values)

    def as_json(self) -> dict[str, Any]:
        fields = {field.name: _jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)}
        fields["overrides"] = {
            app: {
                key: value.value if isinstance(value, enum.Enum) else value for key, value in vars(o).items() if value
            }
            for app, o in self.overrides
        }
        return fields


def first_match(patterns: Iterable[str], images: Iterable[str]) -> str | None:
    """The first image that matches any of the glob patterns."""
    globs = tuple(patterns)
    return next((image for image in images if any(fnmatch.fnmatchcase(image, g) for g in globs)), None)


def _jsonable(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


_Seconds = pydantic.NonNegativeFloat
_NULLABLE = frozenset({"sync_interval_seconds"})


class _OverridePatch(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    health: Health | None = None
    health_message: str | None = None
    sync: SyncStatus | None = None
    operation: OperationPhase | None = None


class _Patch(pydantic.BaseModel):
    """The admin path's body: every field optional, unknown fields refused."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    fail_images: tuple[str, ...] | None = None
    stuck_images: tuple[str, ...] | None = None
    suspend_images: tuple[str, ...] | None = None
    sync_fail_images: tuple[str, ...] | None = None
    progressing_seconds: _Seconds | None = None
    sync_seconds: _Seconds | None = None
    settle_seconds: _Seconds | None = None
    sync_interval_seconds: pydantic.PositiveFloat | None = None
    respect_sync_policy: bool | None = None
    unreachable: bool | None = None
    overrides: dict[str, _OverridePatch] | None = None
