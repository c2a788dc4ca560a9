"""Promotion windows: when a promotion's pull requests may merge. Pure (the zones come loaded from the config).

Argo CD's sync-window semantics: a window opens each time its cron ``schedule`` fires, in its time zone, and
stays open for ``duration``. A deny window or a freeze (a date range) that is active closes the merge, whatever
else is open: deny beats allow. When a stage has allow windows, it merges only inside one of them. With no
windows at all it merges at any time.

A closed window holds a change's PR open (approved or not) until the window opens; the bot wakes then. It
never holds a revert: a failed stage is rolled back at once, window or not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from promoter.core.cron import Cron


class WindowKind(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


@dataclasses.dataclass(frozen=True)
class Window:
    kind: WindowKind
    schedule: Cron
    duration: dt.timedelta
    zone: dt.tzinfo
    zone_name: str  # as written: "Europe/Berlin"

    def __str__(self) -> str:
        return f"{self.kind.value} {self.schedule} for {_span(self.duration)} ({self.zone_name})"

    def occurrence(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        """The opening of this window that ``at`` falls in, as (start, end), or None."""
        fired = self.schedule.latest(_wall(at, self.zone))
        if fired is None:
            return None
        start = _instant(fired, self.zone)
        end = start + self.duration
        return (start, end) if start <= at < end else None

    def next_start(self, at: dt.datetime) -> dt.datetime | None:
        fires = self.schedule.following(_wall(at, self.zone))
        return None if fires is None else _instant(fires, self.zone)


@dataclasses.dataclass(frozen=True)
class Freeze:
    """No merge from ``start`` until ``end`` (exclusive)."""

    start: dt.datetime
    end: dt.datetime
    reason: str

    def __str__(self) -> str:
        return f"freeze {self.start:%Y-%m-%d %H:%M %Z} to {self.end:%Y-%m-%d %H:%M %Z}" + (
            f": {self.reason}" if self.reason else ""
        )

    def active(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end


@dataclasses.dataclass(frozen=True)
class WindowState:
    open: bool
    why: str  # for people: "inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)", "frozen: year end"
    changes_at: dt.datetime | None  # when it next opens (closed) or closes (open); None: not within a year


@dataclasses.dataclass(frozen=True)
class Windows:
    windows: tuple[Window, ...] = ()
    freezes: tuple[Freeze, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.windows or self.freezes)

    def __add__(self, other: Windows) -> Windows:
        return Windows(self.windows + other.windows, self.freezes + other.freezes)

    def allows(self, at: dt.datetime) -> bool:
        """Whether a merge may happen at ``at``: :meth:`state` without looking ahead (cheaper)."""
        return self._judge(at)[0]

    def state(self, at: dt.datetime) -> WindowState:
        """Whether a merge may happen at ``at`` (aware), why, and until when."""
        is_open, why = self._judge(at)
        return WindowState(is_open, why, self._next_change(at, is_open))

    def openings(self, at: dt.datetime, count: int) -> tuple[tuple[dt.datetime, dt.datetime | None], ...]:
        """The next ``count`` spans, from ``at`` on, in which a merge may happen: (opens, closes or None)."""
        spans: list[tuple[dt.datetime, dt.datetime | None]] = []
        moment: dt.datetime | None = at
        is_open = self._judge(at)[0]
        while moment is not None and len(spans) < count:
            if not is_open:
                moment = self._next_change(moment, False)
                if moment is None:
                    break
            closes = self._next_change(moment, True)
            spans.append((moment, closes))
            moment, is_open = closes, False
        return tuple(spans)

    def _judge(self, at: dt.datetime) -> tuple[bool, str]:
        for freeze in self.freezes:
            if freeze.active(at):
                return False, f"frozen: {freeze}"
        for window in self.windows:
            if window.kind is WindowKind.DENY and window.occurrence(at) is not None:
                return False, f"inside {window}"
        allows = [w for w in self.windows if w.kind is WindowKind.ALLOW]
        for window in allows:
            if window.occurrence(at) is not None:
                return True, f"inside {window}"
        if allows:
            return False, "outside every allow window"
        return True, "no window closes it"

    def _next_change(self, at: dt.datetime, is_open: bool) -> dt.datetime | None:
        """The first moment after ``at`` at which the merge is no longer ``is_open`` (within a year)."""
        horizon = at + dt.timedelta(days=366)
        moment = at
        for _ in range(10_000):  # boundaries are a window's start and end or a freeze's; a year holds few
            following = self._boundary(moment)
            if following is None or following > horizon:
                return None
            if self._judge(following)[0] != is_open:
                return following
            moment = following
        return None  # ten thousand boundaries (a window opening every minute): as good as never

    def _boundary(self, at: dt.datetime) -> dt.datetime | None:
        """The first moment after ``at`` at which some window or freeze starts or ends."""
        candidates: list[dt.datetime] = []
        for window in self.windows:
            current = window.occurrence(at)
            if current is not None:
                candidates.append(current[1])
            start = window.next_start(at)
            if start is not None:
                candidates.append(start)
        for freeze in self.freezes:
            candidates += [t for t in (freeze.start, freeze.end) if t > at]
        later = [t for t in candidates if t > at]
        return min(later) if later else None


def _wall(at: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _instant(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    # A wall time skipped by a clock change (02:30 on the spring-forward night) is read with the offset
    # before the change, an hour later in the new time: the window opens late rather than never.
    return wall.replace(tzinfo=zone).astimezone(dt.UTC)


def _span(duration: dt.timedelta) -> str:
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours}h{minutes}m"
    return f"{hours}h" if hours else f"{minutes}m"
