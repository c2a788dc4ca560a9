"""The database itself: created on first use, versioned, shared safely, and its failures classified.

Upgrades of the databases earlier promoters wrote are in :mod:`tests.store.test_migrations`.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from promoter import ports
from promoter.adapters import store_schema
from promoter.adapters.store import SQLStore
from promoter.core.commands import CommandKind
from promoter.core.model import Hold, RunKey
from promoter.core.runs import ChangeRun, ChangeState, Facts, GateRun, Run, StageRun
from promoter.errors import PermanentError, TemporaryError
from tests.store import postgres
from tests.store.conftest import T0

TABLES = {
    "schema_version",
    "promotions",
    "stage_runs",
    "runs",
    "commands",
    "holds",
    "events",
    "leases",
    "refreshes",
    "pipeline_errors",
    "measurements",
}


def schema_version(database: sa.Engine) -> list[int]:
    with database.connect() as conn:
        return list(conn.execute(sa.text("SELECT version FROM schema_version")).scalars())


def test_first_use_creates_the_tables_and_records_the_version(store: SQLStore, database: sa.Engine) -> None:
    store.holds("web")

    assert set(sa.inspect(database).get_table_names()) == TABLES  # no steps: versions 3 and 4 have none
    assert schema_version(database) == [4]


def test_concurrent_first_uses_create_the_schema_once(open_store: Callable[..., SQLStore], database: sa.Engine) -> None:
    stores = [open_store() for _ in range(6)]
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


def test_records_outlive_the_store(open_store: Callable[..., SQLStore]) -> None:
    first = open_store()
    promotion = first.create_promotion("web", "1.0", T0)
    stage = StageRun(promotion.id, 0, facts=Facts((("Deployment/web", 3),)))
    runs: list[Run] = [
        ChangeRun(promotion.key(), ChangeState.MERGED, 4, "a" * 40, T0),
        GateRun(RunKey(promotion.id, 0, 1)),
    ]
    command = first.add_command("web", promotion.id, CommandKind.PAUSE, "alice", T0)
    first.commit("web", ports.Changes(stage=stage, runs=tuple(runs), holds=(Hold("web", "0.9", "failed", T0),)))
    first.close()

    again = open_store()
    assert again.promotions("web") == [promotion]
    assert again.stage_run("web", promotion.id, 0) == stage
    assert again.runs("web", promotion.id) == runs
    assert again.commands("web", promotion.id) == [command]
    assert again.holds("web") == [Hold("web", "0.9", "failed", T0)]


def test_a_newer_schema_is_refused(open_store: Callable[..., SQLStore], database: sa.Engine) -> None:
    open_store().prepare()
    with database.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 5"))

    with pytest.raises(PermanentError, match="schema version 5; this promoter knows up to 4"):
        open_store().promotions()
    assert schema_version(database) == [5]  # left as the newer promoter wrote it


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_waits_for_first_use_then_makes_its_directory(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    store = SQLStore(url)
    assert not path.parent.exists()

    store.promotions()

    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_locked_past_the_busy_timeout_is_temporary(url: str, open_store: Callable[..., SQLStore]) -> None:
    store = open_store(busy_timeout=0.1)
    store.prepare()
    other_writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(TemporaryError, match="database is locked"):
            store.commit("web", ports.Changes(holds=(Hold("web", "1.0", "r", T0),)))
        assert store.holds("web") == []  # readers are not blocked by a writer (WAL)
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    store.commit("web", ports.Changes(holds=(Hold("web", "1.0", "r", T0),)))


@pytest.mark.parametrize("driver", ["postgresql", "postgres"])
def test_postgresql_urls_without_a_driver_use_psycopg(postgres_server: postgres.Server, driver: str) -> None:
    with SQLStore(postgres_server.url(driver=driver)) as store:
        assert store.holds("nothing-held") == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_unreachable_server_is_temporary() -> None:
    with SQLStore(f"postgresql+psycopg://promoter:secret@127.0.0.1:{free_port()}/promoter") as store:
        with pytest.raises(TemporaryError, match="state store is unavailable") as raised:
            store.promotions()
        assert "secret" not in str(raised.value)
        with pytest.raises(TemporaryError), store.lock("web"):
            pass


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "needs a file"),
        ("sqlite:///:memory:", "needs a file"),
        ("sqlite:///file:state?mode=memory&uri=true", "needs a file"),
        ("mysql://promoter:secret@db/promoter", "unsupported database"),
        ("promoter.db", "not a database URL"),
    ],
)
def test_unusable_urls_are_refused_at_once(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        SQLStore(url)
    assert "secret" not in str(raised.value)


def test_the_database_itself_holds_one_unfinished_promotion_per_version(store: SQLStore, database: sa.Engine) -> None:
    store.holds("web")  # the tables made, the index partial in this database's own dialect
    row = {"pipeline": "web", "version": "1.0", "stage": 0, "step": 0, "created_at": T0, "updated_at": T0}
    promotions = store_schema.promotions
    with database.begin() as conn:
        for n, phase in enumerate(("Failed", "Aborted", "Progressing")):  # the finished ones are not counted
            conn.execute(sa.insert(promotions).values(id=f"p{n}", phase=phase, **row))
    with pytest.raises(sa.exc.IntegrityError), database.begin() as conn:
        conn.execute(sa.insert(promotions).values(id="p9", phase="Pending", **row))
