"""Blue/green stages end to end over HTTP: the idle colour gets the version behind the preview Service, the
active Service switches, the old colour is scaled down after a delay; a failure after the switch flips back."""

from __future__ import annotations

from collections.abc import Callable

from ruamel.yaml import YAML

from promoter.core.model import Phase
from tests.e2e.crashes import BLUE_GREEN_PIPELINE as PIPELINE
from tests.e2e.crashes import BLUE_GREEN_SERVICES as SERVICES
from tests.e2e.crashes import COLOR
from tests.e2e.world import World

BLUE, GREEN = "envs/staging/blue.yaml", "envs/staging/green.yaml"


def blue_green_world(make_world: Callable[..., World], pipeline: str = PIPELINE) -> World:
    files = {
        "envs/staging/deployment.yaml": None,
        BLUE: COLOR.replace("NAME", "blue").replace("REPLICAS", "3"),
        GREEN: COLOR.replace("NAME", "green").replace("REPLICAS", "0"),
        "envs/staging/services.yaml": SERVICES,
        "apps/app-prod.yaml": None,
        "envs/prod/deployment.yaml": None,
    }
    return make_world(files=files, pipeline=pipeline)


def docs(world: World, path: str) -> list[dict[str, object]]:
    return list(YAML(typ="safe").load_all(world.main_file(path)))


def selectors(world: World) -> tuple[str, str]:
    active, preview = docs(world, "envs/staging/services.yaml")
    return active["spec"]["selector"]["color"], preview["spec"]["selector"]["color"]  # type: ignore[index]


def workload(world: World, path: str) -> tuple[str, int]:
    (doc,) = docs(world, path)
    spec = doc["spec"]
    return spec["template"]["spec"]["containers"][0]["image"], spec["replicas"]  # type: ignore[index]


def test_the_idle_colour_gets_the_version_then_the_traffic_then_the_old_colour_scales_down(
    make_world: Callable[..., World],
) -> None:
    world = blue_green_world(make_world)
    promotion = world.start("2.0.0")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED
    assert selectors(world) == ("green", "green")
    assert workload(world, GREEN) == ("ghcr.io/acme/app:2.0.0", 3)
    assert workload(world, BLUE) == ("ghcr.io/acme/app:1.0.0", 0)
    assert [pr.title for pr in world.pulls()] == [
        "promoter: app 2.0.0 to staging: green gets 2.0.0",
        "promoter: app 2.0.0 to staging: switch app to green",
        "promoter: app 2.0.0 to staging: blue scaled down",
    ]

    # The next version goes to blue: the colours take turns.
    after = world.start("3.0.0")
    assert world.drive(after.id, timeout=60).phase is Phase.SUCCEEDED
    assert selectors(world) == ("blue", "blue")
    assert workload(world, BLUE) == ("ghcr.io/acme/app:3.0.0", 3)
    assert workload(world, GREEN) == ("ghcr.io/acme/app:2.0.0", 0)


def test_a_failure_after_the_switch_flips_the_traffic_back_in_one_revert(make_world: Callable[..., World]) -> None:
    world = blue_green_world(make_world)
    before = {path: world.main_file(path) for path in (BLUE, GREEN, "envs/staging/services.yaml")}
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=lambda _p, _at: selectors(world)[0] == "green", timeout=60)
    world.scenario(fail_images=["*:2.0.0"])  # green fails once it serves the traffic
    done = world.drive(promotion.id, timeout=60)

    assert done.phase is Phase.FAILED
    assert {path: world.main_file(path) for path in before} == before  # blue active again, green as it was
    reverts = [pr for pr in world.pulls() if pr.head.ref.endswith("-revert")]
    assert len(reverts) == 1 and reverts[0].merged


def test_a_version_failing_on_the_idle_colour_never_gets_the_traffic(make_world: Callable[..., World]) -> None:
    world = blue_green_world(make_world)
    promotion = world.start("2.0.0-bad")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED
    assert selectors(world) == ("blue", "blue")
    assert workload(world, GREEN) == ("ghcr.io/acme/app:1.0.0", 0)
    assert not any("switch" in pr.title for pr in world.pulls())


def test_without_auto_promotion_the_switch_waits_for_a_person(make_world: Callable[..., World]) -> None:
    # Argo Rollouts' autoPromotionEnabled: false: the idle colour is ready and previewed; the users move only on
    # promoter promote (an indefinite pre-promotion pause).
    manual = PIPELINE.replace(
        "        scaleDownDelay: 1s\n", "        scaleDownDelay: 1s\n        autoPromotionEnabled: false\n"
    )
    world = blue_green_world(make_world, manual)
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=lambda p, s: "`promoter promote` to go on" in p.reason, timeout=60)
    for _ in range(10):  # ready, previewed, and waiting however long
        world.drive(promotion.id, until=lambda p, s: True)
    assert selectors(world) == ("blue", "green")  # users on blue, the preview on green
    assert workload(world, GREEN) == ("ghcr.io/acme/app:2.0.0", 3)
    assert not world.promotion(promotion.id).phase.finished
    assert world.cli("promote", "app", "--config", str(world.config)).returncode == 0
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert selectors(world) == ("green", "green")
