"""Git and the forge are the truth; the store is a cache. A lost store is rebuilt and nothing changes.

Every case runs against the real GitHub sandbox and Argo CD simulator over HTTP. "Losing the store" deletes
the whole state directory (the SQLite store and the clone), as a new CI workspace or a lost volume would.
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from promoter.core import markers
from promoter.core.decide import decide
from promoter.core.model import Phase
from promoter.engine import execute, observe
from tests.conftest import git
from tests.e2e.world import REPO_FILES, At, World

STATUS_MARKER = "<!-- promoter:status "
STAGING, PROD = "envs/staging/deployment.yaml", "envs/prod/deployment.yaml"


def at(version: str, path: str) -> str:
    return REPO_FILES[path].replace("app:1.0.0", f"app:{version}")


def outcome(world: World, promotion_id: str) -> dict[str, Any]:
    """What a promotion left behind in the forge, the config repo and the store, to compare runs."""
    promotion = world.promotion(promotion_id)
    pulls = [pr for pr in world.pulls() if promotion_id in pr.head.ref]
    return {
        "phase": promotion.phase,
        "held": promotion.version in [h.version for h in world.rt.store.holds("app")],
        "prs": sorted((pr.head.ref.rsplit("/", 1)[-1], pr.merged) for pr in pulls),
        "labels": sorted({label.name for pr in pulls for label in pr.labels if label.name.startswith("promoter:")}),
        "status_comments": [
            len([c for c in pr.get_issue_comments() if STATUS_MARKER in c.body]) for pr in sorted(pulls, key=str)
        ],
        "staging": world.main_file(STAGING).decode(),
        "prod": world.main_file(PROD).decode(),
    }


def test_a_held_version_stays_held_when_the_store_is_lost(world: World) -> None:
    """The issue's first report: an empty store accepted a failed version again and pushed it to prod."""
    bad = world.drive(world.start("1.2.0-bad").id)
    assert bad.phase is Phase.FAILED
    before = len(world.pulls())

    world.lose_store()
    refused = world.cli("start", "app", "--version", "1.2.0-bad", "--config", str(world.config))
    assert refused.returncode == 2, refused.stderr
    assert "1.2.0-bad is on hold" in refused.stderr
    assert "store_rebuilt" in refused.stderr  # said so in the log
    assert len(world.pulls()) == before  # no old PR adopted, no new one opened
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]
    # The rebuilt store knows how it ended, and why.
    (rebuilt,) = world.rt.store.promotions("app")
    assert (rebuilt.id, rebuilt.phase) == (bad.id, Phase.FAILED)
    assert [h.version for h in world.rt.store.holds("app")] == ["1.2.0-bad"]


@pytest.mark.parametrize("lose", [False, True], ids=["store-kept", "store-lost"])
def test_promoting_an_older_version_makes_the_commits_that_move_each_stage_back(
    make_world: Callable[..., World], lose: bool
) -> None:
    """The issue's second report: 1.0 after 2.0 said Succeeded without a commit, both stages still on 2.0."""
    world = make_world()
    first = world.drive(world.start("1.0.1").id)
    second = world.drive(world.start("2.0.0").id)
    assert (first.phase, second.phase) == (Phase.SUCCEEDED, Phase.SUCCEEDED)
    assert world.main_file(PROD).decode() == at("2.0.0", PROD)
    if lose:
        world.lose_store()

    started = world.cli("start", "app", "--version", "1.0.1", "--config", str(world.config))
    assert started.returncode == 0, started.stderr
    again = next(p for p in world.rt.store.promotions("app") if p.version == "1.0.1" and not p.phase.finished)
    assert again.id != first.id  # a new promotion, its own branches
    done = world.drive(again.id)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert world.main_file(STAGING).decode() == at("1.0.1", STAGING)
    assert world.main_file(PROD).decode() == at("1.0.1", PROD)
    moved_back = [pr for pr in world.pulls() if again.id in pr.head.ref]
    assert [pr.merged for pr in moved_back] == [True, True]


# Where the store is lost: (version, the moment, as a condition on the promotion and its current step)
POINTS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "good, staging PR open": ("2.1.0", lambda p, s: s.state is At.OPEN),
    "good, staging merged": ("2.1.0", lambda p, s: s.state is At.MERGED),
    "good, staging soaking": ("2.1.0", lambda p, s: s.state is At.SOAKING),
    "good, prod PR open": ("2.1.0", lambda p, s: p.stage == 1 and s.state is At.OPEN),
    "good, prod soaking": ("2.1.0", lambda p, s: p.stage == 1 and s.state is At.SOAKING),
    "good, finished": ("2.1.0", lambda p, s: p.phase.finished),
    "bad, staging merged": ("2.0.0-bad", lambda p, s: s.state is At.MERGED),
    "bad, reverting": ("2.0.0-bad", lambda p, s: s.state is At.REVERTING),
    "bad, revert PR open": ("2.0.0-bad", lambda p, s: s.revert_pr_number is not None),
    "bad, reverted": ("2.0.0-bad", lambda p, s: s.state is At.REVERTED),
    "bad, finished": ("2.0.0-bad", lambda p, s: p.phase.finished),
}


def _drive_exactly(world: World, promotion_id: str, until: Callable[[Any, Any], bool]) -> None:
    """Reconcile one decision at a time, so the promotion stops at the moment named (not past it)."""
    pipeline = world.rt.pipelines["app"]
    for _ in range(400):
        promotion = world.promotion(promotion_id)
        if until(promotion, world.at(promotion.id)):
            return
        snapshot = observe.snapshot(world.rt, pipeline, promotion)
        decision = decide(pipeline, promotion, snapshot)
        if decision.actions:
            execute.execute(world.rt, pipeline, promotion, snapshot, decision.actions)
        else:
            time.sleep(0.05)
    raise AssertionError(f"{promotion_id} never got to the moment named")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What each version leaves behind when nothing is lost."""
    results = {}
    for version in ("2.1.0", "2.0.0-bad"):
        world = World(tmp_path_factory.mktemp("uninterrupted") / "world", soak="1s")
        try:
            done = world.drive(world.start(version).id)
            results[version] = outcome(world, done.id) | {"promotion": None}
        finally:
            world.close()
    return results


@pytest.mark.parametrize(("version", "until"), POINTS.values(), ids=POINTS.keys())
def test_losing_the_store_at_any_point_changes_nothing(
    make_world: Callable[..., World],
    uninterrupted: dict[str, dict[str, Any]],
    version: str,
    until: Callable[[Any, Any], bool],
) -> None:
    world = make_world(soak="1s")
    promotion = world.start(version)
    _drive_exactly(world, promotion.id, until)

    world.lose_store()
    done = world.drive(promotion.id)  # a fresh runtime on an empty store: it rebuilds, then goes on

    rebuilt = [e for e in world.rt.store.events("app", promotion.id) if e.kind.value == "promotion_rebuilt"]
    assert len(rebuilt) == 1
    assert outcome(world, done.id) | {"promotion": None} == uninterrupted[version]
    # One commit per step on any branch, whatever was rebuilt and retried.
    trailers = git(world.bare, "log", "--all", "--format=%(trailers:key=Promoter-Step,valueonly)").split()
    assert all(count == 1 for count in collections.Counter(trailers).values()), trailers


def test_a_branch_pushed_just_before_a_crash_is_found_by_its_trailers(make_world: Callable[..., World]) -> None:
    """Killed right after pushing the step's branch (no PR yet), then the store lost: the commit trailers
    on the branch name the promotion, which is rebuilt and opens its PR (one PR, one commit)."""
    world = make_world()
    promotion = world.start("2.2.0")
    env = {**world.env, "PROMOTER_FAULT_AFTER": "OpenStepPR.pushed"}
    process = subprocess.run(
        [sys.executable, "-m", "promoter", "run", "--config", str(world.config)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]
    assert world.pulls() == []

    world.lose_store()
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED, done.reason
    heads = collections.Counter(pr.head.ref for pr in world.pulls())
    assert heads == {f"promoter/app/{promotion.id}/0-0": 1, f"promoter/app/{promotion.id}/1-0": 1}


def test_a_pr_on_the_bots_branch_that_is_not_its_own_is_never_adopted(world: World) -> None:
    """Someone else's PR on the very branch name this promotion would use: refused, left untouched."""
    promotion = world.start("2.3.0")
    branch = f"promoter/app/{promotion.id}/0-0"
    git(world.bare, "branch", branch, "main")
    world.person_commit(branch, STAGING, at("6.6.6", STAGING).encode(), "someone else's change")
    theirs = world.repo_as("bob").create_pull(base="main", head=branch, title="mine", body="not promoter's")

    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "never adopts" in done.reason and f"#{theirs.number}" in done.reason
    pr = world.repo_as().get_pull(theirs.number)
    assert not pr.merged and pr.state == "open"
    assert list(pr.get_issue_comments()) == []
    assert world.main_file(STAGING).decode() == REPO_FILES[STAGING]


def test_status_rebuilds_an_empty_store_too(world: World) -> None:
    done = world.drive(world.start("2.4.0").id)
    world.lose_store()
    rows = json.loads(world.cli("status", "app", "--json", "--config", str(world.config)).stdout)
    assert [(r["promotion"], r["phase"]) for r in rows] == [(done.id, "Succeeded")]
    pulls = world.pulls()
    assert markers.Outcome.SUCCEEDED.value in [label.name for label in pulls[-1].labels]
