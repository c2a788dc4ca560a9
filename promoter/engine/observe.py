"""Gathering the snapshot for a promotion's current step: only what its state needs, nothing more."""

from __future__ import annotations

import dataclasses

from promoter.core.model import Phase, Pipeline, Promotion, StepState, branch_name, revert_branch_name
from promoter.core.snapshot import Snapshot
from promoter.core.verification import Observed
from promoter.engine import proposals
from promoter.engine.runtime import Runtime
from promoter.errors import PermanentError


def snapshot(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> Snapshot:
    now = rt.clock.now()
    step = rt.store.step(pipeline.name, promotion.key())
    if promotion.phase is Phase.PENDING:
        held = any(hold.version == promotion.version for hold in rt.store.holds(pipeline.name))
        return Snapshot(now, step, held=held)
    stage = pipeline.stage(promotion.stage)
    match step.state:
        case StepState.PLANNED:
            pr = rt.forge.find_pr(branch_name(pipeline.name, promotion.key()))
            if pr is not None:
                return Snapshot(now, step, pr=pr)
            base = rt.repo.fetch(pipeline.base_branch)
            proposal = proposals.propose(rt.repo, stage, promotion.version, base)
            # Before anything is pushed: Argo CD must answer and know the stage's Applications. Unreachable
            # is temporary (the pass stops, nothing pushed); an unknown Application fails the promotion.
            try:
                for name in stage.applications:
                    rt.deployments.app_status(name, refresh=False)
            except PermanentError as exc:
                proposal = dataclasses.replace(proposal, changes=(), error=f"Argo CD: {exc}")
            return Snapshot(now, step, proposal=proposal)
        case StepState.OPEN:
            pr = rt.forge.find_pr(branch_name(pipeline.name, promotion.key()))
            approvals = frozenset[str]()
            if pr is not None and pr.open and stage.merge.approvals > 0:
                approvals = rt.forge.approvals(pr.number, pr.head_sha)
            return Snapshot(now, step, pr=pr, approvals=approvals)
        case StepState.MERGED | StepState.VERIFIED:
            return Snapshot(now, step, apps=applications(rt, stage.applications, step.merge_sha))
        case StepState.REVERTING:
            revert = rt.forge.find_pr(revert_branch_name(pipeline.name, promotion.key()))
            return Snapshot(now, step, revert_pr=revert)
        case StepState.DONE | StepState.REVERTED | StepState.STUCK:
            return Snapshot(now, step)


def applications(rt: Runtime, names: tuple[str, ...], merge_sha: str | None) -> dict[str, Observed]:
    """Each Application's status after a refresh, and whether its last sync contains the merge."""
    observed = {}
    for name in names:
        status = rt.deployments.app_status(name, refresh=True)
        deployed = merge_sha is not None and any(
            rt.repo.contains(revision, merge_sha) for revision in status.operation_revisions
        )
        observed[name] = Observed(status, deployed)
    return observed
