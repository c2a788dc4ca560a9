"""Databases as earlier promoters wrote them, in their own DDL, for the migration tests.

Written out here rather than derived from :mod:`promoter.adapters.store_schema`: its metadata is the current
schema, and a test of the upgrade must not move with it. Datetimes are stored as each version stored them:
``timestamptz`` on PostgreSQL, fixed-width ISO 8601 text on SQLite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

_TIME = {"sqlite": "VARCHAR(32)", "postgresql": "TIMESTAMP WITH TIME ZONE"}
_SERIAL = {"sqlite": "INTEGER NOT NULL", "postgresql": "BIGSERIAL NOT NULL"}  # SQLite: the rowid

_PROMOTIONS = """
CREATE TABLE promotions (
    pipeline TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL, phase TEXT NOT NULL,
    stage INTEGER NOT NULL, step INTEGER NOT NULL, created_at {time} NOT NULL, updated_at {time} NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (pipeline, id)
)"""
_UNFINISHED = """
CREATE UNIQUE INDEX promotions_one_unfinished_per_version ON promotions (pipeline, version)
WHERE phase NOT IN ('Aborted', 'Failed', 'Succeeded')"""
_STEPS_1 = """
CREATE TABLE steps (
    pipeline TEXT NOT NULL, promotion TEXT NOT NULL, stage INTEGER NOT NULL, step INTEGER NOT NULL,
    state TEXT NOT NULL, pr_number INTEGER, merge_sha TEXT, merged_at {time}, healthy_since {time},
    verified_at {time}, revert_pr_number INTEGER, revert_merge_sha TEXT, failure TEXT,
    PRIMARY KEY (pipeline, promotion, stage, step),
    FOREIGN KEY (pipeline, promotion) REFERENCES promotions (pipeline, id) ON DELETE CASCADE
)"""
_STEPS_2 = """
CREATE TABLE steps (
    pipeline TEXT NOT NULL, promotion TEXT NOT NULL, stage INTEGER NOT NULL, step INTEGER NOT NULL,
    state TEXT NOT NULL, pr_number INTEGER, merge_sha TEXT, merged_at {time}, waiting_since {time},
    healthy_since {time}, verified_at {time}, revert_pr_number INTEGER, revert_merge_sha TEXT, failure TEXT,
    blocked TEXT,
    PRIMARY KEY (pipeline, promotion, stage, step),
    FOREIGN KEY (pipeline, promotion) REFERENCES promotions (pipeline, id) ON DELETE CASCADE
)"""
_COMMON = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL, PRIMARY KEY (version))",
    """
CREATE TABLE holds (
    pipeline TEXT NOT NULL, version TEXT NOT NULL, reason TEXT NOT NULL, at {time} NOT NULL,
    PRIMARY KEY (pipeline, version)
)""",
    """
CREATE TABLE events (
    id {serial}, pipeline TEXT NOT NULL, promotion TEXT, at {time} NOT NULL, kind TEXT NOT NULL,
    message TEXT NOT NULL, evidence TEXT NOT NULL,
    PRIMARY KEY (id)
)""",
    "CREATE INDEX events_by_pipeline ON events (pipeline, promotion, id)",
    """
CREATE TABLE leases (
    pipeline TEXT NOT NULL, owner TEXT NOT NULL, expires_at {time} NOT NULL,
    PRIMARY KEY (pipeline)
)""",
)
_VERSION_2_ONLY = (
    """
CREATE TABLE refreshes (
    pipeline TEXT NOT NULL, application TEXT NOT NULL, since {time} NOT NULL,
    PRIMARY KEY (pipeline, application)
)""",
    """
CREATE TABLE pipeline_errors (
    pipeline TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL, since {time} NOT NULL,
    seen_at {time} NOT NULL,
    PRIMARY KEY (pipeline)
)""",
)

# Version 3 (as 7210fc5's schema created it): the typed plan's records; runs without told/verdict, no
# measurements.
_PROMOTIONS_3 = _PROMOTIONS.replace("reason TEXT NOT NULL,", "reason TEXT NOT NULL, paused BOOLEAN,")
_RECORDS_3 = (
    """
CREATE TABLE stage_runs (
    pipeline TEXT NOT NULL, promotion TEXT NOT NULL, stage INTEGER NOT NULL, state TEXT NOT NULL, facts TEXT,
    revert_pr_number INTEGER, revert_merge_sha TEXT, failure TEXT, aborted_by TEXT,
    PRIMARY KEY (pipeline, promotion, stage),
    FOREIGN KEY (pipeline, promotion) REFERENCES promotions (pipeline, id) ON DELETE CASCADE
)""",
    """
CREATE TABLE runs (
    pipeline TEXT NOT NULL, promotion TEXT NOT NULL, stage INTEGER NOT NULL, item INTEGER NOT NULL,
    kind TEXT NOT NULL, state TEXT NOT NULL, pr_number INTEGER, merge_sha TEXT, merged_at {time},
    healthy_since {time}, verified_at {time}, skipped BOOLEAN, blocked TEXT, approved_by TEXT,
    started_at {time}, unverified_since {time}, passed_at {time}, passed_by TEXT,
    PRIMARY KEY (pipeline, promotion, stage, item),
    FOREIGN KEY (pipeline, promotion) REFERENCES promotions (pipeline, id) ON DELETE CASCADE
)""",
    """
CREATE TABLE commands (
    id {serial}, pipeline TEXT NOT NULL, promotion TEXT NOT NULL, kind TEXT NOT NULL, by TEXT NOT NULL,
    at {time} NOT NULL, consumed_at {time},
    PRIMARY KEY (id)
)""",
    "CREATE INDEX commands_pending ON commands (pipeline, promotion, consumed_at)",
)

DDL = {
    1: (*_COMMON, _PROMOTIONS, _UNFINISHED, _STEPS_1),
    2: (*_COMMON, _PROMOTIONS, _UNFINISHED, _STEPS_2, *_VERSION_2_ONLY),
    3: (*_COMMON, _PROMOTIONS_3, _UNFINISHED, *_RECORDS_3, *_VERSION_2_ONLY),
}


def create(url: str, version: int, rows: dict[str, list[dict[str, object]]]) -> None:
    """A database of schema ``version`` at ``url``, holding ``rows`` (by table, in order)."""
    engine = sa.create_engine(url)
    if engine.url.get_backend_name() == "sqlite":
        assert engine.url.database is not None
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        with engine.begin() as conn:
            types = {"time": _TIME[conn.dialect.name], "serial": _SERIAL[conn.dialect.name]}
            for statement in DDL[version]:
                conn.execute(sa.text(statement.format(**types)))
            conn.execute(sa.text("INSERT INTO schema_version (version) VALUES (:version)"), {"version": version})
            for table, each in rows.items():
                for row in each:
                    insert(conn, table, row)
    finally:
        engine.dispose()


def insert(conn: sa.Connection, table: str, row: dict[str, object]) -> None:
    """One row as that version wrote it: a datetime as ISO text on SQLite."""
    names = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    stored = {name: _stored(value, conn.dialect.name) for name, value in row.items()}
    conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({values})"), stored)


def _stored(value: object, dialect: str) -> object:
    if isinstance(value, dt.datetime) and dialect == "sqlite":
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value
