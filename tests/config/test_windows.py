"""``windows:`` and ``freezes:`` in a pipeline and its stages: loaded into each stage, refused with file:line."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from promoter.config import loading
from promoter.config.problems import ConfigError, Problem
from promoter.core.windows import WindowKind
from tests.config import configdir

WINDOWED = """\
name: web
windows:
  - kind: allow
    schedule: "0 9 * * 1-5"
    duration: 8h
    timeZone: Europe/Berlin
freezes:
  - start: 2026-12-21
    end: 2027-01-04
    timeZone: Europe/Berlin
    reason: year-end freeze
stages:
  - name: staging
    applications: [web-staging]
    targets:
      - file: envs/staging/web.yaml
        image: ghcr.io/acme/web
  - name: prod
    applications: [web-prod]
    targets:
      - file: envs/prod/web.yaml
        image: ghcr.io/acme/web
    windows:
      - kind: deny
        schedule: "0 12 * * *"
        duration: 1h
    freezes:
      - start: 2026-11-26T18:00:00
        end: "2026-11-27 06:00:00+01:00"
"""


def test_a_stage_merges_within_the_pipeline_windows_and_its_own(tmp_path: Path) -> None:
    config = loading.load(configdir.write(tmp_path, {"pipelines/web.yaml": WINDOWED}))
    staging, prod = config.pipelines[0].stages
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    (office,) = staging.windows.windows
    assert (office.kind, str(office.schedule), office.duration) == (
        WindowKind.ALLOW,
        "0 9 * * 1-5",
        dt.timedelta(hours=8),
    )
    assert office.zone == berlin
    (freeze,) = staging.windows.freezes
    # the end date holds its whole day
    assert (freeze.start, freeze.end) == (
        dt.datetime(2026, 12, 21, tzinfo=berlin),
        dt.datetime(2027, 1, 5, tzinfo=berlin),
    )
    assert freeze.reason == "year-end freeze"
    assert [w.kind for w in prod.windows.windows] == [WindowKind.ALLOW, WindowKind.DENY]
    assert prod.windows.windows[1].zone_name == "UTC"
    evening = prod.windows.freezes[1]
    assert evening.start == dt.datetime(2026, 11, 26, 18, tzinfo=dt.UTC)
    assert evening.end == dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC)


def test_without_windows_a_stage_merges_at_any_time(tmp_path: Path) -> None:
    config = loading.load(configdir.write(tmp_path, {}))
    assert not config.pipelines[0].stages[0].windows


STAGE = "    targets:\n      - file: envs/staging/web.yaml\n        image: ghcr.io/acme/web\n"
HEAD = "name: web\nstages:\n  - name: staging\n    applications: [web-staging]\n" + STAGE

# (the stage's windows/freezes YAML, line, column, field, message)
REFUSED = {
    "a schedule with four fields": (
        '    windows:\n      - {kind: allow, schedule: "0 9 * *", duration: 1h}\n',
        9,
        33,
        "stages[0].windows[0].schedule",
        "'0 9 * *': expected five fields (minute hour day-of-month month day-of-week) or @daily",
    ),
    "a schedule out of range": (
        '    windows:\n      - {kind: allow, schedule: "0 25 * * *", duration: 1h}\n',
        9,
        33,
        "stages[0].windows[0].schedule",
        "hour 25: out of range 0-23",
    ),
    "a schedule that never fires": (
        '    windows:\n      - {kind: deny, schedule: "0 0 30 2 *", duration: 1h}\n',
        9,
        32,
        "stages[0].windows[0].schedule",
        "'0 0 30 2 *' never fires (no such day)",
    ),
    "a schedule that is not text": (
        "    windows:\n      - {kind: deny, schedule: 9, duration: 1h}\n",
        9,
        32,
        "stages[0].windows[0].schedule",
        'expected a cron schedule in quotes, such as "0 9 * * 1-5"',
    ),
    "an unknown time zone": (
        '    windows:\n      - {kind: allow, schedule: "@daily", duration: 1h, timeZone: Mars/Olympus}\n',
        9,
        67,
        "stages[0].windows[0].timeZone",
        "'Mars/Olympus': no such time zone (expected an IANA name such as Europe/Berlin)",
    ),
    "a kind that is neither": (
        '    windows:\n      - {kind: maybe, schedule: "@daily", duration: 1h}\n',
        9,
        16,
        "stages[0].windows[0].kind",
        "expected 'allow' or 'deny'",
    ),
    "no duration": (
        '    windows:\n      - {kind: allow, schedule: "@daily", duration: 0s}\n',
        9,
        53,
        "stages[0].windows[0].duration",
        "must be longer than 0s",
    ),
    "a freeze ending before it starts": (
        "    freezes:\n      - {start: 2026-12-21, end: 2026-12-20}\n",
        9,
        9,
        "stages[0].freezes[0]",
        "the freeze ends before it starts",
    ),
    "a freeze on no date": (
        "    freezes:\n      - {start: christmas, end: 2026-12-20}\n",
        9,
        17,
        "stages[0].freezes[0].start",
        "expected a date (2026-12-21) or a date and time (2026-12-21T18:00)",
    ),
}


@pytest.mark.parametrize(("yaml", "line", "column", "field", "message"), REFUSED.values(), ids=list(REFUSED))
def test_a_bad_window_names_file_line_and_reason(
    tmp_path: Path, yaml: str, line: int, column: int, field: str, message: str
) -> None:
    directory = configdir.write(tmp_path, {"pipelines/web.yaml": HEAD + yaml})
    with pytest.raises(ConfigError) as caught:
        loading.load(directory)
    problem = caught.value.problems[0]
    assert problem == Problem(directory / "pipelines/web.yaml", problem.line, problem.column, field, message)
    assert (problem.line, problem.column) == (line, column)
