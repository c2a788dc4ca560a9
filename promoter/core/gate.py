"""One gate of a stage's plan: a pause, a soak, a scale-down delay, an analysis (:mod:`.evaluation`). Pure.

    Waiting -> Passed

A gate's timer runs while the stage stays verified: its latest observation must still verify the stage's
latest merged change (on content). Degraded, a failed sync or an undone edit fails the stage. Anything else
(Progressing, OutOfSync, a re-sync, Argo CD down) means the verification is lost: promoter waits for it again,
within the deadline from that moment, and when it is back (debounced) the gate's timer starts over. A gate
without a duration waits until promoted (``promoter promote``).
"""

from __future__ import annotations

import dataclasses

from promoter.core import evaluation, failure, records, texts
from promoter.core.actions import Comment, Decision, SetStatus, StatusState
from promoter.core.change import judged, waiting
from promoter.core.model import EventKind
from promoter.core.plan import Gate, GateKind
from promoter.core.runs import ChangeRun, GateRun, GateState
from promoter.core.verification import Judgement, Verdict
from promoter.core.walk import Walk, backoff, earliest


def walk(w: Walk, gate: Gate, run: GateRun | None) -> Decision:
    if run is None:
        started = GateRun(w.key, started_at=w.now)
        event = w.event(EventKind.GATE_STARTED, f"{w.stage.name}: {gate.label}")
        return Decision((w.save(started, event, reason=_waiting_for(gate)),))
    if run.state is GateState.PASSED:
        return w.advance()
    merged = w.merged(w.index)
    if merged:
        _, _, reference = merged[-1]
        judgement = judged(w, w.index, settled=True)
        match judgement.verdict:
            case Verdict.FAILED:
                return failure.fail(w, f"during the {gate.label}: {judgement.summary}")
            case Verdict.WAITING:
                return _unverified(w, gate, run, reference, judgement)
            case Verdict.HEALTHY if run.unverified_since is not None:
                return _reverified(w, gate, run, reference)
    if gate.kind is GateKind.ANALYSIS:
        return evaluation.gate(w, gate, run)
    return _timer(w, gate, run)


def _waiting_for(gate: Gate) -> str:
    return gate.label if gate.duration is not None else f"{gate.label}: `promoter promote` to go on"


def _timer(w: Walk, gate: Gate, run: GateRun) -> Decision:
    if gate.duration is None:
        return Decision(tuple(a for a in (w.reason(_waiting_for(gate)),) if a))  # until promoted
    assert run.started_at is not None  # a gate's run starts with its timer
    ends = run.started_at + gate.duration
    if w.now < ends:
        return Decision((), earliest(ends, backoff(w.now, run.started_at, None)))
    if w.promotion.paused:
        return Decision(tuple(a for a in (w.reason(f"{gate.label} over, paused"),) if a))
    passed = dataclasses.replace(run, state=GateState.PASSED, passed_at=w.now)
    event = w.event(EventKind.GATE_PASSED, f"{w.stage.name}: {gate.label} over")
    return Decision((records.record(run=passed, events=(event,)),))


def _unverified(w: Walk, gate: Gate, run: GateRun, reference: ChangeRun, judgement: Judgement) -> Decision:
    """The stage is no longer verified: wait for it again, within the deadline from now."""
    if run.unverified_since is None:
        lost = dataclasses.replace(run, unverified_since=w.now, healthy_since=None)
        deadline = lost.deadline(w.stage.deadline)
        assert deadline is not None
        assert reference.merge_sha is not None
        assert reference.pr_number is not None
        message = f"verification lost during the {gate.label}: {judgement.summary}"
        lines = [
            f"**verification lost** during the {gate.label}: {judgement.summary}",
            f"waiting for it again; if not verified by {texts.moment(deadline)} the stage is reverted",
        ]
        marker = w.marker(item=reference.key.item)
        return Decision(
            (
                SetStatus(
                    reference.merge_sha, StatusState.PENDING, f"{w.stage.name}: verification lost, waiting again"
                ),
                Comment(reference.pr_number, marker.status(), texts.status_comment(marker, "re-verifying", lines)),
                w.save(lost, w.event(EventKind.GATE_UNVERIFIED, message), reason=message),
            ),
            backoff(w.now, w.now, deadline),
        )
    deadline = run.deadline(w.stage.deadline)
    assert deadline is not None
    if w.now > deadline:
        return failure.fail(w, f"not verified again within {w.stage.deadline}: {judgement.summary}")
    return waiting(w, run, judgement, deadline, reference.pr_number, reference.key.item)


def _reverified(w: Walk, gate: Gate, run: GateRun, reference: ChangeRun) -> Decision:
    """Verified again: after the debounce, the gate's timer starts over (a full soak on fresh evidence)."""
    deadline = run.deadline(w.stage.deadline)
    assert deadline is not None
    if w.now > deadline:
        return failure.fail(w, f"not verified again within {w.stage.deadline}")
    if run.healthy_since is None:
        return Decision((records.record(run=dataclasses.replace(run, healthy_since=w.now)),), w.now + w.stage.debounce)
    if w.now - run.healthy_since < w.stage.debounce:
        return Decision((), run.healthy_since + w.stage.debounce)
    assert reference.merge_sha is not None
    assert reference.pr_number is not None
    restarted = dataclasses.replace(run, started_at=w.now, unverified_since=None, healthy_since=None)
    lines = [f"{a}: Synced and Healthy again" for a in w.stage.applications] + [f"the {gate.label} starts over"]
    marker = w.marker(item=reference.key.item)
    return Decision(
        (
            SetStatus(reference.merge_sha, StatusState.SUCCESS, f"{w.stage.name}: verified on Argo CD again"),
            Comment(reference.pr_number, marker.status(), texts.status_comment(marker, "verified again", lines)),
            w.save(restarted, w.event(EventKind.GATE_REVERIFIED, f"verified again; the {gate.label} starts over")),
        )
    )
