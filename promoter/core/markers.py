"""The hidden markers promoter writes into its PRs and comments, and the labels that record how a promotion ended.

A marker says whose text it is: which pipeline, promotion (and version), stage and step, and whether it is the
step's PR or its revert. promoter adopts a PR or edits a comment only when the marker is exactly its own, and
rebuilds its store from them when the store is lost (with the labels below and the commit trailers).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from typing import TypeGuard

_PR = re.compile(r"<!-- promoter:(\{.*?\}) -->")  # flat JSON; facts are a JSON string inside it


class Kind(enum.Enum):
    STEP = "step"
    REVERT = "revert"


_KINDS = frozenset(kind.value for kind in Kind)


class Outcome(enum.Enum):
    """Labels on a promotion's last PR: how it ended, written before the store records it."""

    SUCCEEDED = "promoter:succeeded"
    FAILED = "promoter:failed"
    ABORTED = "promoter:aborted"


HELD = "promoter:held"  # on the PR whose failure put the version on hold (removing it lifts the hold)
PAUSED = "promoter:paused"  # on a paused promotion's latest PR, while it is paused (a lost store keeps it paused)


@dataclasses.dataclass(frozen=True)
class Marker:
    """Whose PR this is: the identity is everything but ``facts``, which the PR carries along so that a lost
    store gets the stage's facts back (the colour a blue/green served, replica counts)."""

    pipeline: str
    promotion: str
    version: str
    stage: int
    step: int  # the item of the stage's plan; a stage's revert has the item that failed
    kind: Kind = Kind.STEP
    facts: str | None = dataclasses.field(default=None, compare=False)

    def render(self) -> str:
        fields = self._fields() | ({"facts": self.facts} if self.facts else {})
        return f"<!-- promoter:{_dump(fields)} -->"

    def status(self) -> str:
        """The marker of the one status comment on this PR (edited in place)."""
        return f"<!-- promoter:status {_dump(self._fields())} -->"

    def _fields(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "pipeline": self.pipeline,
            "promotion": self.promotion,
            "stage": self.stage,
            "step": self.step,
            "version": self.version,
        }


def parse(body: str) -> Marker | None:
    """The PR marker in ``body``, or None when there is none (or it is not one promoter wrote)."""
    found = _PR.search(body)
    if found is None:
        return None
    try:
        data = json.loads(found.group(1))  # an object: the pattern matched braces
    except ValueError:
        return None
    pipeline, promotion, version, kind = (data.get(key) for key in ("pipeline", "promotion", "version", "kind"))
    stage, step = data.get("stage"), data.get("step")
    if not (isinstance(pipeline, str) and isinstance(promotion, str) and isinstance(version, str)):
        return None
    facts = data.get("facts")
    if _index(stage) and _index(step) and kind in _KINDS:
        return Marker(pipeline, promotion, version, stage, step, Kind(kind), facts if isinstance(facts, str) else None)
    return None


def _index(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _dump(data: dict[str, object]) -> str:
    # "-->" would end the HTML comment early; JSON may spell ">" as an escape instead.
    return json.dumps(data, separators=(",", ":"), sort_keys=True).replace(">", "\\u003e")
