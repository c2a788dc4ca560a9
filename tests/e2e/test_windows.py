"""Promotion windows end to end: a closed window holds the merge, the daemon wakes when it opens, and
``promoter windows`` and ``promoter status`` say why a promotion waits."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable

from promoter.core.model import Phase
from tests.e2e.world import PIPELINE, At, World

STAGING_END = "    debounce: 200ms\n  - name: prod\n"


def with_staging(extra: str) -> str:
    assert PIPELINE.count(STAGING_END) == 1
    return PIPELINE.replace(STAGING_END, f"    debounce: 200ms\n{extra}  - name: prod\n")


def test_a_freeze_holds_the_merge_and_the_daemon_wakes_when_it_ends(make_world: Callable[..., World]) -> None:
    ends = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=15)
    freeze = f"    freezes:\n      - {{start: 2026-01-01, end: '{ends.isoformat()}', reason: release train}}\n"
    # a 10-minute interval: only the window's own wake-up can merge the PR within the test's time
    world = make_world(interval="10m", pipeline=with_staging(freeze))
    promotion = world.start("4.5.0")
    with world.daemon():
        give_up = time.monotonic() + 20
        # the PR is recorded open first; the next decision finds the window closed and says so
        while time.monotonic() < give_up and "window" not in (world.promotion(promotion.id).reason or ""):
            time.sleep(0.1)
        assert world.at(promotion.id).state is At.OPEN
        waiting = world.promotion(promotion.id).reason or ""
        assert "#1 waits for a promotion window (frozen: freeze 2026-01-01 00:00 UTC to " in waiting
        assert f"release train); opens {ends:%Y-%m-%d %H:%M:%S} UTC" in waiting
        status = world.cli("status", "--json", "--config", str(world.config))
        (row,) = json.loads(status.stdout)
        assert "waits for a promotion window" in row["reason"]
        (pr,) = world.pulls()
        (pending,) = [s for s in pr.get_commits().reversed[0].get_statuses() if s.context == "promoter"]
        assert pending.state == "pending" and pending.description.startswith("waiting for a promotion window")

        assert world.finished(promotion.id, timeout=60).phase is Phase.SUCCEEDED
        merged = world.repo_as().get_pull(1)
        assert merged.merged and merged.merged_at.replace(tzinfo=dt.UTC) >= ends  # not a moment before


def test_a_deny_window_keeps_prod_waiting_and_windows_says_until_when(make_world: Callable[..., World]) -> None:
    assert PIPELINE.endswith("    merge: {approvals: APPROVALS}\n")  # of prod, the last stage
    denied = "    windows:\n      - {kind: deny, schedule: '@daily', duration: 25h, timeZone: Europe/Paris}\n"
    world = make_world(pipeline=PIPELINE + denied)
    promotion = world.start("4.6.0")
    world.drive(promotion.id, until=lambda current, position: current.stage == 1 and position.state is At.OPEN)
    for _ in range(3):  # passes go by; the PR stays open
        world.drive(promotion.id, until=lambda current, _: "window" in (current.reason or ""))
    current = world.promotion(promotion.id)
    assert current.stage == 1 and current.phase is Phase.PROGRESSING
    assert "waits for a promotion window (inside deny @daily for 25h (Europe/Paris)); no opening within a year" in (
        current.reason or ""
    )
    assert b"4.6.0" in world.main_file("envs/staging/deployment.yaml")
    assert b"4.6.0" not in world.main_file("envs/prod/deployment.yaml")
    table = world.cli("status", "--config", str(world.config), env={"COLUMNS": "400"})
    assert re.search(
        r"waits for a promotion window \(inside deny .*\)\; no opening within a year \(for \d+s\)", table.stdout
    )
    shown = world.cli("windows", "app", "--config", str(world.config))
    assert shown.returncode == 0, shown.stderr
    assert "  staging: open (no windows)" in shown.stdout
    assert "  prod: closed, no opening within a year; inside deny @daily for 25h (Europe/Paris)" in shown.stdout
