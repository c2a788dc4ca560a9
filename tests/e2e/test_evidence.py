"""Never leave a stage without fresh evidence, never skip a rollback: Argo CD in its bad moments.

The Argo CD simulator is scripted (``overrides``: what an Application reports whatever its controller did;
``unreachable``: the API answers 503) while the bot runs against it over HTTP, exactly as against Argo CD.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from promoter.core.model import Phase
from tests.e2e.world import PIPELINE, REPO_FILES, At, World

STAGING, PROD = "envs/staging/deployment.yaml", "envs/prod/deployment.yaml"


def soaking(promotion: Any, step: Any) -> bool:
    return promotion.stage == 0 and step.state is At.SOAKING


def kinds(world: World, promotion_id: str) -> list[str]:
    return [e.kind.value for e in world.rt.store.events("app", promotion_id, limit=1000)]


WAITS = {
    "Progressing": {"health": "Progressing"},
    "OutOfSync": {"sync": "OutOfSync"},
    "Unknown": {"health": "Unknown", "sync": "Unknown"},
    "Missing": {"health": "Missing"},
    "a re-sync running": {"operation": "Running"},
}


@pytest.mark.parametrize("override", WAITS.values(), ids=WAITS.keys())
def test_a_stage_that_stops_being_verified_while_soaking_is_not_left(
    make_world: Callable[..., World], override: dict[str, str]
) -> None:
    world = make_world(soak="2s")
    promotion = world.start("3.1.0")
    world.drive(promotion.id, until=soaking)
    world.scenario(overrides={"app-staging": override})
    time.sleep(2.5)  # the soak would be over by now
    waiting = world.drive(promotion.id, until=lambda p, s: s.unverified and p.stage == 0)
    for _ in range(10):  # stays there, and prod is not touched, however many passes run
        world.drive(promotion.id, until=lambda p, s: True)
    assert world.promotion(promotion.id).stage == 0
    assert "gate_unverified" in kinds(world, promotion.id)
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]
    assert waiting.phase is Phase.PROGRESSING

    world.scenario(overrides={})  # it recovers: verified again, a full soak again, then prod
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert kinds(world, promotion.id).count("gate_reverified") == 1  # staging, once it was back
    assert kinds(world, promotion.id).count("step_verified") == 2  # staging and prod


def test_degraded_during_a_self_heal_re_sync_fails_the_soak(make_world: Callable[..., World]) -> None:
    world = make_world(soak="30s")
    promotion = world.start("3.2.0")
    world.drive(promotion.id, until=soaking)
    world.scenario(
        overrides={"app-staging": {"health": "Degraded", "health_message": "CrashLoopBackOff", "operation": "Running"}}
    )
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "during the soak" in done.reason and "Degraded" in done.reason
    assert world.main_file(STAGING).decode() == REPO_FILES[STAGING]  # reverted
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]  # never reached


def test_argocd_down_from_the_merge_on_still_reverts_at_the_deadline(make_world: Callable[..., World]) -> None:
    world = make_world(deadline="3s")
    promotion = world.start("3.3.0")
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    world.scenario(unreachable=True)
    done = world.drive(promotion.id, timeout=30)

    assert done.phase is Phase.FAILED
    assert "not verified within 0:00:03" in done.reason and "503" in done.reason
    step = world.at(done.id)
    assert step.state is At.REVERTED
    assert world.main_file(STAGING).decode() == REPO_FILES[STAGING]
    assert [h.version for h in world.rt.store.holds("app")] == ["3.3.0"]
    # The refresh after the revert could not be asked: it is kept, and asked when Argo CD is back.
    assert world.rt.store.pending_refreshes("app") == ["app-staging"]
    world.scenario(unreachable=False)
    world.drive(done.id, until=lambda p, s: True)
    assert world.rt.store.pending_refreshes("app") == []


def test_a_verification_completing_after_the_deadline_fails(make_world: Callable[..., World]) -> None:
    """The bot sees the step only after its deadline (it was down): the first Healthy it sees is too late."""
    world = make_world(deadline="2s")
    promotion = world.start("3.4.0")
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    time.sleep(3)  # Argo CD makes it Healthy meanwhile; nobody looks
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "not verified within 0:00:02" in done.reason
    assert "step_verified" not in kinds(world, promotion.id)
    assert world.main_file(STAGING).decode() == REPO_FILES[STAGING]


def test_a_later_revert_of_the_step_fails_its_verification(make_world: Callable[..., World]) -> None:
    """Content, not only ancestry: a person's revert descends from the merge but undoes the edit."""
    world = make_world(approvals=0, soak="60s")
    promotion = world.start("3.5.0")
    world.drive(promotion.id, until=soaking)
    world.person_commit("main", STAGING, REPO_FILES[STAGING].encode(), "a person puts 1.0.0 back")
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "no longer carries this step's edit" in done.reason
    assert world.main_file(PROD).decode() == REPO_FILES[PROD]


def test_an_application_the_merge_leaves_as_it_runs_is_verified_without_a_sync(
    make_world: Callable[..., World],
) -> None:
    # staging names both Applications; its change touches only app-staging's files. Argo CD compares app-prod
    # at the merge and finds it Synced: no sync ever applies the merge there, and none is needed.
    pipeline = PIPELINE.replace("applications: [app-staging]", "applications: [app-staging, app-prod]")
    world = make_world(pipeline=pipeline)
    promotion = world.start("3.2.0")
    done = world.drive(promotion.id, until=lambda p, s: p.stage == 1)
    assert done.stage == 1, done.reason
    verified = [e for e in world.rt.store.events("app", promotion.id, limit=1000) if e.kind.value == "step_verified"]
    assert "app-staging, app-prod Synced and Healthy" in verified[0].message


def test_a_github_outage_across_the_soaks_end_neither_reverts_nor_promotes_and_the_promotion_goes_on(
    make_world: Callable[..., World],
) -> None:
    import httpx  # noqa: PLC0415 - the sandbox's own route, outside the bot's client

    world = make_world(soak="1s")
    promotion = world.start("3.4.0")
    world.drive(promotion.id, until=soaking)
    faults = f"{world.stack.github.url}/_sandbox/faults"
    httpx.post(faults, json={"status": 503, "count": 100_000}).raise_for_status()  # down until cleared
    deadline = time.monotonic() + 3  # the soak ends meanwhile: prod's PR cannot be opened
    while time.monotonic() < deadline:
        world.drive(promotion.id, until=lambda p, s: True)
        time.sleep(0.1)
    during = world.promotion(promotion.id)
    assert not during.phase.finished and "GitHub 503" in during.reason, during.reason  # waiting, and why
    assert world.stack.github.app.state.faults.served > 0  # it kept asking, and was told 503
    httpx.delete(faults).raise_for_status()
    assert world.main_file(PROD).decode() == REPO_FILES[PROD] and "step_reverted" not in kinds(world, promotion.id)

    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert not any(pr.head.ref.endswith("-revert") for pr in world.pulls())
    assert len(world.pulls()) == 2  # staging's and prod's: each opened once, whatever was retried
