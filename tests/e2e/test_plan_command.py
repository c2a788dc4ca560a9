"""``promoter plan`` on a canary and a blue/green stage: the very plan ``decide`` walks, each change with its
diff against the config repo as it is, and nothing written (no branch, no PR)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import git
from tests.e2e.crashes import BLUE_GREEN_FILES, BLUE_GREEN_PIPELINE, CANARY_FILES, CANARY_PIPELINE, ONLY_STAGING
from tests.e2e.world import PIPELINE, World

CASES = {
    "canary": (
        CANARY_FILES,
        CANARY_PIPELINE,
        "stage 1/1 staging: canary (istio)",
        [
            "change: canary 2.0.0",
            "change: canary 10%",
            "gate: pause 0:00:01",
            "change: canary 50%",
            "change: stable 2.0.0",
            "change: canary 0%: stable takes all traffic again",
            "change: canary back to 0 replicas",
        ],
        ["-          weight: 100", "+          weight: 90", "+          weight: 10", "+          weight: 50"],
    ),
    "blue-green": (
        BLUE_GREEN_FILES,
        BLUE_GREEN_PIPELINE,
        "stage 1/1 staging: blueGreen",
        [
            "change: green gets 2.0.0",
            "change: switch app to green",
            "gate: scale-down delay 0:00:01",
            "change: blue scaled down",
        ],
        ["-    color: blue  # the active colour", "+    color: green  # the active colour", "+  replicas: 0"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_plan_prints_the_stage_plan_with_each_changes_diff_and_writes_nothing(
    make_world: Callable[..., World], case: str
) -> None:
    files, pipeline, header, items, diff_lines = CASES[case]
    world = make_world(files={**ONLY_STAGING, **files}, pipeline=pipeline)
    branches = git(world.bare, "branch", "--list")
    shown = world.cli("plan", "app", "--version", "2.0.0", "--config", str(world.config))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(header)
    listed = [re.sub(r"^\s*\d+\. ", "", line) for line in lines if re.match(r"^\s*\d+\. (change|gate): ", line)]
    assert listed == items  # the plan's items, in the order decide walks them
    for line in diff_lines:
        assert line in lines, line
    assert world.pulls() == [] and git(world.bare, "branch", "--list") == branches  # nothing written


def test_plan_says_when_a_stage_merges_inside_its_windows(make_world: Callable[..., World]) -> None:
    denied = "    windows:\n      - {kind: deny, schedule: '@daily', duration: 25h}\n"
    world = make_world(pipeline=PIPELINE + denied)  # prod's windows: it is the last stage
    shown = world.cli("plan", "app", "--version", "2.0.0", "--config", str(world.config))
    assert shown.returncode == 0, shown.stderr
    staging, prod = (line for line in shown.stdout.splitlines() if line.startswith("stage "))
    assert "inside its promotion windows" not in staging
    assert prod.endswith("merge at once, inside its promotion windows")
    assert "  window: closed now, no opening within a year (inside deny @daily for 25h (UTC)); `promoter windows`" in (
        shown.stdout
    )
