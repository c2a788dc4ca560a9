"""Status and logs tell the truth; gates are re-checked when due; the daemon stops cleanly."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

from promoter.core.model import Phase
from tests.e2e.world import World


def json_logs(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_status_shows_the_revert_the_time_zone_and_cuts_long_reasons(world: World) -> None:
    done = world.drive(world.start("4.0.0-bad").id)
    assert done.phase is Phase.FAILED
    for columns in (160, 110):  # a reason column, or (too narrow for one) the reason below its row
        env = {"COLUMNS": str(columns), "TZ": "Europe/Paris"}
        table = world.cli("status", "--config", str(world.config), env=env)
        assert table.returncode == 0, table.stderr
        header, row, *rest = table.stdout.splitlines()
        assert header.split()[:8] == ["PIPELINE", "PROMOTION", "PHASE", "STAGE", "STEP", "PR", "REVERT", "UPDATED"]
        assert "Failed (held)" in row and "#1" in row and "#2" in row
        assert " CET" in row or " CEST" in row  # local time, with its zone
        reason = row if columns == 160 else rest[0]
        assert reason.endswith("…")  # the reason was cut to the width...
        assert all(len(line) <= columns for line in table.stdout.splitlines()), table.stdout
    (full,) = json.loads(world.cli("status", "--json", "--config", str(world.config)).stdout)
    assert full["reason"] == done.reason and len(done.reason) > 60  # ...and --json keeps all of it
    assert full["revert_pr"] == 2 and full["updated_at"].endswith("+00:00")


def test_status_shows_the_current_error_and_how_long_it_has_lasted(world: World) -> None:
    world.start("4.1.0")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        world.env["PROMOTER_ARGOCD_URL"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    assert world.cli("run", "--once", "--config", str(world.config)).returncode == 1
    time.sleep(1.1)
    status = world.cli("status", "--config", str(world.config), env={"TZ": "UTC"})
    (line,) = [line for line in status.stdout.splitlines() if line.startswith("app: ")]
    assert re.match(r"app: temporary error for \d+s \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\): ", line), line
    assert "cannot check the stages before the first push: Argo CD" in line
    assert not line.startswith("app: temporary error for 0s")  # it has lasted since the failing pass
    (row,) = json.loads(world.cli("status", "--json", "--config", str(world.config)).stdout)
    assert row["error"]["kind"] == "temporary" and "Argo CD" in row["error"]["message"]


def test_log_levels_mean_something(world: World) -> None:
    info = {"PROMOTER_LOG_LEVEL": "info"}
    idle = world.cli("--log-json", "run", "--once", "--config", str(world.config), env=info)
    assert idle.returncode == 0
    assert json_logs(idle.stderr) == []  # an idle pass says nothing above debug

    world.start("4.2.0-bad")
    levels: dict[str, set[str]] = {}
    for _ in range(60):
        ran = world.cli("--log-json", "run", "--once", "--config", str(world.config), env=info)
        for line in json_logs(ran.stderr):
            levels.setdefault(line["event"], set()).add(line["level"])
        if "promotion_failed" in levels:
            break
        time.sleep(0.2)
    assert levels["step_failed"] == {"warning"}
    assert levels["revert_merged"] == {"warning"}
    assert levels["promotion_failed"] == {"warning"}
    assert levels["step_merged"] == {"info"}
    assert levels["reconcile_pass"] == {"info"}  # passes that did something


def test_gates_are_rechecked_when_due_not_at_the_next_interval(make_world: Callable[..., World]) -> None:
    """With a 10-minute interval, a two-stage promotion still finishes in seconds: each debounce, soak and
    wait for Argo CD wakes the daemon when it comes due (the interval alone would take 10 minutes a gate)."""
    world = make_world(interval="10m", soak="1s")
    promotion = world.start("4.3.0")
    with world.daemon():
        assert world.finished(promotion.id, timeout=90).phase is Phase.SUCCEEDED


def test_a_second_sigterm_while_stopping_prints_no_traceback(world: World) -> None:
    with world.daemon(PROMOTER_LOG_LEVEL="info") as process:
        _second_sigterm(process)


def _second_sigterm(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    seen, rest = b"", b""
    try:
        deadline = time.monotonic() + 60  # on a loaded machine start-up alone can take seconds
        while b"serving" not in seen and time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([process.stderr], [], [], 0.5)
            if ready:
                seen += os.read(process.stderr.fileno(), 65536)
        assert b"serving" in seen, seen[-2000:]  # the handlers are installed: what follows tests them
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    stderr = seen + rest
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr
