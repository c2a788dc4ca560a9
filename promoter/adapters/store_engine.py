"""Connecting to the state store's database: the URL forms, and the settings that let processes share it.

- ``sqlite:////var/lib/promoter/promoter.db`` (absolute; ``sqlite:///promoter.db`` is relative to the working
  directory). The default: a file, no server. The file runs in WAL mode (readers never wait for the writer)
  with a busy timeout, so the CLI and the daemon share it. Write transactions begin ``IMMEDIATE``: they
  queue for the write lock up front, instead of failing when a read turns into a write.
- ``postgresql+psycopg://user:password@host:5432/promoter`` (``postgresql://`` and ``postgres://`` mean the
  same) for several replicas.

Creating an engine connects to nothing.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa

_WAL_TRIES = 40  # about 16 s of waiting at most
_IMMEDIATE = "promoter_sqlite_immediate"  # an execution option: which BEGIN a SQLite transaction says


def parse(url: str) -> sa.URL:
    """The URL with its driver made explicit; ValueError (password hidden) for one the store cannot use."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError("not a database URL (sqlite:///PATH or postgresql+psycopg://...)") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver installed
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise ValueError(f"{shown}: the store needs a file (sqlite:///PATH), an in-memory database is not shared")
        return parsed
    raise ValueError(f"{shown}: unsupported database (sqlite:///PATH or postgresql+psycopg://...)")


def create(url: sa.URL, busy_timeout: float) -> sa.Engine:
    """``busy_timeout`` (seconds): how long a SQLite writer waits for another's write lock before failing."""
    if url.get_backend_name() == "postgresql":
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, record: object) -> None:
    # pysqlite's own BEGIN comes late (at the first write) and never for DDL: we say BEGIN ourselves
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Readers and one writer at once: the CLI beside the daemon. Switching a new file to WAL takes an
    # exclusive lock that SQLite's busy timeout does not wait for, so concurrent first connections retry
    # (bounded); once the file is in WAL mode the pragma takes no lock.
    for attempt in range(_WAL_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_TRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


def writer(engine: sa.Engine) -> sa.Engine:
    """The engine for write transactions: on SQLite their check-then-write is one step for every process."""
    return engine.execution_options(**{_IMMEDIATE: True})
