"""Domain values to table rows and back (the tables are described in :mod:`promoter.adapters.store_schema`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from promoter.core.commands import Command, CommandKind
from promoter.core.measurements import MeasureKey, Measurement, Result
from promoter.core.model import ErrorKind, Event, EventKind, Hold, Phase, PipelineError, Promotion, RunKey
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, Run, StageRun, StageState

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
        "paused": promotion.paused,
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
        paused=bool(row["paused"]),
    )


def stage_row(pipeline: str, run: StageRun) -> Row:
    return {
        "pipeline": pipeline,
        "promotion": run.promotion,
        "stage": run.stage,
        "state": run.state.value,
        "facts": run.facts.to_json() if run.facts is not None else None,
        "revert_pr_number": run.revert_pr_number,
        "revert_merge_sha": run.revert_merge_sha,
        "failure": run.failure,
        "aborted_by": run.aborted_by,
    }


def stage_of(row: sa.RowMapping) -> StageRun:
    return StageRun(
        promotion=row["promotion"],
        stage=row["stage"],
        state=StageState(row["state"]),
        facts=Facts.from_json(row["facts"]) if row["facts"] is not None else None,
        revert_pr_number=row["revert_pr_number"],
        revert_merge_sha=row["revert_merge_sha"],
        failure=row["failure"],
        aborted_by=row["aborted_by"],
    )


_NO_RUN = {
    "pr_number": None,
    "merge_sha": None,
    "merged_at": None,
    "healthy_since": None,
    "verified_at": None,
    "skipped": None,
    "blocked": None,
    "approved_by": None,
    "started_at": None,
    "unverified_since": None,
    "passed_at": None,
    "passed_by": None,
    "told": None,
    "verdict": None,
}


def run_row(pipeline: str, run: Run) -> Row:
    key = {"pipeline": pipeline, "promotion": run.key.promotion, "stage": run.key.stage, "item": run.key.item}
    match run:
        case ChangeRun():
            return (
                key
                | _NO_RUN
                | {
                    "kind": "change",
                    "state": run.state.value,
                    "pr_number": run.pr_number,
                    "merge_sha": run.merge_sha,
                    "merged_at": run.merged_at,
                    "healthy_since": run.healthy_since,
                    "verified_at": run.verified_at,
                    "skipped": run.skipped,
                    "blocked": run.blocked,
                    "approved_by": run.approved_by,
                }
            )
        case GateRun():
            return (
                key
                | _NO_RUN
                | {
                    "kind": "gate",
                    "state": run.state.value,
                    "started_at": run.started_at,
                    "unverified_since": run.unverified_since,
                    "healthy_since": run.healthy_since,
                    "passed_at": run.passed_at,
                    "passed_by": run.passed_by,
                    "blocked": run.blocked,
                    "told": run.told or None,
                    "verdict": run.verdict,
                }
            )


def run_of(row: sa.RowMapping) -> Run:
    key = RunKey(row["promotion"], row["stage"], row["item"])
    if row["kind"] == "gate":
        return GateRun(
            key=key,
            state=GateState(row["state"]),
            started_at=row["started_at"],
            unverified_since=row["unverified_since"],
            healthy_since=row["healthy_since"],
            passed_at=row["passed_at"],
            passed_by=row["passed_by"],
            blocked=row["blocked"],
            told=row["told"] or 0,
            verdict=row["verdict"],
        )
    return ChangeRun(
        key=key,
        state=ChangeState(row["state"]),
        pr_number=row["pr_number"],
        merge_sha=row["merge_sha"],
        merged_at=row["merged_at"],
        healthy_since=row["healthy_since"],
        verified_at=row["verified_at"],
        skipped=bool(row["skipped"]),
        blocked=row["blocked"],
        approved_by=row["approved_by"],
    )


def command_of(row: sa.RowMapping) -> Command:
    return Command(
        id=row["id"],
        pipeline=row["pipeline"],
        promotion=row["promotion"],
        kind=CommandKind(row["kind"]),
        by=row["by"],
        at=row["at"],
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
        "kind": event.kind.value,
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
        kind=EventKind(row["kind"]),
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


def measurement_row(pipeline: str, promotion: str, measurement: Measurement) -> Row:
    key = measurement.key
    data = {
        "value": _result(measurement.value),
        "baseline": _result(measurement.baseline),
        "traffic": _result(measurement.traffic),
        "error": measurement.error,
    }
    return {
        "pipeline": pipeline,
        "promotion": promotion,
        "run": key.run,
        "metric": key.metric,
        "idx": key.index,
        "taken_at": measurement.taken_at,
        "data": json.dumps(data, sort_keys=True),  # NaN and Infinity as Python's json writes them (and reads)
    }


def measurement_of(row: sa.RowMapping) -> Measurement:
    data: Any = json.loads(row["data"])
    return Measurement(
        key=MeasureKey(row["run"], row["metric"], row["idx"]),
        taken_at=row["taken_at"],
        value=_from_result(data.get("value")),
        baseline=_from_result(data.get("baseline")),
        traffic=_from_result(data.get("traffic")),
        error=data.get("error"),
    )


def _result(value: Result | None) -> object:
    return list(value) if isinstance(value, tuple) else value


def _from_result(value: object) -> Result | None:
    if isinstance(value, list):
        return tuple(float(v) for v in value)
    return float(value) if isinstance(value, int | float) else None
