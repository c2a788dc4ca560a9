"""Crash consistency: the bot is killed (SIGKILL) right after each kind of action, then restarted.

Whatever the moment, the promotion completes with exactly one PR per step, one commit per step, exactly one
status comment per PR, and each transition recorded once.

The same through whole stages of the other kinds (:mod:`tests.e2e.crashes`): a canary on Istio (its weight
changes, the pause, the stable's change, the traffic back, the scale-down), a canary failing mid-way (its one
revert of every merged change) and a blue/green (the switch, the scale-down delay, the scale-down), each
crashed several times on its way, at places the store is checked to stand at, and counted once it ends.
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
from tests.e2e.crashes import (
    BLUE_GREEN_DELAY,
    BLUE_GREEN_DONE,
    BLUE_GREEN_TITLES,
    CANARY_DONE,
    CANARY_FILES,
    CANARY_PAUSE,
    CANARY_TITLES,
    FAILED_HELD,
    SUCCEEDED,
    Crash,
    Expect,
    blue_green_world,
    canary_world,
    check_once,
    drill,
    finish,
    ids,
)
from tests.e2e.world import At, World

# The drills stop a bot at a chosen point between passes: the drills of one kind run one after another (on one
# xdist worker), so that at most a few run at once and none is slowed past its point by the others.

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


@pytest.mark.xdist_group("crash-drills-rolling")
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
        statuses = world.repo_as().get_commit(pr.merge_commit_sha).get_statuses()
        posted = collections.Counter((s.context, s.state, s.description) for s in statuses)
        assert all(count == 1 for count in posted.values()), (pr.number, posted)  # none posted twice

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


# Through a whole stage of the new kinds: each crash is placed by the item a restarted bot drives to (a pass
# ends waiting there) and the action kind after which the daemon dies; the store must stand exactly where
# that action leaves it (item, state; PRs on the forge, merged). Then a restarted bot finishes, counted.

CANARY_OK = Expect(
    Phase.SUCCEEDED, prs=6, reverts=0, merges=6, comments=1, outcome=SUCCEEDED, holds=0, files=CANARY_DONE
)

# (id, crashes in order, how it ends)
CANARY_DRILLS = [
    (
        "weights-pause-stable-reset-outcome",
        (
            Crash(0, "OpenStepPR.pushed", (1, At.PLANNED), prs=1, merged=1),  # 10%: pushed, no PR yet
            Crash(CANARY_PAUSE, "Record", (2, At.PASSED), prs=2, merged=2),  # the pause over, not moved on
            Crash(None, "OpenStepPR", (3, At.PLANNED), prs=3, merged=2),  # 50%: its PR opened, not recorded
            Crash(3, "MergePR", (4, At.OPEN), prs=4, merged=4),  # the stable's change merged, not recorded
            Crash(5, "SetStatus", (5, At.MERGED), prs=5, merged=5),  # traffic back: verified on its merge
            Crash(6, "Label", (6, At.DONE), prs=6, merged=6),  # succeeded on the last PR, not in the store
        ),
        CANARY_OK,
    ),
    (
        "comments-records-refreshes",
        (
            Crash(1, "Comment", (1, At.MERGED), prs=2, merged=2),  # 10% verified and told, not recorded
            Crash(CANARY_PAUSE, "Record:4", (3, At.MERGED), prs=3, merged=3),  # 50% merged, recorded, no refresh
            Crash(3, "RefreshApps", (4, At.MERGED), prs=4, merged=4),  # the stable's change: refreshed
            Crash(6, "Comment", (6, At.MERGED), prs=6, merged=6),  # the last change verified, told, not recorded
        ),
        CANARY_OK,
    ),
]


@pytest.mark.xdist_group("crash-drills-canary")
@pytest.mark.parametrize(("crashes", "expect"), [row[1:] for row in CANARY_DRILLS], ids=ids(CANARY_DRILLS))
def test_a_canary_crashed_after_each_kind_of_action_completes_once(
    make_world: Callable[..., World], crashes: tuple[Crash, ...], expect: Expect
) -> None:
    world = canary_world(make_world)
    promotion = drill(world, "2.0.0", crashes)
    assert finish(world, promotion).phase is Phase.SUCCEEDED
    check_once(world, promotion, "2.0.0", CANARY_TITLES, expect)


# The canary's pods fail once it has 10% of the traffic (its PR merged, item 1), or during the pause (item 2):
# one revert of both merged changes, the stage's files byte for byte as before, the version held.
CANARY_FAILED = Expect(
    Phase.FAILED, prs=3, reverts=1, merges=3, comments=1, outcome=FAILED_HELD, holds=1, files=CANARY_FILES
)
FAILING_DRILLS = [
    ("revert-opened", (Crash(1, "OpenRevertPR", (1, At.REVERTING), prs=3, merged=2, fail=True),), CANARY_FAILED),
    ("revert-merged", (Crash(1, "MergePR@revert", (1, At.REVERTING), prs=3, merged=3, fail=True),), CANARY_FAILED),
    ("outcome-labelled", (Crash(1, "Label", (1, At.REVERTED), prs=3, merged=3, fail=True),), CANARY_FAILED),
    (
        "failure-told-revert-pushed-recorded-refreshed",
        (
            Crash(1, "SetStatus", (1, At.MERGED), prs=2, merged=2, fail=True),  # failure on the merge, not recorded
            Crash(None, "Comment", (1, At.MERGED), prs=2, merged=2),  # the failure told on the PR, not recorded
            Crash(None, "OpenRevertPR.pushed", (1, At.REVERTING), prs=2, merged=2),  # pushed, no PR yet
            Crash(None, "Record@revert", (1, At.REVERTING), prs=3, merged=2),  # its PR recorded, not merged
            Crash(None, "RefreshApps@revert", (1, At.REVERTED), prs=3, merged=3),  # merged, recorded, refreshed
        ),
        CANARY_FAILED,
    ),
    (
        "failed-in-the-pause-revert-opened",
        (Crash(CANARY_PAUSE, "OpenRevertPR", (2, At.REVERTING), prs=3, merged=2, fail=True),),
        CANARY_FAILED,
    ),
]


@pytest.mark.xdist_group("crash-drills-failing")
@pytest.mark.parametrize(("crashes", "expect"), [row[1:] for row in FAILING_DRILLS], ids=ids(FAILING_DRILLS))
def test_a_failing_canary_crashed_while_reverting_reverts_once(
    make_world: Callable[..., World], crashes: tuple[Crash, ...], expect: Expect
) -> None:
    world = canary_world(make_world)
    promotion = drill(world, "2.0.0", crashes)
    assert finish(world, promotion).phase is Phase.FAILED
    check_once(world, promotion, "2.0.0", CANARY_TITLES, expect)
    failed_at = next(crash.after for crash in crashes if crash.fail)
    assert world.promotion(promotion).step == failed_at  # it never went further


BLUE_GREEN_OK = Expect(
    Phase.SUCCEEDED, prs=3, reverts=0, merges=3, comments=1, outcome=SUCCEEDED, holds=0, files=BLUE_GREEN_DONE
)
BLUE_GREEN_DRILLS = [
    ("switch-merged", (Crash(0, "MergePR", (1, At.OPEN), prs=2, merged=2),), BLUE_GREEN_OK),
    (
        "scale-down-recorded",
        (
            Crash(BLUE_GREEN_DELAY, "Record", (2, At.PASSED), prs=2, merged=2),  # the delay over, not moved on
            Crash(None, "Record:3", (3, At.MERGED), prs=3, merged=3),  # blue scaled down: merged, recorded
        ),
        BLUE_GREEN_OK,
    ),
]


@pytest.mark.xdist_group("crash-drills-blue-green")
@pytest.mark.parametrize(("crashes", "expect"), [row[1:] for row in BLUE_GREEN_DRILLS], ids=ids(BLUE_GREEN_DRILLS))
def test_a_blue_green_crashed_at_the_switch_and_the_scale_down_completes_once(
    make_world: Callable[..., World], crashes: tuple[Crash, ...], expect: Expect
) -> None:
    world = blue_green_world(make_world)
    promotion = drill(world, "2.0.0", crashes)
    assert finish(world, promotion).phase is Phase.SUCCEEDED
    check_once(world, promotion, "2.0.0", BLUE_GREEN_TITLES, expect)


@pytest.mark.xdist_group("crash-drills-rolling")
def test_killed_right_after_unlabelling_a_resumed_promotion_it_completes_once(make_world: Callable[..., World]) -> None:
    # resume takes the paused label off the PR (an Unlabel), then records; killed between, the restarted bot
    # finds the label gone and records the resume once.
    world = make_world(soak="1s")
    promotion = world.start("1.5.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 0 and s.state is At.SOAKING)
    assert world.cli("pause", "app", "--config", str(world.config)).returncode == 0
    world.drive(promotion.id, until=lambda p, s: p.paused)
    assert "promoter:paused" in {label.name for label in world.pulls()[-1].labels}  # on its latest PR
    assert world.cli("resume", "app", "--config", str(world.config)).returncode == 0
    run_until_killed(world, "Unlabel")

    world.restart()
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED and not done.paused, done.reason
    for pr in world.pulls():
        names = collections.Counter(label.name for label in pr.labels)
        assert "promoter:paused" not in names and all(count == 1 for count in names.values()), (pr.number, names)
    resumed = [e for e in world.rt.store.events("app", promotion.id, limit=1000) if e.kind.value == "promotion_resumed"]
    assert len(resumed) == 1
