"""Databases earlier promoters wrote, upgraded on first use: each step becomes a stage run and its runs.

The old databases are built in their own DDL (:mod:`tests.store.legacy`), then opened by the current store.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from promoter import ports
from promoter.adapters.store import SQLStore
from promoter.core.commands import Command, CommandKind
from promoter.core.model import ErrorKind, Event, EventKind, Hold, Phase, PipelineError, Promotion, RunKey
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, GateState, Run, StageRun, StageState
from tests.store import legacy
from tests.store.conftest import T0

MINUTE = dt.timedelta(minutes=1)
P = "1.0-lvmyx3k0a7"  # the promotion every old step belongs to
SHA = {name: name * 40 for name in "abcd"}
ROLLING = Facts()  # what a migrated stage's facts are: a rolling stage's plan needs none
NEW_TABLES = {"stage_runs", "runs", "commands", "measurements"}

PROMOTION = {
    "pipeline": "web",
    "id": P,
    "version": "1.0",
    "phase": "Progressing",
    "stage": 1,
    "step": 0,
    "created_at": T0,
    "updated_at": T0 + MINUTE,
    "reason": "prod: merged",
}
HOLD = {"pipeline": "web", "version": "0.9", "reason": "failed in prod", "at": T0}


def step(stage: int, state: str, **columns: object) -> dict[str, object]:
    """An old ``steps`` row of promotion :data:`P` (each stage had one step)."""
    return {"pipeline": "web", "promotion": P, "stage": stage, "step": 0, "state": state, **columns}


def event(kind: str, minutes: int, message: str) -> dict[str, object]:
    return {
        "pipeline": "web",
        "promotion": P,
        "at": T0 + minutes * MINUTE,
        "kind": kind,
        "message": message,
        "evidence": json.dumps({"stage": "staging", "step": 0}),
    }


def logged(kind: EventKind, minutes: int, message: str) -> Event:
    """:func:`event` as the store reads it back."""
    return Event("web", P, T0 + minutes * MINUTE, kind, message, {"stage": "staging", "step": 0})


def key(stage: int, item: int) -> RunKey:
    return RunKey(P, stage, item)


def stage_runs(store: SQLStore, stages: int = 3) -> list[StageRun | None]:
    return [store.stage_run("web", P, stage) for stage in range(stages)]


def table_names(database: sa.Engine) -> set[str]:
    return set(sa.inspect(database).get_table_names())


def schema_version(database: sa.Engine) -> list[int]:
    with database.connect() as conn:
        return list(conn.execute(sa.text("SELECT version FROM schema_version")).scalars())


# the old steps of the whole-database tests: soaking in staging, merged in prod, reverted in a third stage
SOAKING = step(0, "Verified", pr_number=11, merge_sha=SHA["a"], merged_at=T0, healthy_since=T0, verified_at=T0 + MINUTE)
MERGED = step(1, "Merged", pr_number=12, merge_sha=SHA["b"], merged_at=T0 + 2 * MINUTE)
REVERTED = step(
    2,
    "Reverted",
    pr_number=13,
    merge_sha=SHA["c"],
    merged_at=T0 + 3 * MINUTE,
    revert_pr_number=14,
    revert_merge_sha=SHA["d"],
    failure="web-prod: Degraded",
)
MIGRATED_STAGES = [
    StageRun(P, 0, StageState.RUNNING, ROLLING),
    StageRun(P, 1, StageState.RUNNING, ROLLING),
    StageRun(P, 2, StageState.REVERTED, ROLLING, 14, SHA["d"], "web-prod: Degraded"),
]
MIGRATED_RUNS: list[Run] = [
    ChangeRun(key(0, 0), ChangeState.DONE, 11, SHA["a"], T0, healthy_since=T0, verified_at=T0 + MINUTE),
    GateRun(key(0, 1), GateState.WAITING, started_at=T0 + MINUTE),  # the soak, its timer from the verification
    ChangeRun(key(1, 0), ChangeState.MERGED, 12, SHA["b"], T0 + 2 * MINUTE),
    ChangeRun(key(2, 0), ChangeState.DONE, 13, SHA["c"], T0 + 3 * MINUTE),
]


def test_a_version_1_database_is_upgraded_on_first_use(url: str, store: SQLStore, database: sa.Engine) -> None:
    legacy.create(
        url,
        1,
        {
            "promotions": [PROMOTION],
            "steps": [SOAKING, MERGED, REVERTED],
            "holds": [HOLD],
            "events": [event("step_verified", 1, "verified"), event("step_done", 5, "staging done")],
        },
    )

    assert store.runs("web", P) == MIGRATED_RUNS
    assert stage_runs(store) == MIGRATED_STAGES
    assert store.promotion(P, "web") == Promotion(
        P, "web", "1.0", Phase.PROGRESSING, 1, 0, T0, T0 + MINUTE, "prod: merged", paused=False
    )
    assert store.holds("web") == [Hold("web", "0.9", "failed in prod", T0)]
    assert store.events("web") == [
        logged(EventKind.STEP_VERIFIED, 1, "verified"),
        logged(EventKind.GATE_PASSED, 5, "staging done"),  # version 2 called it step_done
    ]
    tables = table_names(database)
    assert "steps" not in tables
    assert tables >= NEW_TABLES | {"refreshes", "pipeline_errors"}
    assert schema_version(database) == [4]
    # what version 2 added works too: the deferred refreshes, the pipelines' errors
    store.want_refresh("web", ["web-prod"], T0)
    error = PipelineError("web", ErrorKind.TEMPORARY, "Argo CD is down", T0, T0)
    store.set_error("web", error)
    assert store.pending_refreshes("web") == ["web-prod"]
    assert store.errors() == {"web": error}


def test_a_version_2_database_is_upgraded_on_first_use(url: str, store: SQLStore, database: sa.Engine) -> None:
    blocked = dict(MERGED, waiting_since=MERGED["merged_at"], blocked="web-prod: permission denied")
    legacy.create(
        url,
        2,
        {
            "promotions": [PROMOTION],
            "steps": [SOAKING, blocked, REVERTED],
            "holds": [HOLD],
            "events": [
                event("step_merged", 0, "merged #11"),
                event("step_unverified", 2, "verification lost while soaking"),
                event("step_done", 5, "staging done"),
            ],
            "refreshes": [{"pipeline": "web", "application": "web-prod", "since": T0}],
            "pipeline_errors": [
                {"pipeline": "web", "kind": "credentials", "message": "401", "since": T0, "seen_at": T0 + MINUTE}
            ],
        },
    )

    merged = ChangeRun(
        key(1, 0), ChangeState.MERGED, 12, SHA["b"], T0 + 2 * MINUTE, blocked="web-prod: permission denied"
    )
    assert store.runs("web", P) == [*MIGRATED_RUNS[:2], merged, *MIGRATED_RUNS[3:]]
    assert stage_runs(store) == MIGRATED_STAGES
    assert store.promotions("web") == [
        Promotion(P, "web", "1.0", Phase.PROGRESSING, 1, 0, T0, T0 + MINUTE, "prod: merged", paused=False)
    ]
    assert store.events("web") == [
        logged(EventKind.STEP_MERGED, 0, "merged #11"),
        logged(EventKind.GATE_UNVERIFIED, 2, "verification lost while soaking"),
        logged(EventKind.GATE_PASSED, 5, "staging done"),
    ]
    assert store.pending_refreshes("web") == ["web-prod"]
    assert store.errors() == {"web": PipelineError("web", ErrorKind.CREDENTIALS, "401", T0, T0 + MINUTE)}
    assert store.holds("web") == [Hold("web", "0.9", "failed in prod", T0)]
    tables = table_names(database)
    assert "steps" not in tables and tables >= NEW_TABLES
    assert "paused" in {column["name"] for column in sa.inspect(database).get_columns("promotions")}
    assert schema_version(database) == [4]


def test_an_upgraded_database_takes_the_new_records(url: str, store: SQLStore) -> None:
    legacy.create(url, 2, {"promotions": [PROMOTION], "steps": [step(0, "Merged", pr_number=11, merge_sha=SHA["a"])]})
    paused = Promotion(P, "web", "1.0", Phase.PROGRESSING, 1, 0, T0, T0 + 2 * MINUTE, "paused", paused=True)
    reverting = StageRun(P, 0, StageState.REVERTING, ROLLING, 15, failure="aborted", aborted_by="alice")
    gate = GateRun(key(1, 1), started_at=T0)

    command = store.add_command("web", P, CommandKind.ABORT, "alice", T0 + MINUTE)
    store.commit("web", ports.Changes(promotion=paused, stage=reverting, runs=(gate,)))

    assert store.promotion(P, "web") == paused
    assert store.stage_run("web", P, 0) == reverting
    assert store.runs("web", P, 1) == [gate]
    assert store.commands("web", P) == [Command(command.id, "web", P, CommandKind.ABORT, "alice", T0 + MINUTE)]
    # the unique index on unfinished promotions came through: the same version is the same promotion
    assert store.create_promotion("web", "1.0", T0 + 3 * MINUTE) == paused


MERGED_AT = {"pr_number": 7, "merge_sha": SHA["a"], "merged_at": T0}
VERIFIED_AT = {**MERGED_AT, "waiting_since": T0, "healthy_since": T0 + MINUTE, "verified_at": T0 + 2 * MINUTE}
REVERT = {"revert_pr_number": 8, "failure": "web-staging: Degraded"}


@pytest.mark.parametrize(
    ("old", "columns", "stage", "runs"),
    [
        pytest.param(
            "Planned",
            {},
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [ChangeRun(key(0, 0))],
            id="planned",
        ),
        pytest.param(
            "Open",
            {"pr_number": 7},
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [ChangeRun(key(0, 0), ChangeState.OPEN, 7)],
            id="open",
        ),
        pytest.param(
            "Merged",
            {**MERGED_AT, "waiting_since": T0, "healthy_since": T0 + MINUTE, "blocked": "403"},
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [ChangeRun(key(0, 0), ChangeState.MERGED, 7, SHA["a"], T0, healthy_since=T0 + MINUTE, blocked="403")],
            id="merged-debouncing-blocked",
        ),
        pytest.param(
            "Verified",
            VERIFIED_AT,
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [
                ChangeRun(
                    key(0, 0), ChangeState.DONE, 7, SHA["a"], T0, healthy_since=T0 + MINUTE, verified_at=T0 + 2 * MINUTE
                ),
                GateRun(key(0, 1), GateState.WAITING, started_at=T0 + 2 * MINUTE),
            ],
            id="soaking",
        ),
        pytest.param(
            # verified, then lost while soaking: version 2 waited again from waiting_since, debouncing since
            "Merged",
            {**MERGED_AT, "waiting_since": T0 + 5 * MINUTE, "healthy_since": T0 + 6 * MINUTE},
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [
                ChangeRun(key(0, 0), ChangeState.DONE, 7, SHA["a"], T0),
                GateRun(
                    key(0, 1),
                    GateState.WAITING,
                    started_at=T0 + 5 * MINUTE,
                    unverified_since=T0 + 5 * MINUTE,
                    healthy_since=T0 + 6 * MINUTE,
                ),
            ],
            id="lost-while-soaking",
        ),
        pytest.param(
            "Merged",
            {**MERGED_AT, "waiting_since": T0 + 5 * MINUTE, "blocked": "web-prod: 403"},
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [
                ChangeRun(key(0, 0), ChangeState.DONE, 7, SHA["a"], T0),
                GateRun(
                    key(0, 1),
                    GateState.WAITING,
                    started_at=T0 + 5 * MINUTE,
                    unverified_since=T0 + 5 * MINUTE,
                    blocked="web-prod: 403",
                ),
            ],
            id="lost-while-soaking-blocked",
        ),
        pytest.param(
            "Done",
            VERIFIED_AT,
            StageRun(P, 0, StageState.RUNNING, ROLLING),
            [
                ChangeRun(
                    key(0, 0), ChangeState.DONE, 7, SHA["a"], T0, healthy_since=T0 + MINUTE, verified_at=T0 + 2 * MINUTE
                )
            ],
            id="done",
        ),
        pytest.param(
            "Reverting",
            {**MERGED_AT, **REVERT},
            StageRun(P, 0, StageState.REVERTING, ROLLING, 8, failure="web-staging: Degraded"),
            [ChangeRun(key(0, 0), ChangeState.DONE, 7, SHA["a"], T0)],
            id="reverting",
        ),
        pytest.param(
            "Reverted",
            {**MERGED_AT, **REVERT, "revert_merge_sha": SHA["b"]},
            StageRun(P, 0, StageState.REVERTED, ROLLING, 8, SHA["b"], "web-staging: Degraded"),
            [ChangeRun(key(0, 0), ChangeState.DONE, 7, SHA["a"], T0)],
            id="reverted",
        ),
        pytest.param(
            "Stuck",
            {**MERGED_AT, **REVERT},
            StageRun(P, 0, StageState.STUCK, ROLLING, 8, failure="web-staging: Degraded"),
            [ChangeRun(key(0, 0), ChangeState.DONE, 7, SHA["a"], T0)],
            id="stuck",
        ),
    ],
)
def test_each_version_2_step_becomes_a_stage_run_and_its_runs(
    url: str, store: SQLStore, old: str, columns: dict[str, object], stage: StageRun, runs: list[Run]
) -> None:
    legacy.create(url, 2, {"promotions": [PROMOTION], "steps": [step(0, old, **columns)]})

    assert store.stage_run("web", P, 0) == stage
    assert store.runs("web", P) == runs


def test_concurrent_first_uses_upgrade_once(url: str, open_store: Callable[..., SQLStore], database: sa.Engine) -> None:
    """Replicas starting together on an old database: one upgrades it, the others find it upgraded."""
    legacy.create(url, 2, {"promotions": [PROMOTION], "steps": [SOAKING, MERGED, REVERTED]})
    stores = [open_store() for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def first_use(store: SQLStore) -> None:
        barrier.wait()
        try:
            store.prepare()
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            failures.append(error)

    threads = [threading.Thread(target=first_use, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert schema_version(database) == [4]
    for each in stores:
        assert each.runs("web", P) == MIGRATED_RUNS
    assert stage_runs(open_store()) == MIGRATED_STAGES  # and a later start leaves it as it is
