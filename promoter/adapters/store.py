"""The state store: promotions, their steps, holds and the audit log, in SQLite or PostgreSQL.

One code path (SQLAlchemy Core) for both: the URL forms and connection settings are in
:mod:`promoter.adapters.store_engine`, the tables in :mod:`promoter.adapters.store_schema`, the
per-pipeline lock in :mod:`promoter.adapters.store_lock`.

Nothing connects until the first call, which creates the missing tables. A database that cannot be
reached (or stays locked past the busy timeout) raises :class:`~promoter.errors.TemporaryError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa

from promoter import ports
from promoter.adapters import store_engine, store_lock, store_records, store_schema
from promoter.adapters.store_schema import (
    commands,
    events,
    holds,
    measurements,
    pipeline_errors,
    promotions,
    refreshes,
    runs,
    stage_runs,
)
from promoter.core.commands import Command, CommandKind
from promoter.core.measurements import Measurement
from promoter.core.model import Event, Hold, Phase, PipelineError, Promotion, promotion_id
from promoter.core.runs import Run, StageRun
from promoter.errors import TemporaryError

_P = ParamSpec("_P")
_R = TypeVar("_R")
_CREATE_TRIES = 5  # each lost race means another caller's promotion is now visible; a few are plenty


class _WallClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def _operation(method: Callable[Concatenate[SQLStore, _P], _R]) -> Callable[Concatenate[SQLStore, _P], _R]:
    """Create the schema on first use; an unreachable or locked database is worth retrying later."""

    @functools.wraps(method)
    def run(store: SQLStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _outage_is_temporary():
            store.prepare()
            return method(store, *args, **kwargs)

    return run


@contextlib.contextmanager
def _outage_is_temporary() -> Iterator[None]:
    try:
        yield
    except sa.exc.OperationalError as exc:
        raise TemporaryError(f"the state store is unavailable: {exc.orig}") from exc
    except sa.exc.StatementError as exc:
        if isinstance(exc.orig, ValueError | TypeError):  # raised by our own bind processing (a naive datetime)
            raise exc.orig from exc
        raise


class SQLStore:
    """The :class:`~promoter.ports.Store` on a database URL; ``close()`` it, or use it as a context manager.

    ``lease`` is how long a SQLite pipeline lock outlives a holder that crashed; ``clock`` times the leases.
    """

    def __init__(
        self,
        url: str,
        *,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        clock: ports.Clock | None = None,
        busy_timeout: float = 10.0,
    ) -> None:
        self._url = store_engine.parse(url)
        self._sqlite = self._url.get_backend_name() == "sqlite"
        self._engine = store_engine.create(self._url, busy_timeout)
        self._writer = store_engine.writer(self._engine)
        self._insert = _insert_of(self._sqlite)
        self._lease = lease
        self._clock = clock or _WallClock()
        self._ready = False
        self._ready_lock = threading.Lock()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> SQLStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def prepare(self) -> None:
        """Create the directory and the tables if missing (every call does this once; safe to call early)."""
        with self._ready_lock, _outage_is_temporary():
            if self._ready:
                return
            if self._sqlite and self._url.database:
                Path(self._url.database).parent.mkdir(parents=True, exist_ok=True)
            with self._writer.begin() as conn:
                if not self._sqlite:  # DDL is transactional there; this makes concurrent first uses take turns
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(store_lock.advisory_key("schema"))))
                store_schema.create(conn)
            self._ready = True

    # promotions -----------------------------------------------------------------------------------

    @_operation
    def create_promotion(self, pipeline: str, version: str, now: dt.datetime) -> Promotion:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"naive datetime {now.isoformat()}: the store takes aware datetimes only")
        now = now.astimezone(dt.UTC)  # what a later read returns
        for _ in range(_CREATE_TRIES):
            try:
                with self._writer.begin() as conn:
                    return self._create(conn, pipeline, version, now)
            except sa.exc.IntegrityError:
                continue  # a concurrent caller inserted the same id first: look again
        raise TemporaryError(f"could not create a promotion of {version} in {pipeline}: too many concurrent callers")

    def _create(self, conn: sa.Connection, pipeline: str, version: str, now: dt.datetime) -> Promotion:
        of_version = (promotions.c.pipeline == pipeline) & (promotions.c.version == version)
        unfinished = conn.execute(sa.select(promotions).where(of_version, store_schema.UNFINISHED))
        if row := unfinished.mappings().first():
            return store_records.promotion_of(row)
        # Unique for ever: the time and randomness, never a count of what this store happens to hold.
        new_id = promotion_id(version, now, secrets.randbelow(36**2))
        while conn.scalar(sa.select(promotions.c.id).where(_promotion(pipeline, new_id))):
            new_id = promotion_id(version, now, secrets.randbelow(36**2))
        created = Promotion(new_id, pipeline, version, Phase.PENDING, 0, 0, now, now)
        conn.execute(promotions.insert().values(store_records.promotion_row(created)))
        return created

    @_operation
    def promotion(self, promotion_id: str, pipeline: str) -> Promotion | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(promotions).where(_promotion(pipeline, promotion_id))).mappings().first()
        return store_records.promotion_of(row) if row else None

    @_operation
    def promotions(self, pipeline: str | None = None, *, unfinished: bool = False) -> list[Promotion]:
        query = sa.select(promotions).order_by(
            promotions.c.created_at.desc(), promotions.c.id.desc(), promotions.c.pipeline
        )
        if pipeline is not None:
            query = query.where(promotions.c.pipeline == pipeline)
        if unfinished:
            query = query.where(store_schema.UNFINISHED)
        with self._engine.connect() as conn:
            return [store_records.promotion_of(row) for row in conn.execute(query).mappings()]

    # the walk of a stage's plan, operators' commands, holds, events --------------------------------

    @_operation
    def stage_run(self, pipeline: str, promotion_id: str, stage: int) -> StageRun | None:
        query = sa.select(stage_runs).where(
            stage_runs.c.pipeline == pipeline, stage_runs.c.promotion == promotion_id, stage_runs.c.stage == stage
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return store_records.stage_of(row) if row else None

    @_operation
    def runs(self, pipeline: str, promotion_id: str, stage: int | None = None) -> list[Run]:
        query = sa.select(runs).where(runs.c.pipeline == pipeline, runs.c.promotion == promotion_id)
        if stage is not None:
            query = query.where(runs.c.stage == stage)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(runs.c.stage, runs.c.item)).mappings()
            return [store_records.run_of(row) for row in rows]

    @_operation
    def add_command(self, pipeline: str, promotion_id: str, kind: CommandKind, by: str, now: dt.datetime) -> Command:
        values = {"pipeline": pipeline, "promotion": promotion_id, "kind": kind.value, "by": by, "at": now}
        with self._writer.begin() as conn:
            new_id = conn.execute(commands.insert().values(values).returning(commands.c.id)).scalar_one()
        return Command(new_id, pipeline, promotion_id, kind, by, now.astimezone(dt.UTC))

    @_operation
    def commands(self, pipeline: str, promotion_id: str) -> list[Command]:
        """The commands not consumed yet, oldest first."""
        query = sa.select(commands).where(
            commands.c.pipeline == pipeline, commands.c.promotion == promotion_id, commands.c.consumed_at.is_(None)
        )
        with self._engine.connect() as conn:
            return [store_records.command_of(row) for row in conn.execute(query.order_by(commands.c.id)).mappings()]

    @_operation
    def holds(self, pipeline: str) -> list[Hold]:
        query = sa.select(holds).where(holds.c.pipeline == pipeline).order_by(holds.c.at, holds.c.version)
        with self._engine.connect() as conn:
            return [store_records.hold_of(row) for row in conn.execute(query).mappings()]

    @_operation
    def known(self, pipeline: str) -> bool:
        with self._engine.connect() as conn:
            for table in (promotions, holds):
                if conn.scalar(sa.select(table.c.pipeline).where(table.c.pipeline == pipeline).limit(1)):
                    return True
        return False

    @_operation
    def events(self, pipeline: str | None = None, promotion_id: str | None = None, limit: int = 100) -> list[Event]:
        query = sa.select(events).order_by(events.c.id.desc()).limit(max(limit, 0))
        if pipeline is not None:
            query = query.where(events.c.pipeline == pipeline)
        if promotion_id is not None:
            query = query.where(events.c.promotion == promotion_id)
        with self._engine.connect() as conn:
            newest_first = [store_records.event_of(row) for row in conn.execute(query).mappings()]
        return newest_first[::-1]

    @_operation
    def measurements(self, pipeline: str, promotion_id: str, stage: int) -> list[Measurement]:
        query = sa.select(measurements).where(
            measurements.c.pipeline == pipeline,
            measurements.c.promotion == promotion_id,
            measurements.c.run.startswith(f"{stage}:", autoescape=True),
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(measurements.c.run, measurements.c.metric, measurements.c.idx))
            return [store_records.measurement_of(row) for row in rows.mappings()]

    @_operation
    def add_measurement(self, pipeline: str, promotion_id: str, measurement: Measurement, event: Event) -> bool:
        row = store_records.measurement_row(pipeline, promotion_id, measurement)
        with self._writer.begin() as conn:
            insert = self._insert(measurements).values(row)
            keys = ["pipeline", "promotion", "run", "metric", "idx"]
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING
            inserted = insert.on_conflict_do_nothing(index_elements=keys).returning(measurements.c.idx)
            added = conn.execute(inserted).first() is not None
            if added:  # the event log keeps every measurement, once
                conn.execute(events.insert(), [store_records.event_row(event)])
        return added

    # writing --------------------------------------------------------------------------------------

    @_operation
    def commit(self, pipeline: str, *changes: ports.Changes) -> None:
        for each in changes:
            _check_pipeline(pipeline, each)
        with self._writer.begin() as conn:
            for each in changes:
                self._write(conn, pipeline, each)

    def _write(self, conn: sa.Connection, pipeline: str, changes: ports.Changes) -> None:
        if changes.promotion is not None:
            self._upsert(conn, promotions, store_records.promotion_row(changes.promotion))
        if changes.stage is not None:
            self._upsert(conn, stage_runs, store_records.stage_row(pipeline, changes.stage))
        for run in changes.runs:
            self._upsert(conn, runs, store_records.run_row(pipeline, run))
        if changes.consumed:
            moment = max((e.at for e in changes.events), default=None) or self._clock.now()
            conn.execute(
                sa.update(commands)
                .where(commands.c.pipeline == pipeline, commands.c.id.in_(changes.consumed))
                .values(consumed_at=moment)
            )
        if changes.events:
            conn.execute(events.insert(), [store_records.event_row(event) for event in changes.events])
        for hold in changes.holds:
            self._upsert(conn, holds, store_records.hold_row(hold))
        for held_pipeline, version in changes.unholds:
            conn.execute(sa.delete(holds).where(holds.c.pipeline == held_pipeline, holds.c.version == version))

    # refreshes Argo CD still owes, and the pipelines' current errors ------------------------------

    @_operation
    def want_refresh(self, pipeline: str, applications: Sequence[str], now: dt.datetime) -> None:
        with self._writer.begin() as conn:
            for name in applications:
                insert = self._insert(refreshes).values(pipeline=pipeline, application=name, since=now)
                conn.execute(insert.on_conflict_do_nothing(index_elements=["pipeline", "application"]))

    @_operation
    def pending_refreshes(self, pipeline: str) -> list[str]:
        query = sa.select(refreshes.c.application).where(refreshes.c.pipeline == pipeline)
        with self._engine.connect() as conn:
            return sorted(conn.scalars(query.order_by(refreshes.c.application)))

    @_operation
    def refreshed(self, pipeline: str, application: str) -> None:
        with self._writer.begin() as conn:
            conn.execute(
                sa.delete(refreshes).where(refreshes.c.pipeline == pipeline, refreshes.c.application == application)
            )

    @_operation
    def set_error(self, pipeline: str, error: PipelineError | None) -> None:
        with self._writer.begin() as conn:
            if error is None:
                conn.execute(sa.delete(pipeline_errors).where(pipeline_errors.c.pipeline == pipeline))
            else:
                self._upsert(conn, pipeline_errors, store_records.pipeline_error_row(error))

    @_operation
    def errors(self) -> dict[str, PipelineError]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(pipeline_errors)).mappings()
            return {row["pipeline"]: store_records.pipeline_error_of(row) for row in rows}

    def _upsert(self, conn: sa.Connection, table: sa.Table, row: store_records.Row) -> None:
        keys = [column.name for column in table.primary_key]
        insert = self._insert(table).values(row)
        values = {name: insert.excluded[name] for name in row if name not in keys}
        conn.execute(insert.on_conflict_do_update(index_elements=keys, set_=values))

    # the pipeline lock ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, pipeline: str) -> Iterator[bool]:
        """True while this holder reconciles ``pipeline``; False at once if another holder has it."""
        with contextlib.ExitStack() as held:
            with _outage_is_temporary():
                self.prepare()
                if self._sqlite:
                    ours = held.enter_context(store_lock.lease(self._writer, pipeline, self._clock, self._lease))
                else:
                    ours = held.enter_context(store_lock.advisory(self._engine, pipeline))
            yield ours


def _promotion(pipeline: str, promotion_id: str) -> sa.ColumnElement[bool]:
    return (promotions.c.pipeline == pipeline) & (promotions.c.id == promotion_id)


def _check_pipeline(pipeline: str, changes: ports.Changes) -> None:
    """Every record of one commit belongs to the pipeline being reconciled; anything else is a bug upstream."""
    named = {event.pipeline for event in changes.events} | {hold.pipeline for hold in changes.holds}
    named |= {held_pipeline for held_pipeline, _ in changes.unholds}
    if changes.promotion is not None:
        named.add(changes.promotion.pipeline)
    if strangers := sorted(named - {pipeline}):
        raise ValueError(f"changes for pipeline {pipeline} name other pipelines: {', '.join(strangers)}")


def _insert_of(sqlite: bool) -> Callable[[sa.Table], Any]:
    """The dialect's INSERT (it has ON CONFLICT): only the dialect in use is imported (PostgreSQL's brings its
    drivers' modules, a twentieth of a second at every start of a command on SQLite)."""
    if sqlite:
        from sqlalchemy.dialects import sqlite as dialect  # noqa: PLC0415
    else:
        from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]  # noqa: PLC0415
    insert: Callable[[sa.Table], Any] = dialect.insert
    return insert


if TYPE_CHECKING:
    _CONFORMS: ports.Store = SQLStore("sqlite:///promoter.db")  # mypy checks the Protocol here
