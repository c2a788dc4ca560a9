"""The state store's tables, the same on SQLite and PostgreSQL (SQLAlchemy Core).

Record schema (version 2; every table is keyed by pipeline first, so pipelines never share a row). The store
is a cache: what safety depends on is also in the forge and the config repo, and a lost store is rebuilt
from them (:mod:`promoter.core.history`).

``schema_version(version)``
    One row: the schema this database holds. Migrations start from it (see :func:`create`).
``promotions(pipeline, id, version, phase, stage, step, created_at, updated_at, reason)``
    Primary key ``(pipeline, id)``; ``id`` is :func:`~promoter.core.model.promotion_id` (the version, the
    creation time and randomness: unique for ever). ``phase`` is a :class:`~promoter.core.model.Phase`
    value; ``stage``/``step`` the current step's indexes; ``updated_at`` changes with ``reason``, so it says
    since when the promotion has been waiting for what ``reason`` says. A partial unique index allows at most
    one unfinished promotion (phase not Succeeded/Failed/Aborted) per ``(pipeline, version)``.
``steps(pipeline, promotion, stage, step, state, pr_number, merge_sha, merged_at, waiting_since,``
``healthy_since, verified_at, revert_pr_number, revert_merge_sha, failure, blocked)``
    Primary key ``(pipeline, promotion, stage, step)``; ``(pipeline, promotion)`` references a promotion.
    ``state`` is a :class:`~promoter.core.model.StepState` value. A step without a row is Planned.
    ``waiting_since`` anchors the deadline (the merge, or when verification was lost); ``blocked`` is the
    observation error the PR was told about. (Both added in version 2.)
``holds(pipeline, version, reason, at)``
    Primary key ``(pipeline, version)``: versions never promoted again automatically.
``events(id, pipeline, promotion, at, kind, message, evidence)``
    The audit log, append-only; ``id`` autoincrements (insertion order is the log's order); ``promotion``
    may be null; ``evidence`` is a JSON object as text.
``leases(pipeline, owner, expires_at)``
    SQLite only: who reconciles the pipeline, until when (PostgreSQL uses advisory locks instead).
``refreshes(pipeline, application, since)``
    Argo CD refreshes that could not be asked (Argo CD was down right after a merge or a revert): asked again
    at the start of every pass until they succeed. (Version 2.)
``pipeline_errors(pipeline, kind, message, since, seen_at)``
    The error that stops a pipeline's passes now (Argo CD or GitHub down, a refused token), since when, and
    when it was last seen; the row goes when a pass succeeds. ``promoter status`` shows it. (Version 2.)

Migrations: version 1 databases get the two step columns (``ALTER TABLE ... ADD COLUMN``, nullable) and the
two new tables, in the same serialised transaction that creates a fresh schema.

Datetimes are aware UTC in and out: ``timestamptz`` on PostgreSQL, fixed-width ISO 8601 text
(``2024-05-01T12:00:00.000000+00:00``) on SQLite, so text order is time order and microseconds survive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from promoter.core.model import Phase
from promoter.errors import PermanentError

VERSION = 2

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
)
UNFINISHED = promotions.c.phase.not_in(_FINISHED)  # a where-clause: the promotion still runs
sa.Index(
    "promotions_one_unfinished_per_version",
    promotions.c.pipeline,
    promotions.c.version,
    unique=True,
    sqlite_where=UNFINISHED,
    postgresql_where=UNFINISHED,
)

steps = sa.Table(
    "steps",
    metadata,
    sa.Column("pipeline", sa.Text, primary_key=True),
    sa.Column("promotion", sa.Text, primary_key=True),
    sa.Column("stage", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("state", sa.Text, nullable=False),
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
    sa.ForeignKeyConstraint(["pipeline", "promotion"], ["promotions.pipeline", "promotions.id"], ondelete="CASCADE"),
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

# Columns added after version 1, by the version that added them: (table, column).
_ADDED = {2: (("steps", "waiting_since"), ("steps", "blocked"))}


def create(conn: sa.Connection) -> None:
    """Create the tables that are missing and record the version; call inside one serialised transaction."""
    fresh = not sa.inspect(conn).has_table("schema_version")
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
        for table, column in _ADDED.get(version, ()):
            _add_column(conn, metadata.tables[table].c[column])
    if found < VERSION:
        conn.execute(sa.update(schema_version).values(version=VERSION))


def _add_column(conn: sa.Connection, column: sa.Column[Any]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a nullable column, in the dialect's own type."""
    kind = column.type.compile(dialect=conn.dialect)
    table = conn.dialect.identifier_preparer.quote(column.table.name)
    name = conn.dialect.identifier_preparer.quote(column.name)
    conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
