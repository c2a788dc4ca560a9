"""Analysis measurements in the store: stored once with their event, read back exactly, by stage, with their
promotion; and a version-3 database upgraded to hold them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from promoter import ports
from promoter.adapters.store import SQLStore
from promoter.core.commands import Command, CommandKind
from promoter.core.measurements import MeasureKey, Measurement, Result
from promoter.core.model import Event, EventKind, Hold, Phase, Promotion, RunKey
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, StageRun, StageState
from tests.store import legacy
from tests.store.conftest import T0

SECOND = dt.timedelta(seconds=1)
NAN, INF = math.nan, math.inf


def taken(run: str = "0:1", metric: str = "success-rate", index: int = 0, **fields: object) -> Measurement:
    at = T0 + index * 60 * SECOND
    values: dict[str, object] = {"value": (0.99,), **fields}
    return Measurement(MeasureKey(run, metric, index), at, **values)  # type: ignore[arg-type]


def measured(promotion: Promotion, measurement: Measurement, message: str = "") -> Event:
    """The ``measured`` event the shell writes with a measurement (its evidence as the shell builds it)."""
    key = measurement.key
    evidence: dict[str, object] = {
        "stage": "prod",
        "step": 1,
        "run": key.run,
        "metric": key.metric,
        "index": key.index,
        "value": list(measurement.value) if isinstance(measurement.value, tuple) else measurement.value,
        "error": measurement.error,
    }
    text = message or f"{key.metric} #{key.index + 1}"
    return Event(promotion.pipeline, promotion.id, measurement.taken_at, EventKind.MEASURED, text, evidence)


def add(store: SQLStore, promotion: Promotion, measurement: Measurement) -> bool:
    return store.add_measurement(promotion.pipeline, promotion.id, measurement, measured(promotion, measurement))


def same_result(a: Result | None, b: Result | None) -> bool:
    """Equal, NaN equal to NaN (and nothing else): what "read back exactly" means for a float."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b and type(a) is type(b)


def same(a: Measurement, b: Measurement) -> bool:
    return (
        (a.key, a.taken_at, a.error) == (b.key, b.taken_at, b.error)
        and same_result(a.value, b.value)
        and same_result(a.baseline, b.baseline)
        and same_result(a.traffic, b.traffic)
    )


# stored once -----------------------------------------------------------------------------------------------


def test_a_measurement_is_stored_with_its_event(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.0", T0)
    first = taken()

    assert add(store, promotion, first)

    assert store.measurements("web", promotion.id, 0) == [first]
    assert store.events("web", promotion.id) == [measured(promotion, first)]


def test_the_same_key_again_changes_nothing(store: SQLStore) -> None:
    """A retry after a crash (or a concurrent pass) never counts a measurement twice: the first is the truth."""
    promotion = store.create_promotion("web", "1.0", T0)
    first = taken(value=(0.99,))
    assert add(store, promotion, first)

    retry = dataclasses.replace(first, taken_at=T0 + 5 * SECOND, value=(0.1,), traffic=(3.0,))
    event = measured(promotion, retry, "the retry's event")
    assert store.add_measurement("web", promotion.id, retry, event) is False
    assert store.add_measurement("web", promotion.id, first, measured(promotion, first)) is False

    assert store.measurements("web", promotion.id, 0) == [first]
    assert store.events("web", promotion.id) == [measured(promotion, first)]  # one event, the first's


def test_concurrent_writers_store_one(open_store: Callable[..., SQLStore]) -> None:
    """Two replicas measuring the same thing at once: one adds it (and its event), the other is told no."""
    promotion = open_store().create_promotion("web", "1.0", T0)
    stores = [open_store() for _ in range(4)]
    for each in stores:
        each.prepare()
    barrier = threading.Barrier(len(stores))
    results: list[bool] = []
    failures: list[BaseException] = []

    def write(store: SQLStore, n: int) -> None:
        barrier.wait(timeout=10)
        try:
            results.append(add(store, promotion, taken(value=(float(n),))))
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            failures.append(error)

    threads = [threading.Thread(target=write, args=(store, n)) for n, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert sorted(results) == [False, False, False, True]
    (kept,) = stores[0].measurements("web", promotion.id, 0)
    assert [event.evidence["value"] for event in stores[0].events("web", promotion.id)] == [list(kept.value)]  # type: ignore[arg-type]


# read back exactly -------------------------------------------------------------------------------------------

ROUND_TRIPS = [
    ("vector", taken(value=(0.97, 0.5, 1e-300, 123456789.123456789))),
    ("scalar", taken(value=0.99)),
    ("integral-scalar", taken(value=3.0)),  # stays a float
    ("empty-vector", taken(value=())),
    ("nan-vector", taken(value=(NAN, 0.5))),
    ("nan-scalar", taken(value=NAN)),
    ("plus-inf", taken(value=(INF,))),
    ("minus-inf-scalar", taken(value=-INF)),
    ("negative-zero", taken(value=(-0.0,))),
    ("error", taken(value=None, error="Prometheus at http://127.0.0.1:9090: cannot connect (Connection refused)")),
    ("no-value-no-error", taken(value=None)),
    ("baseline-and-traffic", taken(value=(0.011,), baseline=(0.01,), traffic=(1200.0,))),
    ("empty-baseline-nan-traffic", taken(value=(0.011,), baseline=(), traffic=NAN)),
    ("scalar-traffic", taken(value=(0.5,), baseline=(INF, -INF), traffic=12.0)),
    (
        "judge-samples",
        taken(value=tuple(0.1 + i / 1000 for i in range(60)), baseline=tuple(float(i) for i in range(60))),
    ),
    ("unicode-error", taken(value=None, error="bad query: unexpected character '→' in \"rate(x[1m])\"")),
    (
        "microseconds-other-zone",
        dataclasses.replace(
            taken(), taken_at=dt.datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        ),
    ),
]


@pytest.mark.parametrize("measurement", [r[1] for r in ROUND_TRIPS], ids=[r[0] for r in ROUND_TRIPS])
def test_a_measurement_reads_back_exactly(store: SQLStore, measurement: Measurement) -> None:
    promotion = store.create_promotion("web", "1.0", T0)
    assert add(store, promotion, measurement)

    (back,) = store.measurements("web", promotion.id, 0)

    assert same(back, measurement), (back, measurement)
    assert back.taken_at.tzinfo == dt.UTC
    # and the event keeps it as evidence, NaN and infinities included
    (event,) = store.events("web", promotion.id)
    value = event.evidence["value"]
    assert same_result(tuple(value) if isinstance(value, list) else value, measurement.value)  # type: ignore[arg-type]


def test_a_naive_time_is_refused(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.0", T0)
    naive = dataclasses.replace(taken(), taken_at=dt.datetime(2024, 5, 1, 12, 0))  # noqa: DTZ001 (the point)

    with pytest.raises(ValueError, match="naive datetime"):
        store.add_measurement("web", promotion.id, naive, measured(promotion, taken()))

    assert store.measurements("web", promotion.id, 0) == []
    assert store.events("web", promotion.id) == []


# by stage ----------------------------------------------------------------------------------------------------


def test_a_stage_reads_its_own_runs_in_order(store: SQLStore) -> None:
    promotion = store.create_promotion("web", "1.0", T0)
    other = store.create_promotion("web", "2.0", T0)
    elsewhere = store.create_promotion("api", "1.0", T0)
    keys = [
        ("1:1", "success-rate", 0),
        ("0:background", "success-rate", 1),
        ("10:1", "success-rate", 0),
        ("0:1", "success-rate", 10),
        ("0:2", "latency", 0),
        ("0:1", "latency", 0),
        ("0:1", "success-rate", 2),
        ("0:background", "success-rate", 0),
        ("0:1", "success-rate", 0),
        ("00:1", "success-rate", 0),  # not stage 0's: the prefix is the stage and its colon
    ]
    for run, metric, index in keys:
        assert add(store, promotion, taken(run, metric, index, value=(float(index),)))
    assert add(store, other, taken("0:1"))
    assert store.add_measurement("api", elsewhere.id, taken("0:1"), measured(elsewhere, taken("0:1")))

    def read(stage: int) -> list[tuple[str, str, int]]:
        got = store.measurements("web", promotion.id, stage)
        return [(m.key.run, m.key.metric, m.key.index) for m in got]

    assert read(0) == [
        ("0:1", "latency", 0),
        ("0:1", "success-rate", 0),
        ("0:1", "success-rate", 2),
        ("0:1", "success-rate", 10),  # the index in number order
        ("0:2", "latency", 0),
        ("0:background", "success-rate", 0),
        ("0:background", "success-rate", 1),
    ]
    assert read(1) == [("1:1", "success-rate", 0)]
    assert read(10) == [("10:1", "success-rate", 0)]
    assert read(2) == []
    assert [m.key.run for m in store.measurements("web", other.id, 0)] == ["0:1"]
    assert store.measurements("api", promotion.id, 0) == []  # a promotion id is a pipeline's
    assert len(store.measurements("api", elsewhere.id, 0)) == 1


# with their promotion ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("another_pipeline", [False, True], ids=["unknown", "of-another-pipeline"])
def test_a_measurement_of_an_unknown_promotion_is_refused(store: SQLStore, another_pipeline: bool) -> None:
    """The foreign key, and the event with it: neither is written."""
    promotion = store.create_promotion("api", "1.0", T0).id if another_pipeline else "9.9.9-nothing"
    ghost = Promotion(promotion, "web", "9.9.9", Phase.PROGRESSING, 0, 0, T0, T0)

    with pytest.raises(sa.exc.IntegrityError):
        add(store, ghost, taken())

    assert store.measurements("web", promotion, 0) == []
    assert store.events("web") == []


def test_measurements_go_with_their_promotion(store: SQLStore, database: sa.Engine, backend: str) -> None:
    """The schema's ``ON DELETE CASCADE`` (the store deletes no promotion itself; a person may, with SQL)."""
    gone, kept = store.create_promotion("web", "1.0", T0), store.create_promotion("web", "2.0", T0)
    for promotion in (gone, kept):
        assert add(store, promotion, taken())
        assert add(store, promotion, taken("0:background"))

    with database.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")  # per connection, as the store's own engine does
        conn.execute(sa.text("DELETE FROM promotions WHERE pipeline = 'web' AND id = :id"), {"id": gone.id})

    assert store.measurements("web", gone.id, 0) == []
    assert len(store.measurements("web", kept.id, 0)) == 2
    assert len(store.events("web", gone.id)) == 2  # the audit log is not the promotion's: it stays


# a version-3 database, upgraded ------------------------------------------------------------------------------

P = "1.0-lvmyx3k0a7"
MINUTE = dt.timedelta(minutes=1)
FACTS = '{"active": null, "replicas": {"Deployment/web": 4}}'
V3_ROWS: dict[str, list[dict[str, object]]] = {
    "promotions": [
        {
            "pipeline": "web",
            "id": P,
            "version": "1.0",
            "phase": "Progressing",
            "stage": 0,
            "step": 1,
            "created_at": T0,
            "updated_at": T0 + MINUTE,
            "reason": "analysis running",
            "paused": True,
        }
    ],
    "stage_runs": [{"pipeline": "web", "promotion": P, "stage": 0, "state": "Running", "facts": FACTS}],
    "runs": [
        {
            "pipeline": "web",
            "promotion": P,
            "stage": 0,
            "item": 0,
            "kind": "change",
            "state": "Done",
            "pr_number": 11,
            "merge_sha": "a" * 40,
            "merged_at": T0,
            "verified_at": T0 + MINUTE,
            "skipped": False,
        },
        {
            "pipeline": "web",
            "promotion": P,
            "stage": 0,
            "item": 1,
            "kind": "gate",
            "state": "Waiting",
            "started_at": T0,
        },
    ],
    "commands": [{"pipeline": "web", "promotion": P, "kind": "pause", "by": "alice", "at": T0}],
    "holds": [{"pipeline": "web", "version": "0.9", "reason": "failed in prod", "at": T0}],
    "events": [
        {
            "pipeline": "web",
            "promotion": P,
            "at": T0,
            "kind": "step_merged",
            "message": "merged #11",
            "evidence": '{"stage": "prod"}',
        }
    ],
}


def schema_version(database: sa.Engine) -> list[int]:
    with database.connect() as conn:
        return list(conn.execute(sa.text("SELECT version FROM schema_version")).scalars())


def test_a_version_3_database_is_upgraded_on_start_and_keeps_its_rows(
    url: str, store: SQLStore, database: sa.Engine
) -> None:
    legacy.create(url, 3, V3_ROWS)
    assert "measurements" not in sa.inspect(database).get_table_names()

    store.prepare()

    assert schema_version(database) == [4]
    inspector = sa.inspect(database)
    assert "measurements" in inspector.get_table_names()
    assert {"told", "verdict"} <= {column["name"] for column in inspector.get_columns("runs")}
    # every row kept
    promotion = Promotion(P, "web", "1.0", Phase.PROGRESSING, 0, 1, T0, T0 + MINUTE, "analysis running", paused=True)
    assert store.promotion(P, "web") == promotion
    assert store.stage_run("web", P, 0) == StageRun(P, 0, StageState.RUNNING, Facts((("Deployment/web", 4),)))
    change = ChangeRun(RunKey(P, 0, 0), ChangeState.DONE, 11, "a" * 40, T0, verified_at=T0 + MINUTE)
    gate = GateRun(RunKey(P, 0, 1), GateState.WAITING, started_at=T0)  # told 0, no verdict
    assert store.runs("web", P) == [change, gate]
    (command,) = store.commands("web", P)
    assert command == Command(command.id, "web", P, CommandKind.PAUSE, "alice", T0)
    assert store.holds("web") == [Hold("web", "0.9", "failed in prod", T0)]
    assert store.events("web") == [Event("web", P, T0, EventKind.STEP_MERGED, "merged #11", {"stage": "prod"})]

    # and what version 4 added works on it: a gate's told and verdict, measurements with their events
    told = dataclasses.replace(gate, told=3, verdict="Inconclusive")
    store.commit("web", ports.Changes(runs=(told,)))
    assert store.runs("web", P, 0) == [change, told]
    assert add(store, promotion, taken("0:1", index=0))
    assert not add(store, promotion, taken("0:1", index=0))
    assert store.measurements("web", P, 0) == [taken("0:1", index=0)]
    assert [event.kind for event in store.events("web")] == [EventKind.STEP_MERGED, EventKind.MEASURED]


def test_an_upgraded_database_is_left_as_it_is_by_the_next_start(
    url: str, open_store: Callable[..., SQLStore], database: sa.Engine
) -> None:
    legacy.create(url, 3, V3_ROWS)
    first = open_store()
    promotion = first.promotion(P, "web")
    assert promotion is not None
    assert add(first, promotion, taken())

    again = open_store()  # another start on the upgraded database

    assert again.measurements("web", P, 0) == [taken()]
    assert schema_version(database) == [4]
