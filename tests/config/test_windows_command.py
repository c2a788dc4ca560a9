"""``promoter windows [PIPELINE]``: each stage's window now and its next openings, from the config alone."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from promoter.cli.windows import windows
from tests.config import configdir
from tests.config.test_windows import WINDOWED


def run(tmp_path: Path, *args: str) -> Result:
    directory = configdir.write(tmp_path, {"pipelines/web.yaml": WINDOWED})
    return CliRunner().invoke(windows, [*args, "--config", str(directory)], env={"PROMOTER_CONFIG": None})


def test_each_stage_says_whether_it_merges_now_and_when_it_opens(tmp_path: Path) -> None:
    result = run(tmp_path, "web", "--at", "2026-11-23T11:30:00Z", "--count", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "as at 2026-11-23 11:30:00 UTC",
        "",
        "web",
        "  staging: open until 2026-11-23 16:00:00 UTC; inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "    allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "    freeze 2026-12-21 00:00 CET to 2027-01-05 00:00 CET: year-end freeze",
        "    next openings:",
        "      2026-11-23 11:30:00 UTC to 2026-11-23 16:00:00 UTC (Mon 12:30 to 17:00 Europe/Berlin)",
        "      2026-11-24 08:00:00 UTC to 2026-11-24 16:00:00 UTC (Tue 09:00 to 17:00 Europe/Berlin)",
        "  prod: open until 2026-11-23 12:00:00 UTC; inside allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "    allow 0 9 * * 1-5 for 8h (Europe/Berlin)",
        "    deny 0 12 * * * for 1h (UTC)",
        "    freeze 2026-12-21 00:00 CET to 2027-01-05 00:00 CET: year-end freeze",
        "    freeze 2026-11-26 18:00 UTC to 2026-11-27 06:00 UTC+01:00",
        "    next openings:",
        "      2026-11-23 11:30:00 UTC to 2026-11-23 12:00:00 UTC (Mon 12:30 to 13:00 Europe/Berlin)",
        "      2026-11-23 13:00:00 UTC to 2026-11-23 16:00:00 UTC (Mon 14:00 to 17:00 Europe/Berlin)",
    ]


def test_a_frozen_stage_says_so_and_json_keeps_every_time(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", "2026-12-22T10:00:00+00:00", "--count", "1", "--json")
    assert result.exit_code == 0, result.output
    staging, prod = json.loads(result.output)["pipelines"][0]["stages"]
    assert staging["open"] is False
    assert staging["why"] == "frozen: freeze 2026-12-21 00:00 CET to 2027-01-05 00:00 CET: year-end freeze"
    assert staging["changes_at"] == "2027-01-05T08:00:00+00:00"
    assert staging["openings"] == [{"opens": "2027-01-05T08:00:00+00:00", "closes": "2027-01-05T16:00:00+00:00"}]
    assert prod["windows"] == ["allow 0 9 * * 1-5 for 8h (Europe/Berlin)", "deny 0 12 * * * for 1h (UTC)"]


def test_a_stage_without_windows_is_always_open(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        windows, ["--config", str(configdir.write(tmp_path, {}))], env={"PROMOTER_CONFIG": None}
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["", "web", "  staging: open (no windows)"]


def test_closed_stages_and_bad_input(tmp_path: Path) -> None:
    closed = run(tmp_path, "web", "--at", "2026-11-21T12:00:00Z", "--count", "1")
    assert "  staging: closed, opens 2026-11-23 08:00:00 UTC; outside every allow window" in closed.output
    unknown = run(tmp_path, "nope")
    assert unknown.exit_code == 2
    assert "no pipeline 'nope' (pipelines: web)" in unknown.output
    bad_time = run(tmp_path, "--at", "tomorrow")
    assert bad_time.exit_code == 2
    assert "'tomorrow': expected an ISO time such as 2026-12-24T09:00+01:00" in bad_time.output
