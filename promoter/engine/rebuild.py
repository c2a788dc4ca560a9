"""Rebuilding a lost store from the forge and the config repo, once per process and pipeline.

The store is a cache (a new CI workspace, a lost volume, a copied config directory all start empty). When it
holds nothing of a pipeline, promoter reads what it wrote outside the store (PR markers and labels, commit
statuses, commit trailers), restores the promotions, their steps and the holds (:mod:`promoter.core.history`
decides what they were), says so in the log, and then carries on exactly as if nothing had been lost.
"""

from __future__ import annotations

from promoter import logs
from promoter.core import history
from promoter.core.model import Pipeline
from promoter.engine.runtime import Runtime

log = logs.get("promoter.rebuild")


def ensure(rt: Runtime, pipeline: Pipeline) -> None:
    """Rebuild the pipeline's records if the store holds none of them (checked once per process)."""
    if pipeline.name in rt.known:
        return
    if rt.store.known(pipeline.name):
        rt.known.add(pipeline.name)
        return
    rt.repo.fetch(pipeline.base_branch)
    prs = tuple(rt.marked_prs())
    trails = tuple(rt.repo.trails(pipeline.base_branch, pipeline.name))
    found = history.Found(prs, {}, trails)
    statuses = {}
    for sha in history.needs_statuses(pipeline, found):
        status = rt.forge.commit_status(sha)
        if status is not None:
            statuses[sha] = status
    found = history.Found(prs, statuses, trails)
    changes = history.rebuild(pipeline, found, rt.clock.now())
    if changes:
        rt.store.commit(pipeline.name, *changes)
        restored = [c.promotion for c in changes if c.promotion is not None]
        log.warning(
            "store_rebuilt",
            pipeline=pipeline.name,
            message="the store held nothing of this pipeline; rebuilt it from the forge and the config repo",
            promotions={p.id: p.phase.value for p in restored},
            holds=sorted({h.version for c in changes for h in c.holds}),
        )
    rt.known.add(pipeline.name)
