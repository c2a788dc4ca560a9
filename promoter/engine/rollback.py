"""``promoter rollback PIPELINE``: the newest promotion's last stage reverted (:mod:`promoter.core.rollback`).

Its success is taken off the forge first (the outcome label on its PRs), so that a store rebuilt meanwhile
does not find it Succeeded; then the store marks the stage Reverting and the bot's next pass reverts it. Each
step is idempotent: after a crash, run it again.
"""

from __future__ import annotations

from promoter import logs
from promoter.core import markers, rollback
from promoter.core.markers import Outcome
from promoter.core.model import Pipeline, Promotion
from promoter.engine import rebuild
from promoter.engine.exclusive import exclusive
from promoter.engine.runtime import Runtime

log = logs.get("promoter.rollback")

RollbackRefused = rollback.RollbackRefused


def roll_back(rt: Runtime, pipeline: Pipeline, by: str) -> Promotion:
    """Mark the newest promotion's last stage for reverting; the promotion as it now stands."""
    with exclusive(rt, pipeline.name):
        return _roll_back(rt, pipeline, by)


def _roll_back(rt: Runtime, pipeline: Pipeline, by: str) -> Promotion:
    rebuild.ensure(rt, pipeline)
    promotions = rt.store.promotions(pipeline.name)  # newest first
    last = promotions[0] if promotions else None
    record = rt.store.stage_run(pipeline.name, last.id, last.stage) if last else None
    runs = rt.store.runs(pipeline.name, last.id, last.stage) if last else []
    changes = rollback.rollback(pipeline, promotions, record, runs, by, rt.clock.now())
    assert last is not None  # refused above otherwise
    assert changes.promotion is not None
    for pr in rt.forge.marked_prs():
        marker = markers.parse(pr.body)
        if marker is not None and marker.promotion == last.id and Outcome.SUCCEEDED.value in pr.labels:
            rt.forge.remove_labels(pr.number, (Outcome.SUCCEEDED.value,))
    rt.store.commit(pipeline.name, changes)
    log.warning("rollback_started", pipeline=pipeline.name, promotion=last.id, version=last.version, by=by)
    return changes.promotion
