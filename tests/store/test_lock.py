"""The per-pipeline lock: one holder at a time, released on exit, and after a crash."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from promoter.adapters.store import SQLStore
from promoter.adapters.store_schema import leases
from tests.store.conftest import T0, ManualClock

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_holder_is_refused_until_the_first_releases(open_store: Callable[..., SQLStore]) -> None:
    first, second = open_store(), open_store()

    with first.lock("web") as held:
        assert held
        with second.lock("web") as refused:
            assert not refused
    with second.lock("web") as held_now:
        assert held_now


def test_the_same_store_cannot_take_a_lock_twice(store: SQLStore) -> None:
    with store.lock("web") as held, store.lock("web") as again:
        assert held and not again


def test_locks_are_per_pipeline(open_store: Callable[..., SQLStore]) -> None:
    first, second = open_store(), open_store()

    with first.lock("web") as web, second.lock("api") as api:
        assert web and api


def test_the_lock_is_released_when_the_block_raises(open_store: Callable[..., SQLStore]) -> None:
    first, second = open_store(), open_store()

    with pytest.raises(RuntimeError, match="reconcile failed"), first.lock("web"):
        raise RuntimeError("reconcile failed")
    with second.lock("web") as held:
        assert held


def test_a_refused_holder_leaves_the_lock_alone(open_store: Callable[..., SQLStore]) -> None:
    first, second, third = open_store(), open_store(), open_store()

    with first.lock("web") as held:
        with second.lock("web") as refused:
            assert held and not refused
        with third.lock("web") as still_refused:
            assert not still_refused


@contextlib.contextmanager
def holder_process(url: str, pipeline: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock; the caller kills it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store.lock_holder", url, pipeline],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the holder process did not report within 30 s"
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_frees_the_lock_of_a_killed_holder(url: str, store: SQLStore) -> None:
    with holder_process(url, "web") as holder:
        with store.lock("web") as held:
            assert not held
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)

    deadline = time.monotonic() + 10  # the server notices the closed socket within milliseconds
    while True:
        with store.lock("web") as held:
            if held:
                break
        assert time.monotonic() < deadline, "the killed holder's lock was not released"
        time.sleep(0.02)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_takes_over_the_lease_of_a_killed_holder_at_once(open_store: Callable[..., SQLStore], url: str) -> None:
    store = open_store()
    with holder_process(url, "web") as holder:
        with store.lock("web") as held:
            assert not held  # alive: respected
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    # The file lives on this host and the holder's process is gone: no need to wait out its lease.
    with store.lock("web") as held:
        assert held


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_a_lease_from_another_host_is_waited_out(open_store: Callable[..., SQLStore], url: str) -> None:
    clock = ManualClock()
    store = open_store(clock=clock)
    store.prepare()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(leases).values(
                pipeline="web", owner="elsewhere:1:feedface", expires_at=clock.current + dt.timedelta(seconds=60)
            )
        )
    engine.dispose()
    with store.lock("web") as held:
        assert not held  # its process cannot be checked from here
    clock.current += dt.timedelta(seconds=61)
    with store.lock("web") as held:
        assert held


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_an_expired_lease_is_taken_over_and_kept(open_store: Callable[..., SQLStore]) -> None:
    stalled_clock, clock = ManualClock(T0), ManualClock(T0 + dt.timedelta(seconds=61))
    stalled, taker, third = open_store(clock=stalled_clock), open_store(clock=clock), open_store(clock=clock)

    with stalled.lock("web") as held:
        assert held
        with taker.lock("web") as taken:
            assert taken
            # the stalled holder's exit deletes only its own lease, not the taker's
            with third.lock("web") as refused:
                assert not refused
        with third.lock("web") as free:
            assert free


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_a_held_lease_is_extended_while_the_block_runs(open_store: Callable[..., SQLStore]) -> None:
    lease = dt.timedelta(seconds=0.3)
    holder, other = open_store(lease=lease), open_store(lease=lease)

    with holder.lock("web") as held:
        time.sleep(0.6)  # twice the lease: only the heartbeat keeps it
        with other.lock("web") as refused:
            assert held and not refused
    with other.lock("web") as free:
        assert free
