"""Cron schedules, as Argo CD's sync windows write them (five fields, or ``@daily`` and its kin). Pure.

``minute hour day-of-month month day-of-week``: each field ``*``, a number, a range ``a-b``, a step
``*/n`` or ``a-b/n``, or a list of those; months and weekdays by name too (``JAN``, ``MON``; Sunday is 0 or
7). As in Vixie cron and Argo CD's parser, when both day fields are restricted a day matches either one.
Times are wall-clock times of no particular zone: :mod:`promoter.core.windows` places them in one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_SHORTHANDS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (name, lowest, highest, names counted from the lowest)
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _WEEKDAYS),
)
# The longest a schedule can go without firing: 29 February on a given weekday comes back within 28 years.
_SEARCH_DAYS = 366 * 28


class CronError(ValueError):
    """The schedule is not a cron expression; the message says which field and why."""


@dataclasses.dataclass(frozen=True)
class Cron:
    text: str
    minutes: tuple[int, ...]  # ascending
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday
    any_day: bool  # the day-of-month field starts with '*'
    any_weekday: bool

    def __str__(self) -> str:
        return self.text

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def latest(self, at: dt.datetime) -> dt.datetime | None:
        """The last time the schedule fired at or before ``at`` (naive wall time), or None within 28 years."""
        day = at.date()
        cap: tuple[int, int] | None = (at.hour, at.minute)
        for _ in range(_SEARCH_DAYS):
            if self.day_matches(day):
                found = self._last_in_day(cap)
                if found is not None:
                    return dt.datetime.combine(day, dt.time(*found))
            day -= dt.timedelta(days=1)
            cap = None
        return None

    def following(self, after: dt.datetime) -> dt.datetime | None:
        """The first time the schedule fires strictly after ``after`` (naive wall time), or None."""
        day = after.date()
        floor: tuple[int, int] | None = (after.hour, after.minute)
        for _ in range(_SEARCH_DAYS):
            if self.day_matches(day):
                found = self._first_in_day(floor)
                if found is not None:
                    return dt.datetime.combine(day, dt.time(*found))
            day += dt.timedelta(days=1)
            floor = None
        return None

    def _last_in_day(self, cap: tuple[int, int] | None) -> tuple[int, int] | None:
        for hour in reversed(self.hours):
            if cap is not None and hour > cap[0]:
                continue
            for minute in reversed(self.minutes):
                if cap is None or hour < cap[0] or minute <= cap[1]:
                    return hour, minute
        return None

    def _first_in_day(self, floor: tuple[int, int] | None) -> tuple[int, int] | None:
        for hour in self.hours:
            if floor is not None and hour < floor[0]:
                continue
            for minute in self.minutes:
                if floor is None or hour > floor[0] or minute > floor[1]:
                    return hour, minute
        return None


def parse(text: str) -> Cron:
    """The schedule in ``text``; CronError saying which field is wrong, and why."""
    spelled = _SHORTHANDS.get(text.strip().lower(), text)
    parts = spelled.split()
    if len(parts) != 5:
        raise CronError(f"{text!r}: expected five fields (minute hour day-of-month month day-of-week) or @daily")
    values = [_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in values[4])
    return Cron(
        text=text.strip(),
        minutes=tuple(sorted(values[0])),
        hours=tuple(sorted(values[1])),
        days=frozenset(values[2]),
        months=frozenset(values[3]),
        weekdays=weekdays,
        any_day=parts[2].startswith(("*", "?")),
        any_weekday=parts[4].startswith(("*", "?")),
    )


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name} {item!r}: the step after '/' must be a number above 0")
            step = int(step_text)
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, name, low, high, names), _number(end, name, low, high, names)
            if first > last:
                raise CronError(f"{name} {item!r}: the range runs backwards")
        else:
            first = _number(span, name, low, high, names)
            last = high if slash else first
        values.update(range(first, last + 1, step))
    return values


def _number(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    if not text.isdigit():
        raise CronError(f"{name} {text!r}: expected a number from {low} to {high}" + (" or a name" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name} {value}: out of range {low}-{high}")
    return value
