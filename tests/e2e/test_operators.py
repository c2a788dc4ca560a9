"""What operators ask of a running promotion, through the command line (``promoter promote|pause|resume|abort``)
and what a refused credential does: the bot against the GitHub sandbox and the Argo CD simulator over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from promoter.core.model import Phase
from promoter.engine import rebuild
from promoter.engine.exclusive import Busy, exclusive
from promoter.engine.reconcile import reconcile_all
from promoter.sandbox.github.accounts import Role
from tests.e2e.world import REPO_FILES, At, World

PROD = "envs/prod/deployment.yaml"


def ask(world: World, verb: str) -> str:
    result = world.cli(verb, "app", "--config", str(world.config))
    assert result.returncode == 0, result.stderr
    return result.stdout


def kinds(world: World, promotion_id: str) -> list[str]:
    return [e.kind.value for e in reversed(world.rt.store.events("app", promotion_id, limit=1000))]


def test_a_paused_promotion_moves_no_further_until_resumed(make_world: Callable[..., World]) -> None:
    world = make_world(soak="1s")
    promotion = world.start("1.5.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 0 and s.state is At.SOAKING)
    assert "pause queued" in ask(world, "pause")
    for _ in range(15):  # the soak ends meanwhile; nothing moves towards prod
        world.drive(promotion.id, until=lambda p, s: True)
        time.sleep(0.1)
    paused = world.promotion(promotion.id)
    assert paused.paused and paused.stage == 0
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]
    assert "promotion_paused" in kinds(world, promotion.id)

    ask(world, "pause")  # a second pause says why it does nothing
    world.drive(promotion.id, until=lambda p, s: "command_refused" in kinds(world, promotion.id))
    ask(world, "resume")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED and not done.paused
    assert kinds(world, promotion.id).count("promotion_resumed") == 1


def test_a_first_pr_waiting_for_approval_is_approved_by_promote(make_world: Callable[..., World]) -> None:
    world = make_world(approvals=1)
    promotion = world.start("1.6.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 1 and s.state is At.OPEN)
    assert not world.repo_as().get_pull(world.at(promotion.id).pr_number).merged
    shown = world.cli("status", "--config", str(world.config), env={"COLUMNS": "400"})
    assert re.search(r"#\d+ waits for 1 more approval\(s\) \(for \d+s\)", shown.stdout), shown.stdout  # how long
    ask(world, "promote")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED
    events = world.rt.store.events("app", promotion.id, limit=1000)
    assert any(e.kind.value == "gate_passed" and "approved by cli:" in e.message for e in events)


def test_abort_reverts_the_stage_and_holds_the_version(make_world: Callable[..., World]) -> None:
    world = make_world(soak="30s")
    promotion = world.start("1.7.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 0 and s.state is At.SOAKING)
    ask(world, "abort")
    done = world.drive(promotion.id)
    assert done.phase is Phase.ABORTED
    assert "aborted by cli:" in done.reason
    assert world.main_file("envs/staging/deployment.yaml").decode() == REPO_FILES["envs/staging/deployment.yaml"]
    assert [h.version for h in world.rt.store.holds("app")] == ["1.7.0"]
    revert = next(pr for pr in world.pulls() if pr.head.ref.endswith("-revert"))
    assert revert.merged and "promoter:held" in {label.name for label in revert.labels}


def test_a_command_without_a_promotion_is_refused(world: World) -> None:
    result = world.cli("pause", "app", "--config", str(world.config))
    assert result.returncode != 0
    assert "app has no promotion in progress" in result.stderr


def test_a_refused_merge_is_reported_on_the_pr_and_stops_until_fixed(make_world: Callable[..., World]) -> None:
    world = make_world(approvals=1)
    promotion = world.start("1.8.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 1 and s.state is At.OPEN)
    number = world.at(promotion.id).pr_number
    assert number is not None
    accounts = world.stack.github.forge.accounts
    accounts.set_role("promoter-bot", Role.READ)  # an admin took the bot's write access away
    world.repo_as("alice").get_pull(number).create_review(event="APPROVE", body="ship it")

    for _ in range(5):
        world.drive(promotion.id, until=lambda p, s: True)
    pr = world.repo_as().get_pull(number)
    assert not pr.merged
    said = [c.body for c in world.repo_as().get_issue(number).get_comments() if "promoter:blocked" in c.body]
    assert len(said) == 1 and "403" in said[0] and "stopped" in said[0]
    error = world.rt.store.errors()["app"]
    assert error.kind.value == "credentials"

    accounts.set_role("promoter-bot", Role.WRITE)  # fixed: it goes on, and says so on the same comment
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED
    said = [c.body for c in world.repo_as().get_issue(number).get_comments() if "promoter:blocked" in c.body]
    assert len(said) == 1 and "going on again" in said[0]


def test_a_lost_store_keeps_a_paused_promotion_paused(make_world: Callable[..., World]) -> None:
    world = make_world(soak="1s")
    promotion = world.start("1.9.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 0 and s.state is At.SOAKING)
    ask(world, "pause")
    world.drive(promotion.id, until=lambda p, s: p.paused)
    number = world.at(promotion.id).pr_number or world.pulls()[-1].number
    assert "promoter:paused" in {label.name for label in world.repo_as().get_pull(number).labels}

    world.lose_store()  # the pause lived in the store and on the PR: the PR is enough
    for _ in range(10):
        reconcile_all(world.rt)
        time.sleep(0.1)
    rebuilt = world.promotion(promotion.id)
    assert rebuilt.paused and rebuilt.stage == 0
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]

    ask(world, "resume")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED
    assert "promoter:paused" not in {label.name for label in world.repo_as().get_pull(number).labels}


def test_retry_lifts_the_hold_on_the_forge_and_in_the_store_and_promotes_the_version_again(world: World) -> None:
    failed = world.drive(world.start("5.0.0-bad").id)
    assert failed.phase is Phase.FAILED
    refused = world.cli("start", "app", "--version", "5.0.0-bad", "--config", str(world.config))
    assert refused.returncode == 2 and "is on hold" in refused.stderr
    held = [pr.number for pr in world.pulls() if "promoter:held" in [label.name for label in pr.labels]]
    assert held  # the hold is on the forge too

    world.scenario(fail_images=[])  # the cause is fixed
    said = ask(world, "retry")
    assert f"5.0.0-bad is no longer on hold ({failed.id} ended Failed)" in said
    assert not [pr for pr in world.pulls() if "promoter:held" in [label.name for label in pr.labels]]
    assert world.rt.store.holds("app") == []
    again = world.rt.store.promotions("app")[0]
    assert again.id != failed.id and again.version == "5.0.0-bad"
    assert world.drive(again.id).phase is Phase.SUCCEEDED
    assert "hold_lifted" in kinds(world, failed.id)

    world.lose_store()  # rebuilt from the forge: the hold stays lifted, the outcomes stay as they were
    rebuild.ensure(world.rt, world.rt.pipelines["app"])
    assert world.rt.store.holds("app") == []
    phases = {p.id: p.phase for p in world.rt.store.promotions("app")}
    assert phases == {failed.id: Phase.FAILED, again.id: Phase.SUCCEEDED}


def test_retry_refuses_while_a_promotion_runs_or_when_nothing_is_held(world: World) -> None:
    none_yet = world.cli("retry", "app", "--config", str(world.config))
    assert none_yet.returncode == 2 and "app has no promotion to retry" in none_yet.stderr
    running = world.start("5.1.0")
    busy = world.cli("retry", "app", "--config", str(world.config))
    assert busy.returncode == 2 and f"app has a promotion in progress ({running.id}): abort it first" in busy.stderr
    assert world.drive(running.id).phase is Phase.SUCCEEDED
    fine = world.cli("retry", "app", "--config", str(world.config))
    assert fine.returncode == 2
    assert "ended Succeeded and 5.1.0 is not on hold: `promoter start app --version 5.1.0` promotes it" in fine.stderr


def test_rollback_reverts_the_last_stage_of_a_succeeded_promotion_and_holds_its_version(world: World) -> None:
    done = world.drive(world.start("5.2.0").id)
    assert done.phase is Phase.SUCCEEDED
    said = ask(world, "rollback")
    assert f"{done.id} (5.2.0): prod is reverted on the bot's next pass" in said
    rolled = world.drive(done.id)
    assert rolled.phase is Phase.ABORTED
    assert "prod aborted and was reverted: rolled back by cli:" in rolled.reason
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]  # prod runs what it ran before
    assert b"5.2.0" in world.main_file("envs/staging/deployment.yaml")  # staging keeps it
    assert [h.version for h in world.rt.store.holds("app")] == ["5.2.0"]
    labels = {pr.number: {label.name for label in pr.labels} for pr in world.pulls()}
    assert not any("promoter:succeeded" in names for names in labels.values())  # success taken back
    revert = world.rt.store.stage_run("app", done.id, 1)
    assert revert is not None and revert.revert_pr_number is not None
    assert {"promoter:aborted", "promoter:held"} <= labels[revert.revert_pr_number]
    assert "rollback_started" in kinds(world, done.id)

    again = world.cli("rollback", "app", "--config", str(world.config))
    assert again.returncode == 2 and "ended Aborted, not Succeeded" in again.stderr
    world.lose_store()  # rebuilt from the forge: aborted and held, as it ended
    rebuild.ensure(world.rt, world.rt.pipelines["app"])
    assert world.rt.store.promotion(done.id, "app").phase is Phase.ABORTED  # type: ignore[union-attr]
    assert [h.version for h in world.rt.store.holds("app")] == ["5.2.0"]


def test_retry_and_rollback_wait_for_the_bots_pass_and_say_so_when_it_lasts(world: World) -> None:
    with world.rt.store.lock("app") as held:  # the bot in a pass over the pipeline
        assert held
        busy = pytest.raises(Busy, match="app: the bot is in a pass over it for more than 0s; try again")
        with busy, exclusive(world.rt, "app", wait=0.3):
            pytest.fail("the pipeline was the bot's")
    with exclusive(world.rt, "app", wait=0.3):  # the pass over: at once
        pass
