"""Gathering the snapshot for a promotion's current step: only what its state needs, nothing more.

An Application that cannot be observed (Argo CD down, a refused token, an unknown name) enters the snapshot
as an error value: the decision judges it against the step's deadline, so a revert happens even while Argo
CD is down. A step's deployment is judged on content, not only ancestry: the revision Argo CD synced must
contain the merge *and* still carry the step's edit (the edit re-applied there changes nothing).
"""

from __future__ import annotations

from promoter.core import versions
from promoter.core.model import Phase, Pipeline, Promotion, Stage, StepState, branch_name, revert_branch_name
from promoter.core.snapshot import Proposal, Snapshot
from promoter.core.verification import Deployed, Observed
from promoter.engine import preflight, proposals
from promoter.engine.runtime import Runtime
from promoter.errors import PermanentError, TemporaryError


def snapshot(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> Snapshot:
    now = rt.clock.now()
    step = rt.store.step(pipeline.name, promotion.key())
    if promotion.phase is Phase.PENDING:
        held = any(hold.version == promotion.version for hold in rt.store.holds(pipeline.name))
        if held or versions.problem(promotion.version) is not None:
            return Snapshot(now, step, held=held)
        return Snapshot(now, step, preflight=preflight.check(rt, pipeline, promotion.version).preflight())
    stage = pipeline.stage(promotion.stage)
    match step.state:
        case StepState.PLANNED:
            last = last_pr(rt, pipeline, promotion)
            pr = rt.forge.find_pr(branch_name(pipeline.name, promotion.key()))
            if pr is not None:
                return Snapshot(now, step, pr=pr, last_pr=last)
            base = rt.repo.fetch(pipeline.base_branch)
            proposal = proposals.propose(rt.repo, stage, promotion.version, base)
            # Before anything is pushed: Argo CD must answer and know the stage's Applications. Unreachable
            # is temporary (the pass stops, nothing pushed); an unknown Application fails the promotion.
            missing, down = preflight.applications(rt, stage)
            if down:
                raise TemporaryError("; ".join(down))
            if missing:
                proposal = Proposal(proposal.base_sha, (), "; ".join(text for _, text in missing))
            return Snapshot(now, step, proposal=proposal, last_pr=last)
        case StepState.OPEN:
            pr = rt.forge.find_pr(branch_name(pipeline.name, promotion.key()))
            approvals = frozenset[str]()
            if pr is not None and pr.open and stage.merge.approvals > 0:
                approvals = rt.forge.approvals(pr.number, pr.head_sha)
            return Snapshot(now, step, pr=pr, approvals=approvals)
        case StepState.MERGED | StepState.VERIFIED:
            return Snapshot(now, step, apps=applications(rt, stage, promotion.version, step.merge_sha))
        case StepState.REVERTING:
            revert = rt.forge.find_pr(revert_branch_name(pipeline.name, promotion.key()))
            return Snapshot(now, step, revert_pr=revert)
        case StepState.DONE:
            return Snapshot(now, step, last_pr=last_pr(rt, pipeline, promotion))
        case StepState.REVERTED | StepState.STUCK:
            return Snapshot(now, step)


def last_pr(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> int | None:
    """The promotion's latest step PR (where its outcome is labelled when the current step has none)."""
    numbers = [s.pr_number for s in rt.store.steps(pipeline.name, promotion.id) if s.pr_number is not None]
    return numbers[-1] if numbers else None


def applications(rt: Runtime, stage: Stage, version: str, merge_sha: str | None) -> dict[str, Observed]:
    """Each Application's status after a refresh (or why there is none), and what its last sync deployed."""
    observed: dict[str, Observed] = {}
    carries: dict[str, bool] = {}  # by revision: several Applications often sync the same commit
    for name in stage.applications:
        try:
            status = rt.deployments.app_status(name, refresh=True)
        except PermanentError as exc:  # a refused token, an unknown Application: a person must act
            observed[name] = Observed.unobservable(str(exc), permanent=True)
            continue
        except TemporaryError as exc:
            observed[name] = Observed.unobservable(str(exc))
            continue
        revision = next(
            (r for r in status.operation_revisions if merge_sha is not None and rt.repo.contains(r, merge_sha)), None
        )
        if revision is None:
            observed[name] = Observed(status)
            continue
        if revision not in carries:
            carries[revision] = _carries_edit(rt, stage, version, revision)
        deployed = Deployed.CARRIES_EDIT if carries[revision] else Deployed.EDIT_UNDONE
        observed[name] = Observed(status, deployed, revision)
    return observed


def _carries_edit(rt: Runtime, stage: Stage, version: str, revision: str) -> bool:
    """Whether the stage's files at ``revision`` hold what the step wrote: its edit there changes nothing."""
    proposal = proposals.propose(rt.repo, stage, version, revision)
    return proposal.error is None and not proposal.changes
