"""``promoter retry PIPELINE``: the version the pipeline's last promotion failed with is promoted again.

A failed (or aborted) promotion holds its version: promoter never promotes it again by itself. A person who
has fixed the cause lifts the hold this way. The hold lives on the forge too (the ``promoter:held`` label on
the promotion's PRs, which a rebuilt store reads), so it is lifted there first, then in the store with the
new promotion's start; each step is idempotent, so a crash in between loses nothing: run it again.
"""

from __future__ import annotations

from promoter import logs
from promoter.core import markers
from promoter.core.changes import Changes
from promoter.core.model import Event, EventKind, Phase, Pipeline, Promotion
from promoter.engine import rebuild
from promoter.engine.exclusive import exclusive
from promoter.engine.runtime import Runtime

log = logs.get("promoter.retry")


class NothingToRetry(Exception):
    """The pipeline has no held version to retry now; the message says why and what to do instead."""


def retry(rt: Runtime, pipeline: Pipeline, by: str) -> tuple[Promotion, Promotion]:
    """Lift the hold of the pipeline's last promotion and start its version again: (the old one, the new)."""
    with exclusive(rt, pipeline.name):
        return _retry(rt, pipeline, by)


def _retry(rt: Runtime, pipeline: Pipeline, by: str) -> tuple[Promotion, Promotion]:
    rebuild.ensure(rt, pipeline)  # a lost store is rebuilt first: it knows the holds again
    promotions = rt.store.promotions(pipeline.name)  # newest first
    running = [p for p in promotions if not p.phase.finished]
    if running:
        raise NothingToRetry(f"{pipeline.name} has a promotion in progress ({running[0].id}): abort it first")
    if not promotions:
        raise NothingToRetry(f"{pipeline.name} has no promotion to retry")
    last = promotions[0]
    held = next((h for h in rt.store.holds(pipeline.name) if h.version == last.version), None)
    if last.phase is Phase.SUCCEEDED or held is None:
        raise NothingToRetry(
            f"{pipeline.name}'s last promotion {last.id} ended {last.phase.value} and {last.version} is not on "
            f"hold: `promoter start {pipeline.name} --version {last.version}` promotes it"
        )
    for pr in rt.forge.marked_prs():
        marker = markers.parse(pr.body)
        mine = marker is not None and marker.pipeline == pipeline.name and marker.version == last.version
        if mine and markers.HELD in pr.labels:
            rt.forge.remove_labels(pr.number, (markers.HELD,))
    now = rt.clock.now()
    message = f"{last.version}: hold lifted by {by} (it was held: {held.reason})"
    event = Event(pipeline.name, last.id, now, EventKind.HOLD_LIFTED, message, {"by": by})
    rt.store.commit(pipeline.name, Changes(events=(event,), unholds=((pipeline.name, last.version),)))
    log.warning("hold_lifted", pipeline=pipeline.name, version=last.version, by=by, promotion=last.id)
    return last, rt.store.create_promotion(pipeline.name, last.version, now)
