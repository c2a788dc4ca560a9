"""A stage that names no Applications: the shell finds those deploying its files as it starts; the stage
waits on exactly those, kept in its facts for the whole stage (and so across a restart)."""

from __future__ import annotations

import dataclasses

from promoter.core import plan as plans
from promoter.core.actions import Record
from promoter.core.appstatus import Health
from promoter.core.decide import decide
from promoter.core.model import Pipeline
from promoter.core.needs import needs
from promoter.core.runs import ChangeState, Facts, StageRun, StageState
from promoter.core.snapshot import Snapshot
from tests.core.builders import ID, PIPELINE, at, change, promotion, snap, stage_run
from tests.core.test_decide import STAGING_DEPLOYED, apps

UNNAMED = dataclasses.replace(PIPELINE.stage(0), applications=())
DERIVING = Pipeline("guestbook", (UNNAMED,))
FOUND = ("guestbook-staging", "guestbook-staging-eu")


def starting(derived: tuple[str, ...] | str | None) -> Snapshot:
    return Snapshot(now=at(0), stage=None, found={}, derived=derived, base_sha="b" * 40)


def test_needs_asks_for_them_only_as_a_stage_that_names_none_starts() -> None:
    assert needs(DERIVING, promotion(), None, {}).derive
    assert not needs(PIPELINE, promotion(), None, {}).derive
    assert not needs(DERIVING, promotion(), stage_run(0, facts=Facts(applications=FOUND)), {}).derive


def test_the_stage_starts_with_the_ones_found_in_its_facts() -> None:
    decision = decide(DERIVING, promotion(), starting(FOUND))
    (record,) = [a for a in decision.actions if isinstance(a, Record)]
    assert record.changes.stage is not None
    assert record.changes.stage.facts == Facts(applications=FOUND)


def test_it_waits_until_they_are_found_and_refuses_to_start_without_any() -> None:
    assert decide(DERIVING, promotion(), starting(None)).actions == ()
    refused = decide(DERIVING, promotion(), starting("no Argo CD Application in the repo deploys ..."))
    record = next(a for a in refused.actions if isinstance(a, Record))
    assert record.changes.promotion is not None
    assert "cannot start: no Argo CD Application" in record.changes.promotion.reason


def test_the_stage_waits_on_every_one_found() -> None:
    facts = Facts(applications=FOUND)
    merged = change(ChangeState.MERGED)
    record = StageRun(ID, 0, StageState.RUNNING, facts)
    asked = needs(DERIVING, promotion(), record, {0: merged})
    assert asked.apps == FOUND
    seen = apps(*FOUND)
    decision = decide(DERIVING, promotion(), snap(10, merged, stage=record, apps=seen, deployed=STAGING_DEPLOYED))
    healthy = next(a for a in decision.actions if isinstance(a, Record))
    assert healthy.changes.runs[0].healthy_since is not None  # both seen verified: the debounce starts
    only_one = {FOUND[0]: seen[FOUND[0]]}
    waiting = decide(DERIVING, promotion(), snap(10, merged, stage=record, apps=only_one, deployed=STAGING_DEPLOYED))
    assert not any(
        isinstance(a, Record) and a.changes.runs and a.changes.runs[0].healthy_since for a in waiting.actions
    )
    one_degraded = {**seen, FOUND[1]: apps(FOUND[1], health=Health.DEGRADED)[FOUND[1]]}
    failed = decide(DERIVING, promotion(), snap(10, merged, stage=record, apps=one_degraded, deployed=STAGING_DEPLOYED))
    failing = next(a for a in failed.actions if isinstance(a, Record))
    assert failing.changes.stage is not None and failing.changes.stage.state is StageState.REVERTING


def test_the_pipeline_as_it_runs_names_them() -> None:
    facts = Facts(applications=FOUND)
    assert plans.with_applications(DERIVING, 0, facts).stage(0).applications == FOUND
    assert plans.with_applications(DERIVING, 0, None) is DERIVING
    assert plans.with_applications(PIPELINE, 0, facts) is PIPELINE  # named ones are never replaced


def test_facts_keep_them_through_the_store() -> None:
    facts = Facts((("Deployment/a", 2),), "blue", FOUND)
    assert Facts.from_json(facts.to_json()) == facts
    assert Facts.from_json('{"applications": "not a list"}') == Facts()
    assert Facts.from_json("[1]") == Facts()
