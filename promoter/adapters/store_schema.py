"""The state store's tables, the same on SQLite and PostgreSQL (SQLAlchemy Core).

Record schema (version 4; every table is keyed by pipeline first, so pipelines never share a row). The store
is a cache: what safety depends on is also in the forge and the config repo, and a lost store is rebuilt
from them (:mod:`promoter.core.history`).

``schema_version(version)``
    One row: the schema this database holds. Migrations start from it (see :func:`create`).
``promotions(pipeline, id, version, phase, stage, step, created_at, updated_at, reason, paused)``
    Primary key ``(pipeline, id)``; ``id`` is :func:`~promoter.core.model.promotion_id` (the version, the
    creation time and randomness: unique for ever). ``phase`` is a :class:`~promoter.core.model.Phase`
    value; ``stage`` the current stage's index, ``step`` the current item's index in that stage's plan;
    ``updated_at`` changes with ``reason``, so it says since when the promotion has been waiting for what
    ``reason`` says (for people only: nothing reads it as state). ``paused`` (version 3) is
    ``promoter pause``. A partial unique index allows at most one unfinished promotion (phase not
    Succeeded/Failed/Aborted) per ``(pipeline, version)``.
``stage_runs(pipeline, promotion, stage, state, facts, revert_pr_number, revert_merge_sha, failure, aborted_by)``
    (Version 3.) Primary key ``(pipeline, promotion, stage)``. ``state`` is a
    :class:`~promoter.core.runs.StageState` value; ``facts`` the JSON of the stage's
    :class:`~promoter.core.runs.Facts` (null until the stage started); the revert PR of the stage and why.
``runs(pipeline, promotion, stage, item, kind, state, pr_number, merge_sha, merged_at, healthy_since,``
``verified_at, skipped, blocked, approved_by, started_at, unverified_since, passed_at, passed_by)``
    (Version 3.) One row per change (``kind`` change: a :class:`~promoter.core.runs.ChangeState`) or gate
    (``kind`` gate: a :class:`~promoter.core.runs.GateState`) of a stage's plan that has begun; the columns of
    the other kind are null. An item without a row has not begun.
    Gate runs of an analysis (version 4): ``told`` is how many measurements the PR's table shows,
    ``verdict`` the run's verdict while it waits for a person (Inconclusive). A canary's background analysis
    is the gate run at item -1.
``measurements(pipeline, promotion, run, metric, idx, taken_at, data)``
    (Version 4.) Every analysis measurement as taken, keyed so a retry after a crash never counts one twice:
    ``run`` is ``"{stage}:{item}"`` (``"{stage}:background"``), ``idx`` the metric's n-th measurement;
    ``data`` the JSON of the value, the baseline's, the traffic's (scalars or vectors; NaN and Infinity kept)
    or the error.
``commands(id, pipeline, promotion, kind, by, at, consumed_at)``
    (Version 3.) What operators asked (``promoter promote|pause|resume|abort``); a decision consumes each once.
``holds(pipeline, version, reason, at)``
    Primary key ``(pipeline, version)``: versions never promoted again automatically.
``events(id, pipeline, promotion, at, kind, message, evidence)``
    The audit log, append-only; ``id`` autoincrements (insertion order is the log's order); ``promotion``
    may be null; ``kind`` an :class:`~promoter.core.model.EventKind` value; ``evidence`` a JSON object.
``leases(pipeline, owner, expires_at)``
    SQLite only: who reconciles the pipeline, until when (PostgreSQL uses advisory locks instead).
``refreshes(pipeline, application, since)``
    Argo CD refreshes that could not be asked (Argo CD was down right after a merge or a revert): asked again
    at the start of every pass until they succeed. (Version 2.)
``pipeline_errors(pipeline, kind, message, since, seen_at)``
    The error that stops a pipeline's passes now (Argo CD or GitHub down, a refused token), since when, and
    when it was last seen; the row goes when a pass succeeds. ``promoter status`` shows it. (Version 2.)

Migrations run in the same serialised transaction that creates a fresh schema, on start: version 1 gets the
two step columns of version 2 (``ALTER TABLE ... ADD COLUMN``, nullable) and its two tables; version 2's
``steps`` (one record per rolling stage) become a stage run and a change run each (a soaking step also the
soak's gate run, its timer from the verification; a step that lost its verification while soaking a done change
and that gate, waiting to be verified again since then), and the table is dropped.

Datetimes are aware UTC in and out: ``timestamptz`` on PostgreSQL, fixed-width ISO 8601 text
(``2024-05-01T12:00:00.000000+00:00``) on SQLite, so text order is time order and microseconds survive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from promoter.core.model import Phase
from promoter.errors import PermanentError

VERSION = 4

_FINISHED = sorted(phase.value for phase in Phase if phase.finished)  # the phases a promotion ends in


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC; a naive one is refused rather than guessed."""

    impl = sa.String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.String(32))

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> object:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the store takes aware datetimes only")
        utc = value.astimezone(dt.UTC)
        return utc if dialect.name == "postgresql" else utc.isoformat(timespec="microseconds")

    def process_result_value(self, value: object, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        assert isinstance(value, str)
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
)

promotions = sa.Table(
    "promotions",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("phase", sa.Text, nullable=False),
    sa.Column("stage", sa.Integer, nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("paused", sa.Boolean),  # null (before version 3): not paused
)
UNFINISHED = promotions.c.phase.not_in(_FINISHED)  # a where-clause: the promotion still runs
# Partial (over the unfinished only) in the database's own dialect, named when the tables are made: naming every
# dialect's where-argument here would import each dialect's module to check it (PostgreSQL's on SQLite too).
_ONE_UNFINISHED = sa.Index(
    "promotions_one_unfinished_per_version", promotions.c.pipeline, promotions.c.version, unique=True
)

stage_runs = sa.Table(
    "stage_runs",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("promotion", sa.Text, primary_key=True),
    sa.Column("stage", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("facts", sa.Text),
    sa.Column("revert_pr_number", sa.Integer),
    sa.Column("revert_merge_sha", sa.Text),
    sa.Column("failure", sa.Text),
    sa.Column("aborted_by", sa.Text),
    sa.ForeignKeyConstraint(["pipeline", "promotion"], ["promotions.pipeline", "promotions.id"], ondelete="CASCADE"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("promotion", sa.Text, primary_key=True),
    sa.Column("stage", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("item", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.Text, nullable=False),  # change | gate
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("pr_number", sa.Integer),
    sa.Column("merge_sha", sa.Text),
    sa.Column("merged_at", UTCDateTime),
    sa.Column("healthy_since", UTCDateTime),
    sa.Column("verified_at", UTCDateTime),
    sa.Column("skipped", sa.Boolean),
    sa.Column("blocked", sa.Text),
    sa.Column("approved_by", sa.Text),
    sa.Column("started_at", UTCDateTime),
    sa.Column("unverified_since", UTCDateTime),
    sa.Column("passed_at", UTCDateTime),
    sa.Column("passed_by", sa.Text),
    sa.Column("told", sa.Integer),  # version 4
    sa.Column("verdict", sa.Text),  # version 4
    sa.ForeignKeyConstraint(["pipeline", "promotion"], ["promotions.pipeline", "promotions.id"], ondelete="CASCADE"),
)

measurements = sa.Table(
    "measurements",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("promotion", sa.Text, primary_key=True),
    sa.Column("run", sa.Text, primary_key=True),
    sa.Column("metric", sa.Text, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("taken_at", UTCDateTime, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(["pipeline", "promotion"], ["promotions.pipeline", "promotions.id"], ondelete="CASCADE"),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.Text, nullable=False),
    sa.Column("promotion", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("consumed_at", UTCDateTime),
    sa.Index("commands_pending", "pipeline", "promotion", "consumed_at"),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key (its rowid)
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.Text, nullable=False),
    sa.Column("promotion", sa.Text),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Index("events_by_pipeline", "pipeline", "promotion", "id"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)


refreshes = sa.Table(
    "refreshes",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("application", sa.Text, primary_key=True),
    sa.Column("since", UTCDateTime, nullable=False),
)

pipeline_errors = sa.Table(
    "pipeline_errors",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
)

# Version 2's one-record-per-step table: only migrations read it (it is not part of the schema any more).
_legacy = sa.MetaData()
_steps = sa.Table(
    "steps",
    _legacy,
    sa.Column("pipeline", sa.Text),
    sa.Column("promotion", sa.Text),
    sa.Column("stage", sa.Integer),
    sa.Column("step", sa.Integer),
    sa.Column("state", sa.Text),
    sa.Column("pr_number", sa.Integer),
    sa.Column("merge_sha", sa.Text),
    sa.Column("merged_at", UTCDateTime),
    sa.Column("waiting_since", UTCDateTime),
    sa.Column("healthy_since", UTCDateTime),
    sa.Column("verified_at", UTCDateTime),
    sa.Column("revert_pr_number", sa.Integer),
    sa.Column("revert_merge_sha", sa.Text),
    sa.Column("failure", sa.Text),
    sa.Column("blocked", sa.Text),
)

# Columns added to existing tables, by the version that added them.
_ADDED: dict[int, tuple[sa.Column[Any], ...]] = {
    2: (_steps.c.waiting_since, _steps.c.blocked),
    3: (promotions.c.paused,),
    4: (runs.c.told, runs.c.verdict),
}


def create(conn: sa.Connection) -> None:
    """Create the tables that are missing and record the version; call inside one serialised transaction."""
    inspector = sa.inspect(conn)
    fresh = not inspector.has_table("schema_version")
    _ONE_UNFINISHED.dialect_kwargs[f"{conn.dialect.name}_where"] = UNFINISHED
    metadata.create_all(conn, checkfirst=True)  # a fresh database, and the tables later versions added
    found = None if fresh else conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar_one_or_none()
    if found is None:
        conn.execute(sa.delete(schema_version))
        conn.execute(schema_version.insert().values(version=VERSION))
        return
    if found > VERSION:
        # written by a newer promoter: reading it with older code could lose what it added
        raise PermanentError(f"the database holds schema version {found}; this promoter knows up to {VERSION}")
    for version in range(found + 1, VERSION + 1):
        for column in _ADDED.get(version, ()):
            _add_column(conn, column)
        if version == 3:
            _steps_to_runs(conn)
    if found < VERSION:
        conn.execute(sa.update(schema_version).values(version=VERSION))


def _add_column(conn: sa.Connection, column: sa.Column[Any]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a nullable column, in the dialect's own type; nothing when the table
    has it already (a table a later version created whole, in this same upgrade)."""
    if column.name in {c["name"] for c in sa.inspect(conn).get_columns(column.table.name)}:
        return
    kind = column.type.compile(dialect=conn.dialect)
    table = conn.dialect.identifier_preparer.quote(column.table.name)
    name = conn.dialect.identifier_preparer.quote(column.name)
    conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))


_STAGE_STATES = {"Reverting": "Reverting", "Reverted": "Reverted", "Stuck": "Stuck"}
_RENAMED_EVENTS = {"step_done": "gate_passed", "step_unverified": "gate_unverified"}  # version 2's names
_ROLLING_FACTS = '{"active": null, "replicas": {}}'  # a rolling stage's plan needs none


def _steps_to_runs(conn: sa.Connection) -> None:
    """Version 2's steps (rolling stages, one step each) as a stage run and a change run each."""
    for row in conn.execute(sa.select(_steps)).mappings():
        old = row["state"]
        key = {"pipeline": row["pipeline"], "promotion": row["promotion"], "stage": row["stage"]}
        conn.execute(
            stage_runs.insert().values(
                **key,
                state=_STAGE_STATES.get(old, "Running"),
                facts=_ROLLING_FACTS,
                revert_pr_number=row["revert_pr_number"],
                revert_merge_sha=row["revert_merge_sha"],
                failure=row["failure"],
            )
        )
        merged = row["merge_sha"] is not None
        # Verified once, then lost while soaking: version 2 put the step back to Merged, waiting again since
        # waiting_since. Its change is done; the soak's gate waits for the verification again, from then.
        since = row["waiting_since"]
        lost = old == "Merged" and since is not None and row["merged_at"] is not None and since > row["merged_at"]
        state = {"Planned": "Planned", "Open": "Open", "Merged": "Merged"}.get(old, "Done" if merged else "Planned")
        waiting = {"healthy_since": row["healthy_since"], "blocked": row["blocked"]}
        conn.execute(
            runs.insert().values(
                **key,
                item=row["step"],
                kind="change",
                state="Done" if lost else state,
                pr_number=row["pr_number"],
                merge_sha=row["merge_sha"],
                merged_at=row["merged_at"],
                verified_at=row["verified_at"],
                **({} if lost else waiting),
            )
        )
        if old == "Verified":  # soaking: the soak is the gate after the change, its timer from the verification
            conn.execute(
                runs.insert().values(
                    **key, item=row["step"] + 1, kind="gate", state="Waiting", started_at=row["verified_at"]
                )
            )
        elif lost:
            gate = {"kind": "gate", "state": "Waiting", "started_at": since, "unverified_since": since}
            conn.execute(runs.insert().values(**key, item=row["step"] + 1, **gate, **waiting))
    conn.execute(sa.text("DROP TABLE steps"))
    for old, new in _RENAMED_EVENTS.items():
        conn.execute(sa.update(events).where(events.c.kind == old).values(kind=new))
