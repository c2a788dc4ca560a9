"""``windows:`` and ``freezes:`` of a pipeline or a stage (DESIGN.md §9), as Argo CD writes sync windows.

windows:
  - kind: allow                 # or deny; deny beats allow
    schedule: "0 9 * * 1-5"     # cron, in timeZone
    duration: 8h
    timeZone: Europe/Berlin     # IANA name; default UTC
freezes:
  - start: 2026-12-21           # a date (from its midnight) or a date and time
    end: 2027-01-04             # a date: to the end of that day
    timeZone: Europe/Berlin
    reason: year-end freeze
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal, Self

import pydantic
from pydantic import Field, PlainValidator, model_validator

from promoter.config import fields
from promoter.core import cron, windows

# A schedule must fire within this span of any moment to be a window at all ("0 0 30 2 *" never does).
_SOME_MOMENT = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - a wall time: cron times have no zone


class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


def _schedule(value: object) -> cron.Cron:
    if not isinstance(value, str):
        raise fields.refuse("schedule", 'expected a cron schedule in quotes, such as "0 9 * * 1-5"')
    try:
        parsed = cron.parse(value)
    except cron.CronError as exc:
        raise fields.refuse("schedule", str(exc)) from None
    if parsed.following(_SOME_MOMENT) is None:
        raise fields.refuse("schedule", f"{value!r} never fires (no such day)")
    return parsed


def _zone(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fields.refuse("timeZone", "expected an IANA time zone such as Europe/Berlin or UTC")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reason = f"{value!r}: no such time zone (expected an IANA name such as Europe/Berlin)"
        raise fields.refuse("timeZone", reason) from None
    return value


def _moment(value: object) -> dt.date | dt.datetime:
    if isinstance(value, dt.date):  # YAML reads 2026-12-21 as a date, 2026-12-21T18:00:00 as a datetime
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value) if "T" in value or " " in value else dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise fields.refuse("date", "expected a date (2026-12-21) or a date and time (2026-12-21T18:00)")


Schedule = Annotated[cron.Cron, PlainValidator(_schedule)]
Zone = Annotated[str, PlainValidator(_zone)]
Moment = Annotated[dt.date | dt.datetime, PlainValidator(_moment)]


class WindowModel(_Model):
    kind: Literal["allow", "deny"]
    schedule: Schedule
    duration: fields.PositiveDuration
    time_zone: Zone = Field("UTC", alias="timeZone")

    def to_window(self) -> windows.Window:
        zone = zoneinfo.ZoneInfo(self.time_zone)
        return windows.Window(windows.WindowKind(self.kind), self.schedule, self.duration, zone, self.time_zone)


class FreezeModel(_Model):
    start: Moment
    end: Moment
    time_zone: Zone = Field("UTC", alias="timeZone")
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        start, end = self.bounds()
        if end <= start:
            raise fields.refuse("freeze", "the freeze ends before it starts")
        return self

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = zoneinfo.ZoneInfo(self.time_zone)
        return _at(self.start, zone, end=False), _at(self.end, zone, end=True)

    def to_freeze(self) -> windows.Freeze:
        start, end = self.bounds()
        return windows.Freeze(start, end, self.reason)


def _at(moment: dt.date | dt.datetime, zone: dt.tzinfo, end: bool) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    day = moment + dt.timedelta(days=1) if end else moment  # an end date holds its whole day
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def to_windows(window_models: list[WindowModel], freeze_models: list[FreezeModel]) -> windows.Windows:
    return windows.Windows(tuple(m.to_window() for m in window_models), tuple(m.to_freeze() for m in freeze_models))
