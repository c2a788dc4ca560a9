"""Domain values to table rows and back (the tables are described in :mod:`promoter.adapters.store_schema`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from promoter.core.model import ErrorKind, Event, Hold, Phase, PipelineError, Promotion, Step, StepKey, StepState

Row = dict[str, Any]


def promotion_row(promotion: Promotion) -> Row:
    return {
        "pipeline": promotion.pipeline,
        "id": promotion.id,
        "version": promotion.version,
        "phase": promotion.phase.value,
        "stage": promotion.stage,
        "step": promotion.step,
        "created_at": promotion.created_at,
        "updated_at": promotion.updated_at,
        "reason": promotion.reason,
    }


def promotion_of(row: sa.RowMapping) -> Promotion:
    return Promotion(
        id=row["id"],
        pipeline=row["pipeline"],
        version=row["version"],
        phase=Phase(row["phase"]),
        stage=row["stage"],
        step=row["step"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        reason=row["reason"],
    )


def step_row(pipeline: str, step: Step) -> Row:
    return {
        "pipeline": pipeline,
        "promotion": step.key.promotion,
        "stage": step.key.stage,
        "step": step.key.step,
        "state": step.state.value,
        "pr_number": step.pr_number,
        "merge_sha": step.merge_sha,
        "merged_at": step.merged_at,
        "waiting_since": step.waiting_since,
        "healthy_since": step.healthy_since,
        "verified_at": step.verified_at,
        "revert_pr_number": step.revert_pr_number,
        "revert_merge_sha": step.revert_merge_sha,
        "failure": step.failure,
        "blocked": step.blocked,
    }


def step_of(row: sa.RowMapping) -> Step:
    return Step(
        key=StepKey(row["promotion"], row["stage"], row["step"]),
        state=StepState(row["state"]),
        pr_number=row["pr_number"],
        merge_sha=row["merge_sha"],
        merged_at=row["merged_at"],
        waiting_since=row["waiting_since"],
        healthy_since=row["healthy_since"],
        verified_at=row["verified_at"],
        revert_pr_number=row["revert_pr_number"],
        revert_merge_sha=row["revert_merge_sha"],
        failure=row["failure"],
        blocked=row["blocked"],
    )


def hold_row(hold: Hold) -> Row:
    return {"pipeline": hold.pipeline, "version": hold.version, "reason": hold.reason, "at": hold.at}


def hold_of(row: sa.RowMapping) -> Hold:
    return Hold(pipeline=row["pipeline"], version=row["version"], reason=row["reason"], at=row["at"])


def event_row(event: Event) -> Row:
    """TypeError if the evidence is not JSON; NaN is kept (a measurement may be NaN, and it is evidence)."""
    try:
        evidence = json.dumps(event.evidence, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"event {event.kind!r}: its evidence is not JSON ({exc})") from exc
    return {
        "pipeline": event.pipeline,
        "promotion": event.promotion,
        "at": event.at,
        "kind": event.kind,
        "message": event.message,
        "evidence": evidence,
    }


def event_of(row: sa.RowMapping) -> Event:
    evidence = json.loads(row["evidence"])
    assert isinstance(evidence, dict)
    return Event(
        pipeline=row["pipeline"],
        promotion=row["promotion"],
        at=row["at"],
        kind=row["kind"],
        message=row["message"],
        evidence=evidence,
    )


def pipeline_error_row(error: PipelineError) -> Row:
    return {
        "pipeline": error.pipeline,
        "kind": error.kind.value,
        "message": error.message,
        "since": error.since,
        "seen_at": error.seen_at,
    }


def pipeline_error_of(row: sa.RowMapping) -> PipelineError:
    return PipelineError(
        pipeline=row["pipeline"],
        kind=ErrorKind(row["kind"]),
        message=row["message"],
        since=row["since"],
        seen_at=row["seen_at"],
    )
