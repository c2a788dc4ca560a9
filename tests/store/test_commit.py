"""Recording decisions: all of a commit or none of it; steps, holds and the event log read back exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from promoter import ports
from promoter.adapters.store import SQLStore
from promoter.core.model import ErrorKind, Event, Hold, Phase, PipelineError, Promotion, Step, StepKey, StepState
from tests.store.conftest import T0

MINUTE = dt.timedelta(minutes=1)


def state(store: SQLStore, pipeline: str = "web") -> tuple[object, ...]:
    """Everything the store holds for a pipeline, to compare before and after."""
    promotions = store.promotions(pipeline)
    steps = [store.steps(pipeline, promotion.id) for promotion in promotions]
    return promotions, steps, store.holds(pipeline), store.events(pipeline)


def merged(key: StepKey, at: dt.datetime) -> Step:
    return Step(key, StepState.MERGED, pr_number=12, merge_sha="a" * 40, merged_at=at)


def test_a_commit_writes_every_kind_of_record(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    progressing = dataclasses.replace(promotion, phase=Phase.PROGRESSING, updated_at=T0 + MINUTE, reason="merged")
    step = merged(promotion.key(), T0 + MINUTE)
    event = Event("web", promotion.id, T0 + MINUTE, "step_merged", "merged #12", {"pr": 12, "sha": "a" * 40})
    hold = Hold("web", "1.4.0", "failed in prod", T0)

    store.commit("web", ports.Changes(promotion=progressing, steps=(step,), events=(event,), holds=(hold,)))

    assert store.promotion(promotion.id, "web") == progressing
    assert store.step("web", promotion.key()) == step
    assert store.events("web") == [event]
    assert store.holds("web") == [hold]


def test_a_commit_updates_the_records_it_names(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    key = promotion.key()
    store.commit("web", ports.Changes(steps=(merged(key, T0),), holds=(Hold("web", "1.4.0", "first", T0),)))
    verified = dataclasses.replace(merged(key, T0), state=StepState.VERIFIED, healthy_since=T0, verified_at=T0 + MINUTE)
    later = Hold("web", "1.4.0", "failed again", T0 + MINUTE)
    done = dataclasses.replace(promotion, phase=Phase.SUCCEEDED, stage=2, step=1, updated_at=T0 + MINUTE)

    store.commit("web", ports.Changes(promotion=done, steps=(verified,), holds=(later,)))

    assert store.promotions("web") == [done]
    assert store.steps("web", promotion.id) == [verified]
    assert store.holds("web") == [later]


def unserialisable_evidence(promotion: Promotion) -> ports.Changes:
    bad = Event("web", promotion.id, T0, "step_failed", "failed", {"measurement": object()})
    return ports.Changes(events=(Event("web", promotion.id, T0, "fine", "fine"), bad))


def naive_hold_time(promotion: Promotion) -> ports.Changes:
    return ports.Changes(holds=(Hold("web", "1.5.0", "failed", dt.datetime(2024, 5, 1)),))  # noqa: DTZ001


def circular_evidence(promotion: Promotion) -> ports.Changes:
    loop: dict[str, object] = {}
    loop["self"] = loop
    return ports.Changes(events=(Event("web", promotion.id, T0, "step_failed", "failed", loop),))


@pytest.mark.parametrize(
    ("breaks", "error"),
    [
        pytest.param(unserialisable_evidence, TypeError, id="evidence-not-json"),
        pytest.param(circular_evidence, TypeError, id="evidence-circular"),
        pytest.param(naive_hold_time, ValueError, id="naive-hold-time"),
    ],
)
def test_a_commit_that_fails_midway_writes_nothing(
    store: SQLStore, breaks: Callable[[Promotion], ports.Changes], error: type[Exception]
) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    store.commit(
        "web", ports.Changes(holds=(Hold("web", "1.3.0", "old", T0),), events=(Event("web", None, T0, "a", "b"),))
    )
    before = state(store)
    # the promotion, a step and an unhold come before the failing part, in one commit
    failing = breaks(promotion)
    changes = dataclasses.replace(
        failing,
        promotion=dataclasses.replace(promotion, phase=Phase.FAILED),
        steps=(merged(promotion.key(), T0),),
        unholds=(("web", "1.3.0"),),
    )

    with pytest.raises(error):
        store.commit("web", changes)

    assert state(store) == before
    assert store.step("web", promotion.key()) == Step(promotion.key())


def test_a_commit_naming_another_pipeline_is_refused(store: SQLStore) -> None:
    promotion = store.create_promotion("api", "1.0", T0)

    with pytest.raises(ValueError, match="other pipelines: api"):
        store.commit("web", ports.Changes(promotion=promotion))
    with pytest.raises(ValueError, match="other pipelines: api"):
        store.commit("web", ports.Changes(unholds=(("api", "1.0"),)))


def test_a_step_without_a_record_is_planned(store: SQLStore) -> None:
    key = StepKey("1.5.0-1", 1, 2)

    assert store.step("web", key) == Step(key, StepState.PLANNED)


def test_steps_are_ordered_by_stage_then_step(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    other = store.create_promotion("web", "1.6.0", T0)
    keys = [StepKey(promotion.id, stage, step) for stage, step in [(1, 0), (0, 2), (2, 0), (0, 10), (0, 1)]]
    store.commit("web", ports.Changes(steps=(*[Step(key) for key in keys], Step(other.key()))))

    assert [(s.key.stage, s.key.step) for s in store.steps("web", promotion.id)] == [
        (0, 1),
        (0, 2),
        (0, 10),
        (1, 0),
        (2, 0),
    ]
    assert store.steps("api", promotion.id) == []


def test_holds_and_unholds(store: SQLStore) -> None:
    store.commit("web", ports.Changes(holds=(Hold("web", "1.5.0", "b", T0 + MINUTE), Hold("web", "1.4.0", "a", T0))))
    store.commit("api", ports.Changes(holds=(Hold("api", "1.5.0", "c", T0),)))

    assert [h.version for h in store.holds("web")] == ["1.4.0", "1.5.0"]

    store.commit("web", ports.Changes(unholds=(("web", "1.4.0"), ("web", "never-held"))))

    assert store.holds("web") == [Hold("web", "1.5.0", "b", T0 + MINUTE)]
    assert store.holds("api") == [Hold("api", "1.5.0", "c", T0)]


def test_events_are_oldest_first_and_the_last_limit(store: SQLStore) -> None:
    web = [Event("web", "1.0-1" if n % 2 else None, T0 + n * MINUTE, f"kind_{n}", f"message {n}") for n in range(10)]
    store.commit("web", ports.Changes(events=tuple(web)))
    store.commit("api", ports.Changes(events=(Event("api", "1.0-1", T0, "other", "other"),)))

    assert store.events("web") == web
    assert store.events("web", limit=3) == web[-3:]
    assert store.events("web", limit=0) == []
    assert store.events("web", "1.0-1", limit=2) == [web[7], web[9]]
    assert [e.kind for e in store.events(promotion_id="1.0-1")] == [
        "kind_1",
        "kind_3",
        "kind_5",
        "kind_7",
        "kind_9",
        "other",
    ]
    assert len(store.events()) == 11


def test_events_keep_the_order_they_were_recorded_in(store: SQLStore) -> None:
    """The log's order is the order of commits, even when a late event carries an earlier time."""
    late = Event("web", None, T0 + MINUTE, "late", "")
    early = Event("web", None, T0, "early", "")
    store.commit("web", ports.Changes(events=(late,)))
    store.commit("web", ports.Changes(events=(early,)))

    assert store.events("web") == [late, early]


def test_evidence_round_trips_as_json(store: SQLStore) -> None:
    evidence: dict[str, object] = {"verdict": "Failed", "values": [0.5, None, True], "nested": {"app": "web-prod"}}
    store.commit("web", ports.Changes(events=(Event("web", None, T0, "k", "m", evidence),)))
    store.commit("web", ports.Changes(events=(Event("web", None, T0, "nan", "m", {"value": math.nan}),)))

    first, with_nan = store.events("web")
    assert first.evidence == evidence
    value = with_nan.evidence["value"]
    assert isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC), id="utc-microseconds"),
        pytest.param(dt.datetime(2024, 3, 31, 2, 30, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=-7))), id="offset"),
        pytest.param(
            dt.datetime(1999, 12, 31, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45))), id="odd-offset"
        ),
    ],
)
def test_datetimes_round_trip_aware_in_utc(store: SQLStore, moment: dt.datetime) -> None:
    promotion = store.create_promotion("web", "1.0", moment)
    step = Step(promotion.key(), StepState.VERIFIED, merged_at=moment, healthy_since=moment, verified_at=moment)
    store.commit(
        "web",
        ports.Changes(
            steps=(step,), holds=(Hold("web", "0.9", "r", moment),), events=(Event("web", None, moment, "k", "m"),)
        ),
    )

    stored = store.step("web", promotion.key())
    times = [
        store.promotions("web")[0].created_at,
        store.promotions("web")[0].updated_at,
        stored.merged_at,
        stored.healthy_since,
        stored.verified_at,
        store.holds("web")[0].at,
        store.events("web")[0].at,
    ]
    for time in times:
        assert time == moment
        assert time is not None and time.tzinfo is dt.UTC


def test_a_step_of_an_unknown_promotion_is_refused(store: SQLStore) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        store.commit("web", ports.Changes(steps=(Step(StepKey("9.9.9-1", 0, 0)),)))

    assert store.steps("web", "9.9.9-1") == []


def test_several_changes_commit_together_or_not_at_all(store: SQLStore) -> None:
    """A rebuilt store is written in one transaction: a crash midway must not leave half a history."""
    first = Promotion("1.0-a", "web", "1.0", Phase.SUCCEEDED, 1, 0, T0, T0, "rebuilt")
    second = Promotion("1.1-b", "web", "1.1", Phase.PROGRESSING, 0, 0, T0 + MINUTE, T0, "rebuilt")
    broken = Step(StepKey("not-a-promotion", 0, 0), StepState.DONE)
    with pytest.raises(sa.exc.IntegrityError):
        store.commit("web", ports.Changes(promotion=first), ports.Changes(promotion=second, steps=(broken,)))
    assert state(store) == ([], [], [], [])
    assert not store.known("web")

    held = Hold("web", "1.1", "Degraded", T0)
    store.commit("web", ports.Changes(promotion=first), ports.Changes(promotion=second, holds=(held,)))
    assert [p.id for p in store.promotions("web")] == ["1.1-b", "1.0-a"]
    assert store.known("web") and not store.known("api")


def test_a_hold_alone_makes_a_pipeline_known(store: SQLStore) -> None:
    store.commit("web", ports.Changes(holds=(Hold("web", "1.1", "Degraded", T0),)))
    assert store.known("web")


def test_refreshes_owed_to_argocd_are_kept_until_asked(store: SQLStore) -> None:
    store.want_refresh("web", ["app-staging", "app-prod"], T0)
    store.want_refresh("web", ["app-staging"], T0 + MINUTE)  # once is enough
    store.want_refresh("api", ["api-staging"], T0)
    assert store.pending_refreshes("web") == ["app-prod", "app-staging"]
    store.refreshed("web", "app-staging")
    store.refreshed("web", "app-staging")  # idempotent
    assert store.pending_refreshes("web") == ["app-prod"]
    assert store.pending_refreshes("api") == ["api-staging"]


def test_a_pipelines_current_error_is_kept_with_since_when(store: SQLStore) -> None:
    error = PipelineError("web", ErrorKind.CREDENTIALS, "GitHub refused the token (401)", T0, T0 + MINUTE)
    store.set_error("web", error)
    store.set_error("api", dataclasses.replace(error, pipeline="api", kind=ErrorKind.TEMPORARY))
    assert store.errors()["web"] == error
    later = dataclasses.replace(error, seen_at=T0 + 5 * MINUTE)
    store.set_error("web", later)
    assert store.errors()["web"] == later
    store.set_error("web", None)
    assert set(store.errors()) == {"api"}
