"""Gathering the snapshot for a promotion's next decision: exactly what :func:`promoter.core.needs.needs` asks.

What could not be observed enters the snapshot as a value (an :class:`~promoter.core.snapshot.Unobserved` PR,
an unobservable Application) for the decision to judge against its deadline, with the delay the answer asked
for (``Retry-After``). What stops the pass instead: a refused token on the forge (a person must fix it, and
nothing can be reported on a PR without it), git failing, the preflight unable to ask Argo CD.
"""

from __future__ import annotations

import datetime as dt

from promoter.core import needs as wanted
from promoter.core.appstatus import SyncStatus
from promoter.core.commands import Command
from promoter.core.model import Phase, Pipeline, Promotion
from promoter.core.pullrequest import PullRequest
from promoter.core.runs import ChangeRun
from promoter.core.snapshot import Snapshot, Unobserved
from promoter.core.verification import Observed
from promoter.engine import locate, measuring, preflight
from promoter.engine.runtime import Runtime
from promoter.errors import CredentialError, PermanentError, TemporaryError


def snapshot(rt: Runtime, pipeline: Pipeline, promotion: Promotion, known: PullRequest | None = None) -> Snapshot:
    """What the core needs observed now. ``known``: a PR the forge returned to this pass's own write (opened
    just now), used as its observation instead of reading it again."""
    now = rt.clock.now()
    stage = rt.store.stage_run(pipeline.name, promotion.id, promotion.stage)
    runs = {run.key.item: run for run in rt.store.runs(pipeline.name, promotion.id, promotion.stage)}
    measured = tuple(rt.store.measurements(pipeline.name, promotion.id, promotion.stage))
    need = wanted.needs(pipeline, promotion, stage, runs, measured)
    if need.measure:
        measured = measuring.take(rt, pipeline, promotion, need.measure, measured, now)
    held = need.held and any(hold.version == promotion.version for hold in rt.store.holds(pipeline.name))
    checked = None
    if need.preflight and not held and promotion.phase is Phase.PENDING:
        checked = preflight.check(rt, pipeline, promotion.version).preflight()
    commands: tuple[Command, ...] = tuple(rt.store.commands(pipeline.name, promotion.id)) if need.commands else ()
    base = rt.repo.fetch(pipeline.base_branch) if need.found or need.derive else None
    found = locate.locate(rt, need.found, base, f"the base branch at {base[:12]}") if base is not None else {}
    derived = None
    if need.derive and base is not None:
        stage_config = pipeline.stage(promotion.stage)
        derived = preflight.derived_at_start(rt, stage_config, promotion.stage, promotion.version, base)
    pr: PullRequest | Unobserved | None = None
    if need.pr and known is not None and known.head_branch == need.pr:
        pr = known  # the forge's answer to promoter's own write, moments ago in this pass
    elif need.pr and not (need.pr_if_pushed and rt.repo.branch_head(need.pr) is None):
        pr = _pr(rt, need.pr)
    approvals = frozenset[str]()
    if need.approvals and isinstance(pr, PullRequest) and pr.open:
        approvals = _approvals(rt, pr)
    apps = {name: _app(rt, name, need.reference) for name in need.apps}
    deployed = {}
    for revision in {o.revision for o in apps.values() if o.revision is not None}:
        deployed[revision] = locate.locate(rt, need.deployed, revision)
    revert_pr = _pr(rt, need.revert_pr) if need.revert_pr else None
    last = _last_pr(rt, pipeline, promotion) if need.last_pr else None
    return Snapshot(
        now=now,
        stage=stage,
        runs=runs,
        held=held,
        preflight=checked,
        base_sha=base,
        found=found,
        pr=pr,
        approvals=approvals,
        apps=apps,
        deployed=deployed,
        revert_pr=revert_pr,
        commands=commands,
        last_pr=last,
        measurements=measured,
        derived=derived,
    )


def _pr(rt: Runtime, branch: str) -> PullRequest | Unobserved | None:
    try:
        return rt.forge.find_pr(branch)
    except CredentialError:
        raise
    except TemporaryError as exc:
        return Unobserved(str(exc), retry_after=dt.timedelta(seconds=exc.delay))


def _approvals(rt: Runtime, pr: PullRequest) -> frozenset[str]:
    try:
        return rt.forge.approvals(pr.number, pr.head_sha)
    except TemporaryError:
        return frozenset()  # not known now: not approved, looked at again next time


def _app(rt: Runtime, name: str, reference: str | None) -> Observed:
    """The Application's status after a refresh, and its synced revision that contains ``reference``."""
    try:
        status = rt.deployments.app_status(name, refresh=True)
    except PermanentError as exc:  # a refused token, an unknown Application: a person must act
        return Observed.unobservable(str(exc), permanent=True)
    except TemporaryError as exc:
        return Observed.unobservable(str(exc), retry_after=dt.timedelta(seconds=exc.delay))
    revision = next(
        (r for r in status.operation_revisions if reference is not None and rt.repo.contains(r, reference)), None
    )
    if revision is None and reference is not None and status.sync is SyncStatus.SYNCED:
        # No sync applied the merge, yet Argo CD compared the app at a revision containing it and found it
        # Synced: the merge left this app's manifests as they run (another app's files, say).
        compared = next((r for r in status.sync_revisions if rt.repo.contains(r, reference)), None)
        if compared is not None:
            return Observed(status, compared, compared=True)
    return Observed(status, revision)


def _last_pr(rt: Runtime, pipeline: Pipeline, promotion: Promotion) -> int | None:
    """The promotion's latest change PR (where its outcome is labelled when the current item has none)."""
    numbers = [
        run.pr_number
        for run in rt.store.runs(pipeline.name, promotion.id)
        if isinstance(run, ChangeRun) and run.pr_number is not None
    ]
    return numbers[-1] if numbers else None
