"""Crash consistency: the bot is killed (SIGKILL) right after each kind of action, then restarted.

Whatever the moment, the promotion completes with exactly one PR per step, one commit per step, exactly one
status comment per PR, and each transition recorded once.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from promoter.core.model import Phase
from tests.conftest import git
from tests.e2e.world import World

STATUS_MARKER = "<!-- promoter:status "

# (fault point, version): every action kind, and the moments inside an action where a crash hurts most.
POINTS = [
    ("Record", "2.0.0-bad"),
    ("Record:3", "2.0.0-bad"),
    ("OpenStepPR.pushed", "2.0.0-bad"),
    ("OpenStepPR", "2.0.0-bad"),
    ("MergePR", "2.0.0-bad"),
    ("RefreshApps", "2.0.0-bad"),
    ("Comment", "2.0.0-bad"),
    ("SetStatus", "2.0.0-bad"),
    ("OpenRevertPR.pushed", "2.0.0-bad"),
    ("OpenRevertPR", "2.0.0-bad"),
    ("MergePR@revert", "2.0.0-bad"),
    ("Record@revert", "2.0.0-bad"),
    ("Label", "2.0.0-bad"),  # the hold written on the revert PR, not yet in the store
    ("OpenStepPR@prod", "2.1.0"),  # prod's PR, in a promotion that succeeds
    ("MergePR@prod", "2.1.0"),
    ("SetStatus@prod", "2.1.0"),
    ("Label@prod", "2.1.0"),  # the outcome written on prod's PR, not yet in the store
]


def run_until_killed(world: World, fault: str) -> None:
    """The real daemon, armed: it must kill itself at the fault point (bounded by the timeout)."""
    env = {**world.env, "PROMOTER_FAULT_AFTER": fault}
    process = subprocess.Popen(
        [sys.executable, "-m", "promoter", "run", "--config", str(world.config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"the bot never reached {fault}")
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]


@pytest.mark.parametrize(("fault", "version"), POINTS, ids=[f"{v}-after-{p}" for p, v in POINTS])
def test_killed_after_an_action_the_promotion_completes_once(
    make_world: Callable[..., World], fault: str, version: str
) -> None:
    world = make_world()
    promotion = world.start(version)
    run_until_killed(world, fault)

    # Restarted (a fresh runtime on the same store, clone and forge), it finishes the job.
    world.restart()
    promotion = world.drive(promotion.id)
    expected = Phase.FAILED if version.endswith("-bad") else Phase.SUCCEEDED
    assert promotion.phase is expected, promotion.reason

    pulls = world.pulls()
    heads = collections.Counter(pr.head.ref for pr in pulls)
    assert all(count == 1 for count in heads.values()), heads
    assert len(pulls) == 2  # bad: the step and its revert; good: staging and prod
    for pr in pulls:
        assert pr.merged
        comments = [c for c in pr.get_issue_comments() if STATUS_MARKER in c.body]
        assert len(comments) == 1, (pr.number, [c.body for c in comments])  # exactly one, edited in place

    # One commit per step on any branch, whatever was retried.
    trailers = git(world.bare, "log", "--all", "--format=%(trailers:key=Promoter-Step,valueonly)").split()
    assert all(count == 1 for count in collections.Counter(trailers).values()), trailers
    # Each transition recorded once per stage, whatever was retried.
    events = world.rt.store.events("app", promotion.id)
    per_stage = collections.Counter((e.kind.value, e.evidence.get("stage")) for e in events)
    assert all(count == 1 for count in per_stage.values()), per_stage
    # How it ended is on the forge too (what a lost store is rebuilt from).
    last = {label.name for label in pulls[-1].labels}
    assert last >= ({"promoter:failed", "promoter:held"} if expected is Phase.FAILED else {"promoter:succeeded"})
    stages = {"staging"} if expected is Phase.FAILED else {"staging", "prod"}
    assert {stage for kind, stage in per_stage if kind == "step_pr_opened"} == stages
