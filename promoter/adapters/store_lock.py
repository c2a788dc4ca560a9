"""One reconciler per pipeline at a time, across processes and replicas.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held for the with-block;
the server drops it when the session ends, so a crashed holder frees it at once.

SQLite: a lease row in ``leases`` taken in a short ``BEGIN IMMEDIATE`` transaction: insert it, or take it
over only if it has expired. A heartbeat thread extends it while the block runs, so a long reconcile pass
keeps it; a crashed holder stops extending it and it expires after one lease length.

Neither waits for the other holder: the answer is True (ours now) or False (someone else's).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from promoter import ports
from promoter.adapters.store_schema import leases

_Statement = TypeVar("_Statement", sa.Delete, sa.Update)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_*_advisory_lock`` (Python's ``hash`` changes per process)."""
    digest = hashlib.blake2b(f"promoter:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def advisory(engine: sa.Engine, pipeline: str) -> Iterator[bool]:
    key = advisory_key(f"pipeline:{pipeline}")
    conn = engine.connect()
    try:
        # autocommit: the session holds the lock, and no transaction sits open for the whole block
        conn.execution_options(isolation_level="AUTOCOMMIT")
        if not conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key))):
            yield False
            return
        try:
            yield True
        finally:
            if not _unlocked(conn, key):
                # never hand a session that may still hold the lock back to the pool: closing it frees the lock
                conn.invalidate()
    finally:
        conn.close()


def _unlocked(conn: sa.Connection, key: int) -> bool:
    try:
        return bool(conn.scalar(sa.select(sa.func.pg_advisory_unlock(key))))
    except sa.exc.DBAPIError:
        return False


@contextlib.contextmanager
def lease(writer: sa.Engine, pipeline: str, clock: ports.Clock, length: dt.timedelta) -> Iterator[bool]:
    """``writer`` begins its transactions with ``BEGIN IMMEDIATE``, so check-and-take is one step."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"  # readable for an operator
    if not _take(writer, pipeline, owner, clock.now(), length):
        yield False
        return
    stop = threading.Event()
    heartbeat = threading.Thread(
        target=_extend,
        args=(writer, pipeline, owner, clock, length, stop),
        name=f"promoter-lease-{pipeline}",
        daemon=True,  # a stuck heartbeat must not keep the process alive
    )
    heartbeat.start()
    try:
        yield True
    finally:
        stop.set()
        heartbeat.join()
        # if the database is busy past its timeout, the lease simply expires: no reason to fail the pass
        with contextlib.suppress(sa.exc.OperationalError), writer.begin() as conn:
            conn.execute(_mine(sa.delete(leases), pipeline, owner))


def _take(writer: sa.Engine, pipeline: str, owner: str, now: dt.datetime, length: dt.timedelta) -> bool:
    insert = sqlite.insert(leases).values(pipeline=pipeline, owner=owner, expires_at=now + length)
    take = insert.on_conflict_do_update(
        index_elements=[leases.c.pipeline],
        set_={"owner": insert.excluded.owner, "expires_at": insert.excluded.expires_at},
        where=leases.c.expires_at <= now,
    )
    with writer.begin() as conn:
        holder = conn.scalar(sa.select(leases.c.owner).where(leases.c.pipeline == pipeline))
        if holder is not None and _dead_here(holder):
            # A SQLite file lives on one host: a holder process that no longer exists there released its
            # lease by dying, so the restarted bot need not wait for the lease to run out.
            conn.execute(_mine(sa.delete(leases), pipeline, holder))
        conn.execute(take)
        holder = conn.scalar(sa.select(leases.c.owner).where(leases.c.pipeline == pipeline))
    return holder == owner


def _dead_here(owner: str) -> bool:
    """Whether the owner (``host:pid:nonce``) is a process of this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    return False


def _extend(
    writer: sa.Engine, pipeline: str, owner: str, clock: ports.Clock, length: dt.timedelta, stop: threading.Event
) -> None:
    while not stop.wait(length.total_seconds() / 3):
        try:
            with writer.begin() as conn:
                update = _mine(sa.update(leases), pipeline, owner).values(expires_at=clock.now() + length)
                extended = conn.execute(update).rowcount
        except sa.exc.OperationalError:
            continue  # busy past the timeout: two thirds of the lease are left to try again
        if not extended:
            return  # taken over (this process stalled past the lease): nothing of ours left to extend


def _mine(statement: _Statement, pipeline: str, owner: str) -> _Statement:
    return statement.where(leases.c.pipeline == pipeline, leases.c.owner == owner)
