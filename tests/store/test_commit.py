"""Recording decisions: all of a commit or none of it; stage runs, runs, commands, holds and the event log
read back exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from promoter import ports
from promoter.adapters.store import SQLStore
from promoter.core.commands import Command, CommandKind
from promoter.core.model import ErrorKind, Event, EventKind, Hold, Phase, PipelineError, Promotion, RunKey
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, Run, StageRun, StageState
from tests.store.conftest import T0, ManualClock

MINUTE = dt.timedelta(minutes=1)
SHA = "a" * 40
FACTS = Facts((("Deployment/web-blue", 4), ("Deployment/web-green", 0)), "blue")


def state(store: SQLStore, pipeline: str = "web") -> tuple[object, ...]:
    """Everything the store holds for a pipeline, to compare before and after."""
    promotions = store.promotions(pipeline)
    ids = [promotion.id for promotion in promotions]
    stages = [store.stage_run(pipeline, each, stage) for each in ids for stage in range(3)]
    runs = [store.runs(pipeline, each) for each in ids]
    commands = [store.commands(pipeline, each) for each in ids]
    return promotions, stages, runs, commands, store.holds(pipeline), store.events(pipeline)


def merged(key: RunKey, at: dt.datetime) -> ChangeRun:
    return ChangeRun(key, ChangeState.MERGED, pr_number=12, merge_sha=SHA, merged_at=at)


def every_change_field(key: RunKey) -> ChangeRun:
    return ChangeRun(
        key,
        ChangeState.DONE,
        pr_number=12,
        merge_sha=SHA,
        merged_at=T0 + MINUTE,
        healthy_since=T0 + 2 * MINUTE,
        verified_at=T0 + 3 * MINUTE,
        skipped=True,
        blocked="web-prod: permission denied",
        approved_by="alice",
    )


def every_gate_field(key: RunKey) -> GateRun:
    return GateRun(
        key,
        GateState.PASSED,
        started_at=T0 + MINUTE,
        unverified_since=T0 + 2 * MINUTE,
        healthy_since=T0 + 3 * MINUTE,
        passed_at=T0 + 4 * MINUTE,
        passed_by="bob",
        blocked="web-prod: Argo CD unreachable",
    )


def test_a_commit_writes_every_kind_of_record(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    progressing = dataclasses.replace(
        promotion, phase=Phase.PROGRESSING, step=1, updated_at=T0 + MINUTE, reason="merged", paused=True
    )
    stage = StageRun(promotion.id, 0, StageState.RUNNING, FACTS)
    change = every_change_field(RunKey(promotion.id, 0, 0))
    gate = every_gate_field(RunKey(promotion.id, 0, 1))
    event = Event("web", promotion.id, T0 + MINUTE, EventKind.STEP_MERGED, "merged #12", {"pr": 12, "sha": SHA})
    hold = Hold("web", "1.4.0", "failed in prod", T0)

    store.commit(
        "web",
        ports.Changes(promotion=progressing, stage=stage, runs=(change, gate), events=(event,), holds=(hold,)),
    )

    assert store.promotion(promotion.id, "web") == progressing
    assert store.stage_run("web", promotion.id, 0) == stage
    assert store.runs("web", promotion.id) == [change, gate]
    assert store.events("web") == [event]
    assert store.holds("web") == [hold]


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(ChangeRun(RunKey("", 0, 0)), id="change-planned"),
        pytest.param(ChangeRun(RunKey("", 0, 0), ChangeState.OPEN, pr_number=7), id="change-open"),
        pytest.param(ChangeRun(RunKey("", 0, 0), ChangeState.DONE, skipped=True), id="change-skipped"),
        pytest.param(every_change_field(RunKey("", 0, 0)), id="change-every-field"),
        pytest.param(GateRun(RunKey("", 0, 0), started_at=T0), id="gate-waiting"),
        pytest.param(every_gate_field(RunKey("", 0, 0)), id="gate-every-field"),
    ],
)
def test_every_kind_of_run_reads_back_exactly(store: SQLStore, run: Run) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    run = dataclasses.replace(run, key=RunKey(promotion.id, 1, 2))

    store.commit("web", ports.Changes(runs=(run,)))

    assert store.runs("web", promotion.id) == [run]
    assert store.runs("web", promotion.id, 1) == [run]


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(None, id="not-read-yet"),
        pytest.param(Facts(), id="none-needed"),
        pytest.param(Facts((("Rollout/web", 10),)), id="replicas"),
        pytest.param(FACTS, id="replicas-and-colour"),
    ],
)
def test_a_stage_run_reads_back_exactly_with_its_facts(store: SQLStore, facts: Facts | None) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    stage = StageRun(promotion.id, 2, StageState.STUCK, facts, 31, "b" * 40, "web-prod: Degraded", "cli:carol")

    store.commit("web", ports.Changes(stage=stage))

    assert store.stage_run("web", promotion.id, 2) == stage


def test_a_stage_that_has_not_started_has_no_record(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    store.commit("web", ports.Changes(stage=StageRun(promotion.id, 0)))

    assert store.stage_run("web", promotion.id, 1) is None
    assert store.stage_run("api", promotion.id, 0) is None
    assert store.stage_run("web", "9.9.9-nothing", 0) is None


def test_a_commit_updates_the_records_it_names(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    change, gate = RunKey(promotion.id, 0, 0), RunKey(promotion.id, 0, 1)
    unverified = GateRun(gate, started_at=T0, unverified_since=T0 + MINUTE, blocked="web-prod: 403")
    store.commit(
        "web",
        ports.Changes(
            stage=StageRun(promotion.id, 0, facts=FACTS),
            runs=(merged(change, T0), unverified),
            holds=(Hold("web", "1.4.0", "first", T0),),
        ),
    )
    reverting = StageRun(promotion.id, 0, StageState.REVERTING, FACTS, 40, failure="soak: Degraded")
    done = dataclasses.replace(merged(change, T0), state=ChangeState.DONE, healthy_since=T0, verified_at=T0 + MINUTE)
    restarted = GateRun(gate, started_at=T0 + 2 * MINUTE)  # what was set and is None now is cleared
    later = Hold("web", "1.4.0", "failed again", T0 + MINUTE)
    failed = dataclasses.replace(promotion, phase=Phase.FAILED, stage=0, step=1, updated_at=T0 + MINUTE)

    store.commit("web", ports.Changes(promotion=failed, stage=reverting, runs=(done, restarted), holds=(later,)))

    assert store.promotions("web") == [failed]
    assert store.stage_run("web", promotion.id, 0) == reverting
    assert store.runs("web", promotion.id) == [done, restarted]
    assert store.holds("web") == [later]


def test_runs_are_ordered_by_stage_then_item(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    other = store.create_promotion("web", "1.6.0", T0)
    keys = [RunKey(promotion.id, stage, item) for stage, item in [(1, 0), (0, 2), (2, 0), (0, 10), (0, 1), (1, 3)]]
    runs = [GateRun(key) if key.item % 2 else ChangeRun(key) for key in keys]
    store.commit("web", ports.Changes(runs=(*runs, ChangeRun(other.key()))))

    assert [(r.key.stage, r.key.item) for r in store.runs("web", promotion.id)] == [
        (0, 1),
        (0, 2),
        (0, 10),
        (1, 0),
        (1, 3),
        (2, 0),
    ]
    assert [(r.key.stage, r.key.item) for r in store.runs("web", promotion.id, stage=1)] == [(1, 0), (1, 3)]
    assert [type(r) for r in store.runs("web", promotion.id, stage=0)] == [GateRun, ChangeRun, ChangeRun]
    assert store.runs("web", promotion.id, stage=5) == []
    assert store.runs("api", promotion.id) == []


def test_commands_are_pending_until_the_decision_that_consumes_them(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    other = store.create_promotion("web", "1.6.0", T0)
    in_paris = dt.timezone(dt.timedelta(hours=2))
    pause = store.add_command("web", promotion.id, CommandKind.PAUSE, "cli:alice", T0 + MINUTE)
    promote = store.add_command("web", promotion.id, CommandKind.PROMOTE, "bob", (T0 + 2 * MINUTE).astimezone(in_paris))
    elsewhere = store.add_command("web", other.id, CommandKind.ABORT, "carol", T0)

    assert pause == Command(pause.id, "web", promotion.id, CommandKind.PAUSE, "cli:alice", T0 + MINUTE)
    assert promote.at == T0 + 2 * MINUTE and promote.at.tzinfo is dt.UTC
    assert store.commands("web", promotion.id) == [pause, promote]

    paused = dataclasses.replace(promotion, paused=True, updated_at=T0 + 3 * MINUTE, reason="paused by cli:alice")
    event = Event("web", promotion.id, T0 + 3 * MINUTE, EventKind.PROMOTION_PAUSED, "paused by cli:alice")
    store.commit("web", ports.Changes(promotion=paused, events=(event,), consumed=(pause.id,)))

    assert store.commands("web", promotion.id) == [promote]
    assert store.promotion(promotion.id, "web") == paused
    assert store.events("web") == [event]
    assert store.commands("web", other.id) == [elsewhere]
    assert store.commands("api", promotion.id) == []


def test_every_command_kind_reads_back_oldest_first(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    added = [store.add_command("web", promotion.id, kind, "alice", T0) for kind in [*CommandKind, CommandKind.PAUSE]]

    assert store.commands("web", promotion.id) == added
    assert [c.kind for c in added] == [*CommandKind, CommandKind.PAUSE]
    assert len({c.id for c in added}) == len(added)


def test_a_command_of_another_pipeline_is_not_consumed(store: SQLStore) -> None:
    promotion = store.create_promotion("api", "1.5.0", T0)
    theirs = store.add_command("api", promotion.id, CommandKind.ABORT, "alice", T0)

    store.commit("web", ports.Changes(consumed=(theirs.id,)))

    assert store.commands("api", promotion.id) == [theirs]


@pytest.mark.parametrize(
    ("events", "consumed_at"),
    [
        pytest.param((T0 + MINUTE, T0 + 3 * MINUTE, T0 + 2 * MINUTE), T0 + 3 * MINUTE, id="its-latest-event"),
        pytest.param((), T0 + 10 * MINUTE, id="the-store-clock-without-events"),
    ],
)
def test_a_command_is_consumed_at_the_time_of_the_decision(
    open_store: Callable[..., SQLStore],
    database: sa.Engine,
    events: tuple[dt.datetime, ...],
    consumed_at: dt.datetime,
) -> None:
    store = open_store(clock=ManualClock(T0 + 10 * MINUTE))
    promotion = store.create_promotion("web", "1.5.0", T0)
    command = store.add_command("web", promotion.id, CommandKind.RESUME, "alice", T0)
    logged = tuple(Event("web", promotion.id, at, EventKind.PROMOTION_RESUMED, "resumed") for at in events)

    store.commit("web", ports.Changes(events=logged, consumed=(command.id,)))

    with database.connect() as conn:
        stored = conn.execute(sa.text("SELECT consumed_at FROM commands")).scalar_one()
    stored_at = stored if isinstance(stored, dt.datetime) else dt.datetime.fromisoformat(stored)
    assert stored_at == consumed_at


def test_a_naive_command_time_is_refused(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)

    with pytest.raises(ValueError, match="naive datetime"):
        store.add_command("web", promotion.id, CommandKind.PAUSE, "alice", dt.datetime(2024, 5, 1))  # noqa: DTZ001

    assert store.commands("web", promotion.id) == []


# the ways a commit breaks after (or while) writing everything else


def unserialisable_evidence(good: ports.Changes) -> tuple[ports.Changes, ...]:
    bad = Event("web", None, T0, EventKind.STEP_FAILED, "failed", {"measurement": object()})
    return (dataclasses.replace(good, events=(*good.events, bad)),)


def circular_evidence(good: ports.Changes) -> tuple[ports.Changes, ...]:
    loop: dict[str, object] = {}
    loop["self"] = loop
    bad = Event("web", None, T0, EventKind.STEP_FAILED, "failed", loop)
    return (dataclasses.replace(good, events=(*good.events, bad)),)


def naive_hold_time(good: ports.Changes) -> tuple[ports.Changes, ...]:
    bad = Hold("web", "1.5.0", "failed", dt.datetime(2024, 5, 1))  # noqa: DTZ001
    return (dataclasses.replace(good, holds=(*good.holds, bad)),)


def naive_run_time(good: ports.Changes) -> tuple[ports.Changes, ...]:
    assert good.stage is not None
    bad = GateRun(RunKey(good.stage.promotion, 0, 5), started_at=dt.datetime(2024, 5, 1))  # noqa: DTZ001
    return (dataclasses.replace(good, runs=(*good.runs, bad)),)


def run_of_an_unknown_promotion_next(good: ports.Changes) -> tuple[ports.Changes, ...]:
    return good, ports.Changes(runs=(ChangeRun(RunKey("not-a-promotion", 0, 0)),))


def stage_of_an_unknown_promotion_next(good: ports.Changes) -> tuple[ports.Changes, ...]:
    return good, ports.Changes(stage=StageRun("not-a-promotion", 0))


@pytest.mark.parametrize(
    ("breaks", "error"),
    [
        pytest.param(unserialisable_evidence, TypeError, id="evidence-not-json"),
        pytest.param(circular_evidence, TypeError, id="evidence-circular"),
        pytest.param(naive_hold_time, ValueError, id="naive-hold-time"),
        pytest.param(naive_run_time, ValueError, id="naive-run-time"),
        pytest.param(run_of_an_unknown_promotion_next, sa.exc.IntegrityError, id="next-run-of-unknown-promotion"),
        pytest.param(stage_of_an_unknown_promotion_next, sa.exc.IntegrityError, id="next-stage-of-unknown-promotion"),
    ],
)
def test_a_commit_that_fails_midway_writes_nothing(
    store: SQLStore, breaks: Callable[[ports.Changes], tuple[ports.Changes, ...]], error: type[Exception]
) -> None:
    promotion = store.create_promotion("web", "1.5.0", T0)
    command = store.add_command("web", promotion.id, CommandKind.PAUSE, "alice", T0)
    store.commit(
        "web",
        ports.Changes(
            stage=StageRun(promotion.id, 0, facts=Facts()),
            runs=(merged(promotion.key(), T0),),
            holds=(Hold("web", "1.3.0", "old", T0),),
            events=(Event("web", None, T0, EventKind.PROMOTION_STARTED, "b"),),
        ),
    )
    before = state(store)
    # every kind of record comes before the failing part
    good = ports.Changes(
        promotion=dataclasses.replace(promotion, phase=Phase.FAILED, paused=True),
        stage=StageRun(promotion.id, 0, StageState.REVERTING, FACTS, 9, failure="Degraded"),
        runs=(every_change_field(promotion.key()), GateRun(RunKey(promotion.id, 0, 1), started_at=T0)),
        events=(Event("web", promotion.id, T0, EventKind.STEP_FAILED, "Degraded"),),
        holds=(Hold("web", "1.5.0", "Degraded", T0),),
        unholds=(("web", "1.3.0"),),
        consumed=(command.id,),
    )

    with pytest.raises(error):
        store.commit("web", *breaks(good))

    assert state(store) == before
    assert store.commands("web", promotion.id) == [command]


def test_a_commit_naming_another_pipeline_is_refused(store: SQLStore) -> None:
    promotion = store.create_promotion("api", "1.0", T0)

    with pytest.raises(ValueError, match="other pipelines: api"):
        store.commit("web", ports.Changes(promotion=promotion))
    with pytest.raises(ValueError, match="other pipelines: api"):
        store.commit("web", ports.Changes(unholds=(("api", "1.0"),)))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda missing: ports.Changes(runs=(ChangeRun(missing),)), id="change"),
        pytest.param(lambda missing: ports.Changes(runs=(GateRun(missing, started_at=T0),)), id="gate"),
        pytest.param(lambda missing: ports.Changes(stage=StageRun(missing.promotion, 0)), id="stage"),
    ],
)
@pytest.mark.parametrize("another_pipeline", [False, True], ids=["unknown", "of-another-pipeline"])
def test_a_run_of_an_unknown_promotion_is_refused(
    store: SQLStore, changes: Callable[[RunKey], ports.Changes], another_pipeline: bool
) -> None:
    """The foreign key: a promotion of another pipeline is unknown in this one too."""
    promotion = store.create_promotion("api", "1.0", T0).id if another_pipeline else "9.9.9-nothing"
    missing = RunKey(promotion, 0, 0)

    with pytest.raises(sa.exc.IntegrityError):
        store.commit("web", changes(missing))

    assert store.runs("web", promotion) == []
    assert store.stage_run("web", promotion, 0) is None


def test_several_changes_commit_together_or_not_at_all(store: SQLStore) -> None:
    """A rebuilt store is written in one transaction: a crash midway must not leave half a history."""
    first = Promotion("1.0-a", "web", "1.0", Phase.SUCCEEDED, 1, 0, T0, T0, "rebuilt")
    second = Promotion("1.1-b", "web", "1.1", Phase.PROGRESSING, 0, 0, T0 + MINUTE, T0, "rebuilt")
    rebuilt = (StageRun("1.1-b", 0, facts=Facts()), merged(second.key(), T0))
    broken = ChangeRun(RunKey("not-a-promotion", 0, 0), ChangeState.DONE)
    with pytest.raises(sa.exc.IntegrityError):
        store.commit(
            "web",
            ports.Changes(promotion=first),
            ports.Changes(promotion=second, stage=rebuilt[0], runs=(rebuilt[1], broken)),
        )
    assert state(store) == ([], [], [], [], [], [])
    assert not store.known("web")

    held = Hold("web", "1.1", "Degraded", T0)
    store.commit(
        "web",
        ports.Changes(promotion=first),
        ports.Changes(promotion=second, stage=rebuilt[0], runs=(rebuilt[1],), holds=(held,)),
    )
    assert [p.id for p in store.promotions("web")] == ["1.1-b", "1.0-a"]
    assert store.stage_run("web", "1.1-b", 0) == rebuilt[0]
    assert store.runs("web", "1.1-b") == [rebuilt[1]]
    assert store.known("web") and not store.known("api")


def test_a_hold_alone_makes_a_pipeline_known(store: SQLStore) -> None:
    store.commit("web", ports.Changes(holds=(Hold("web", "1.1", "Degraded", T0),)))
    assert store.known("web")


def test_holds_and_unholds(store: SQLStore) -> None:
    store.commit("web", ports.Changes(holds=(Hold("web", "1.5.0", "b", T0 + MINUTE), Hold("web", "1.4.0", "a", T0))))
    store.commit("api", ports.Changes(holds=(Hold("api", "1.5.0", "c", T0),)))

    assert [h.version for h in store.holds("web")] == ["1.4.0", "1.5.0"]

    store.commit("web", ports.Changes(unholds=(("web", "1.4.0"), ("web", "never-held"))))

    assert store.holds("web") == [Hold("web", "1.5.0", "b", T0 + MINUTE)]
    assert store.holds("api") == [Hold("api", "1.5.0", "c", T0)]


def test_events_are_oldest_first_and_the_last_limit(store: SQLStore) -> None:
    kinds = list(EventKind)
    web = [Event("web", "1.0-1" if n % 2 else None, T0 + n * MINUTE, kinds[n], f"message {n}") for n in range(10)]
    other = Event("api", "1.0-1", T0, EventKind.COMMAND_REFUSED, "other")
    store.commit("web", ports.Changes(events=tuple(web)))
    store.commit("api", ports.Changes(events=(other,)))

    assert store.events("web") == web
    assert store.events("web", limit=3) == web[-3:]
    assert store.events("web", limit=0) == []
    assert store.events("web", "1.0-1", limit=2) == [web[7], web[9]]
    assert store.events(promotion_id="1.0-1") == [web[1], web[3], web[5], web[7], web[9], other]
    assert len(store.events()) == 11


def test_every_event_kind_reads_back(store: SQLStore) -> None:
    logged = [Event("web", None, T0, kind, kind.value) for kind in EventKind]
    store.commit("web", ports.Changes(events=tuple(logged)))

    assert store.events("web", limit=len(logged)) == logged


def test_events_keep_the_order_they_were_recorded_in(store: SQLStore) -> None:
    """The log's order is the order of commits, even when a late event carries an earlier time."""
    late = Event("web", None, T0 + MINUTE, EventKind.STEP_VERIFIED, "")
    early = Event("web", None, T0, EventKind.STEP_MERGED, "")
    store.commit("web", ports.Changes(events=(late,)))
    store.commit("web", ports.Changes(events=(early,)))

    assert store.events("web") == [late, early]


def test_evidence_round_trips_as_json(store: SQLStore) -> None:
    evidence: dict[str, object] = {"verdict": "Failed", "values": [0.5, None, True], "nested": {"app": "web-prod"}}
    store.commit("web", ports.Changes(events=(Event("web", None, T0, EventKind.STEP_FAILED, "m", evidence),)))
    store.commit("web", ports.Changes(events=(Event("web", None, T0, EventKind.STEP_FAILED, "m", {"v": math.nan}),)))

    first, with_nan = store.events("web")
    assert first.evidence == evidence
    value = with_nan.evidence["v"]
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
    change = ChangeRun(
        RunKey(promotion.id, 0, 0), ChangeState.DONE, merged_at=moment, healthy_since=moment, verified_at=moment
    )
    gate = GateRun(
        RunKey(promotion.id, 0, 1), started_at=moment, unverified_since=moment, healthy_since=moment, passed_at=moment
    )
    command = store.add_command("web", promotion.id, CommandKind.PAUSE, "alice", moment)
    store.commit(
        "web",
        ports.Changes(
            runs=(change, gate),
            holds=(Hold("web", "0.9", "r", moment),),
            events=(Event("web", None, moment, EventKind.PROMOTION_STARTED, "m"),),
        ),
    )

    stored_change, stored_gate = store.runs("web", promotion.id)
    assert isinstance(stored_change, ChangeRun) and isinstance(stored_gate, GateRun)
    times = [
        store.promotions("web")[0].created_at,
        store.promotions("web")[0].updated_at,
        stored_change.merged_at,
        stored_change.healthy_since,
        stored_change.verified_at,
        stored_gate.started_at,
        stored_gate.unverified_since,
        stored_gate.healthy_since,
        stored_gate.passed_at,
        command.at,
        store.commands("web", promotion.id)[0].at,
        store.holds("web")[0].at,
        store.events("web")[0].at,
    ]
    for time in times:
        assert time == moment
        assert time is not None and time.tzinfo is dt.UTC


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
