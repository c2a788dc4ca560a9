"""Promotion windows: cron schedules, Argo CD's allow/deny semantics, freezes, and the merge they hold."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from promoter.core import cron, texts
from promoter.core.actions import Decision, MergePR, Record, SetStatus, StatusState
from promoter.core.decide import decide
from promoter.core.markers import Kind
from promoter.core.model import Pipeline
from promoter.core.plan import build
from promoter.core.runs import ChangeState, Facts, StageState
from promoter.core.windows import Freeze, Window, WindowKind, Windows
from tests.core.builders import PIPELINE, T0, at, change, marker, pr, promotion, snap, stage_run

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def wall(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# cron ---------------------------------------------------------------------------------------------

# (schedule, at, the latest firing at or before it, the first firing after it)
FIRINGS = {
    "every minute": ("* * * * *", "2026-11-21 12:00:30", "2026-11-21 12:00", "2026-11-21 12:01"),
    "exactly on a firing": ("0 9 * * *", "2026-11-21 09:00", "2026-11-21 09:00", "2026-11-22 09:00"),
    "earlier the same day": ("30 9 * * *", "2026-11-21 09:29", "2026-11-20 09:30", "2026-11-21 09:30"),
    "a later minute of an earlier hour": ("50 8,10 * * *", "2026-11-21 09:10", "2026-11-21 08:50", "2026-11-21 10:50"),
    "weekdays": ("0 9 * * 1-5", "2026-11-21 10:00", "2026-11-20 09:00", "2026-11-23 09:00"),
    "weekday names": ("0 9 * * MON-FRI", "2026-11-21 10:00", "2026-11-20 09:00", "2026-11-23 09:00"),
    "Sunday as 7": ("0 0 * * 7", "2026-11-21 10:00", "2026-11-15 00:00", "2026-11-22 00:00"),
    "steps": ("*/15 */6 * * *", "2026-11-21 13:00", "2026-11-21 12:45", "2026-11-21 18:00"),
    "a range with a step": ("10-40/15 9 * * *", "2026-11-21 09:30", "2026-11-21 09:25", "2026-11-21 09:40"),
    "a number with a step runs to the end": (
        "50/5 9 * * *",
        "2026-11-21 09:56",
        "2026-11-21 09:55",
        "2026-11-22 09:50",
    ),
    "month names": ("0 0 1 JAN,jul *", "2026-11-21 10:00", "2026-07-01 00:00", "2027-01-01 00:00"),
    "both day fields: either matches": ("0 0 1 * 1", "2026-11-21 10:00", "2026-11-16 00:00", "2026-11-23 00:00"),
    "a restricted day and any weekday: both": (
        "0 0 13 * *",
        "2026-11-21 10:00",
        "2026-11-13 00:00",
        "2026-12-13 00:00",
    ),
    "29 February": ("0 0 29 2 *", "2026-11-21 10:00", "2024-02-29 00:00", "2028-02-29 00:00"),
    "@daily": ("@daily", "2026-11-21 10:00", "2026-11-21 00:00", "2026-11-22 00:00"),
    "@hourly": ("@Hourly", "2026-11-21 10:20", "2026-11-21 10:00", "2026-11-21 11:00"),
    "@weekly": ("@weekly", "2026-11-21 10:00", "2026-11-15 00:00", "2026-11-22 00:00"),
    "@monthly": ("@monthly", "2026-11-21 10:00", "2026-11-01 00:00", "2026-12-01 00:00"),
    "@yearly": ("@yearly", "2026-11-21 10:00", "2026-01-01 00:00", "2027-01-01 00:00"),
}


@pytest.mark.parametrize(("schedule", "at", "latest", "following"), FIRINGS.values(), ids=list(FIRINGS))
def test_a_schedule_fires_at_its_times(schedule: str, at: str, latest: str, following: str) -> None:
    parsed = cron.parse(schedule)
    assert parsed.latest(wall(at)) == wall(latest)
    assert parsed.following(wall(at)) == wall(following)
    assert str(parsed) == schedule


def test_a_schedule_that_never_fires_finds_nothing() -> None:
    never = cron.parse("0 0 30 2 *")
    assert never.latest(wall("2026-11-21 10:00")) is None
    assert never.following(wall("2026-11-21 10:00")) is None


REFUSED = {
    "four fields": ("0 9 * *", "expected five fields"),
    "a word": ("0 9 * * someday", "day of week 'someday': expected a number from 0 to 7 or a name"),
    "out of range": ("60 9 * * *", "minute 60: out of range 0-59"),
    "backwards": ("0 17-9 * * *", "hour '17-9': the range runs backwards"),
    "a zero step": ("*/0 * * * *", "the step after '/' must be a number above 0"),
    "a step that is not a number": ("*/x * * * *", "the step after '/' must be a number above 0"),
    "no names for hours": ("0 MON * * *", "hour 'MON': expected a number from 0 to 23"),
}


@pytest.mark.parametrize(("schedule", "reason"), REFUSED.values(), ids=list(REFUSED))
def test_a_bad_schedule_says_which_field_and_why(schedule: str, reason: str) -> None:
    with pytest.raises(cron.CronError, match=None) as raised:
        cron.parse(schedule)
    assert reason in str(raised.value)


# windows ------------------------------------------------------------------------------------------


def window(kind: str, schedule: str, hours: float, zone: str = "UTC") -> Window:
    return Window(WindowKind(kind), cron.parse(schedule), dt.timedelta(hours=hours), zoneinfo.ZoneInfo(zone), zone)


OFFICE = window("allow", "0 9 * * 1-5", 8, "Europe/Berlin")  # weekdays 09:00-17:00 in Berlin
LUNCH = window("deny", "0 12 * * *", 1, "Europe/Berlin")
YEAR_END = Freeze(dt.datetime(2026, 12, 21, tzinfo=BERLIN), dt.datetime(2027, 1, 5, tzinfo=BERLIN), "year-end freeze")

# (windows, at (UTC), open, why, changes at (UTC))
STATES = {
    "no windows: always open": (Windows(), "2026-11-21 12:00", True, "no window closes it", None),
    "inside an allow window": (
        Windows((OFFICE,)),
        "2026-11-23 09:00",
        True,
        "inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "2026-11-23 16:00",
    ),
    "outside every allow window": (
        Windows((OFFICE,)),
        "2026-11-21 12:00",
        False,
        "outside every allow window",
        "2026-11-23 08:00",
    ),
    "the end is outside": (
        Windows((OFFICE,)),
        "2026-11-23 16:00",
        False,
        "outside every allow window",
        "2026-11-24 08:00",
    ),
    "deny beats allow": (
        Windows((OFFICE, LUNCH)),
        "2026-11-23 11:30",
        False,
        "inside deny 0 12 * * * for 1h (Europe/Berlin)",
        "2026-11-23 12:00",
    ),
    "open again after the deny": (
        Windows((OFFICE, LUNCH)),
        "2026-11-23 12:00",
        True,
        "inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "2026-11-23 16:00",
    ),
    "a deny alone closes only itself": (
        Windows((LUNCH,)),
        "2026-11-21 10:59",
        True,
        "no window closes it",
        "2026-11-21 11:00",
    ),
    "a freeze beats an allow window": (
        Windows((OFFICE,), (YEAR_END,)),
        "2026-12-22 10:00",
        False,
        "frozen: freeze 2026-12-21 00:00 CET to 2027-01-05 00:00 CET: year-end freeze",
        "2027-01-05 08:00",
    ),
    "summer time moves the window with the wall clock": (
        Windows((OFFICE,)),
        "2026-07-01 07:00",
        True,
        "inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "2026-07-01 15:00",
    ),
    "a window that never opens": (
        Windows((window("allow", "0 0 29 2 *", 1),)),
        "2026-11-21 12:00",
        False,
        "outside every allow window",
        None,
    ),
    "a schedule without a day": (
        Windows((window("allow", "0 0 30 2 *", 1),)),
        "2026-11-21 12:00",
        False,
        "outside every allow window",
        None,
    ),
    "a window that never closes": (
        Windows((window("allow", "* * * * *", 2),)),
        "2026-11-21 12:00",
        True,
        "inside allow * * * * * for 2h (UTC)",
        None,
    ),
}


@pytest.mark.parametrize(("windows", "at", "is_open", "why", "changes_at"), STATES.values(), ids=list(STATES))
def test_windows_say_whether_a_merge_may_happen_and_until_when(
    windows: Windows, at: str, is_open: bool, why: str, changes_at: str | None
) -> None:
    state = windows.state(utc(at))
    assert (state.open, state.why) == (is_open, why)
    assert state.changes_at == (utc(changes_at) if changes_at else None)


def test_overlapping_openings_of_one_window_keep_it_open_to_the_last_end() -> None:
    hourly_for_two = Windows((window("allow", "0 * * * 1", 2),))  # Mondays, each hour for two hours
    assert hourly_for_two.state(utc("2026-11-23 23:30")).open  # opened at 23:00, Monday's last
    assert hourly_for_two.state(utc("2026-11-24 00:30")).changes_at == utc("2026-11-24 01:00")


def test_openings_list_the_next_spans() -> None:
    spans = Windows((OFFICE, LUNCH)).openings(utc("2026-11-23 11:30"), 3)
    assert spans == (
        (utc("2026-11-23 12:00"), utc("2026-11-23 16:00")),
        (utc("2026-11-24 08:00"), utc("2026-11-24 11:00")),
        (utc("2026-11-24 12:00"), utc("2026-11-24 16:00")),
    )
    assert Windows().openings(utc("2026-11-23 11:30"), 3) == ((utc("2026-11-23 11:30"), None),)
    assert Windows((window("allow", "0 0 29 2 *", 1),)).openings(utc("2026-11-23 11:30"), 3) == ()


def test_windows_read_as_written() -> None:
    assert str(window("deny", "@daily", 1.5)) == "deny @daily for 1h30m (UTC)"
    assert str(window("allow", "0 9 * * *", 0.5, "Asia/Tokyo")) == "allow 0 9 * * * for 30m (Asia/Tokyo)"
    assert str(Freeze(T0, T0 + dt.timedelta(days=1), "")) == "freeze 2026-11-21 12:00 UTC to 2026-11-22 12:00 UTC"


def test_windows_add_up_and_are_false_when_empty() -> None:
    assert not Windows()
    assert Windows((OFFICE,)) + Windows((), (YEAR_END,)) == Windows((OFFICE,), (YEAR_END,))
    assert Windows((), (YEAR_END,))


# the merge they hold --------------------------------------------------------------------------------


def windowed(windows: Windows) -> Pipeline:
    staging = dataclasses.replace(PIPELINE.stage(0), windows=windows)
    return dataclasses.replace(PIPELINE, stages=(staging, *PIPELINE.stages[1:]))


CLOSED = Windows((window("allow", "0 9 * * 1-5", 8),))  # T0 is a Saturday noon
FROZEN = Windows((), (Freeze(T0 - dt.timedelta(hours=1), T0 + dt.timedelta(seconds=30), "release"),))
OPENS = "opens 2026-11-23 09:00:00 UTC"


def test_a_closed_window_holds_the_merge_and_wakes_when_it_opens() -> None:
    decision = decide(windowed(CLOSED), promotion(), snap(0, change(ChangeState.OPEN), pr=pr()))
    status, record = decision.actions
    assert status == SetStatus("h" * 40, StatusState.PENDING, f"waiting for a promotion window; {OPENS}")
    assert isinstance(record, Record) and record.changes.promotion is not None
    assert record.changes.promotion.reason == (
        f"staging, 1/2 version 1.5.0: #7 waits for a promotion window (outside every allow window); {OPENS}"
    )
    assert decision.wake_at == dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def test_waiting_on_says_nothing_new_and_still_wakes_when_it_opens() -> None:
    reason = f"staging, 1/2 version 1.5.0: #7 waits for a promotion window (outside every allow window); {OPENS}"
    decision = decide(windowed(CLOSED), promotion(reason=reason), snap(0, change(ChangeState.OPEN), pr=pr()))
    assert decision == Decision((), dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))


def test_the_merge_happens_once_the_freeze_is_over() -> None:
    held = decide(windowed(FROZEN), promotion(), snap(0, change(ChangeState.OPEN), pr=pr()))
    assert held.wake_at == T0 + dt.timedelta(seconds=30)
    after = decide(windowed(FROZEN), promotion(), snap(30, change(ChangeState.OPEN), pr=pr()))
    assert [type(a) for a in after.actions] == [MergePR]


def test_a_window_that_never_opens_says_so() -> None:
    never = Windows((window("allow", "0 0 29 2 *", 1),))
    decision = decide(windowed(never), promotion(), snap(0, change(ChangeState.OPEN), pr=pr()))
    assert "no opening within a year" in decision.actions[0].description  # type: ignore[union-attr]
    assert decision.wake_at is None


done = change(ChangeState.DONE, verified_at=at(-30))


def test_a_revert_merges_at_once_whatever_the_window() -> None:
    reverting = stage_run(state=StageState.REVERTING, revert_pr_number=9)
    for windows in (CLOSED, FROZEN):
        snapshot = snap(0, done, stage=reverting, revert_pr=pr(9, owner=marker(kind=Kind.REVERT)))
        decision = decide(windowed(windows), promotion(), snapshot)
        assert [type(a) for a in decision.actions] == [MergePR]


def test_the_pr_says_it_merges_only_inside_the_windows() -> None:
    pipeline = windowed(Windows((window("allow", "0 9 * * 1-5", 8),), FROZEN.freezes))
    plan = build(pipeline.stage(0), "1.5.0", Facts())
    body = texts.step_body(pipeline, promotion(), plan, (), marker())
    assert "**staging**: verify guestbook-staging, merges within its windows" in body
    assert (
        "(at once; only inside its promotion windows: allow 0 9 * * 1-5 for 8h (UTC); freeze 2026-11-21 11:00" in body
    )
    (prod,) = [line for line in body.splitlines() if line.startswith("- [ ] **prod**")]
    assert "windows" not in prod  # the windows are staging's alone
