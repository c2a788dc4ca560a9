"""Fixtures: every contract test runs on a real SQLite file and on a real PostgreSQL server.

The server starts once per session (about a second) and only if a PostgreSQL test is selected; each test
gets an empty schema of its own, and a SQLite file in a fresh directory that does not exist yet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from promoter.adapters.store import SQLStore
from tests.store import postgres

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@dataclasses.dataclass
class ManualClock:
    """The lease clock, stepped by the test."""

    current: dt.datetime = T0

    def now(self) -> dt.datetime:
        return self.current


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Server]:
    with postgres.running() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def url(backend: str, fast_tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{fast_tmp}/state/promoter.db"
    server: postgres.Server = request.getfixturevalue("postgres_server")
    return server.fresh_url()


@pytest.fixture
def open_store(url: str) -> Iterator[Callable[..., SQLStore]]:
    """Open more stores on the same database (as other processes would); all closed at the end."""
    opened: list[SQLStore] = []

    def open_(**options: Any) -> SQLStore:
        store = SQLStore(url, **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., SQLStore]) -> SQLStore:
    return open_store()


@pytest.fixture
def database(url: str) -> Iterator[sa.Engine]:
    """A plain engine on the store's database, to look behind the store's back."""
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
