"""Stage plans built from the strategy, the version and the stage's facts: the items, in order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from promoter.core import edits, strategies
from promoter.core import plan as plans
from promoter.core.model import Stage
from promoter.core.runs import Facts
from promoter.core.strategies import (
    Canary,
    HeaderMatch,
    ImageTarget,
    ResourceRef,
    SetCanaryScale,
    SetFields,
    SetHeaderRoute,
    SetMirrorRoute,
    SetTarget,
    SetWeight,
)
from tests.core.builders import (
    BG_FACTS,
    BG_STAGE,
    BLUE,
    BLUE_GREEN,
    CANARY,
    FILES,
    GREEN,
    IMAGE,
    PROD,
    PROD_FACTS,
    ROUTING,
    SERVICE,
    STABLE,
    STAGING,
)

RATIO = dataclasses.replace(PROD, strategy=Canary((ImageTarget(CANARY, IMAGE),), (SetWeight(25), SetWeight(60))))
RATIO_FACTS = Facts(
    (("Deployment/guestbook (envs/prod/stable.yaml)", 3), ("Deployment/guestbook-canary (envs/prod/canary.yaml)", 1))
)
FLAGS = SetTarget(ResourceRef("ConfigMap", "flags"), (("data.checkout", "v2-{version}"),))
RICH = Canary(
    canary=(ImageTarget(CANARY, IMAGE),),
    steps=(
        SetHeaderRoute("dark", (HeaderMatch("x-canary", "yes"),)),
        SetMirrorRoute("shadow", 50, (HeaderMatch("x-mirror", "1"),)),
        SetCanaryScale(replicas=2),
        SetCanaryScale(weight=50),
        SetCanaryScale(match_traffic_weight=True),
        SetFields(FLAGS),
        SetHeaderRoute("dark", ()),
        SetMirrorRoute("shadow", None),
        SetWeight(10),
    ),
    routing=ROUTING,
    scale_down=True,
)


def labels(plan: plans.StagePlan) -> list[str]:
    return [item.label if isinstance(item, plans.Change) else f"[{item.label}]" for item in plan.items]


CASES: dict[str, tuple[Stage, Facts, list[str]]] = {
    "rolling: the version, then the soak": (STAGING, Facts(), ["version 1.5.0", "[soak 0:00:30]"]),
    "rolling without a soak: the version": (
        dataclasses.replace(STAGING, soak=dt.timedelta(0)),
        Facts(),
        ["version 1.5.0"],
    ),
    "canary on weights: canary, steps, stable, weights back, canary scaled back": (
        PROD,
        PROD_FACTS,
        [
            "canary 1.5.0",
            "canary 20%",
            "[pause 0:01:00]",
            "canary 50%",
            "[pause until promoted]",
            "stable 1.5.0",
            "canary 0%: stable takes all traffic again",
            "canary back to 0 replicas",
        ],
    ),
    "canary already running pods: not scaled, not scaled back": (
        PROD,
        Facts(
            (
                ("Deployment/guestbook (envs/prod/stable.yaml)", 3),
                ("Deployment/guestbook-canary (envs/prod/canary.yaml)", 2),
            )
        ),
        [
            "canary 1.5.0",
            "canary 20%",
            "[pause 0:01:00]",
            "canary 50%",
            "[pause until promoted]",
            "stable 1.5.0",
            "canary 0%: stable takes all traffic again",
        ],
    ),
    "canary by replica ratio, no mesh": (
        RATIO,
        RATIO_FACTS,
        [
            "canary 1.5.0",
            "canary 25% (1 of 4 replicas)",
            "canary 60% (2 of 4 replicas)",
            "stable 1.5.0",
            "replicas back to 3 stable, 1 canary",
        ],
    ),
    "canary with header route, mirror, scales and a field": (
        dataclasses.replace(PROD, strategy=RICH, soak=dt.timedelta(seconds=10)),
        PROD_FACTS,
        [
            "canary 1.5.0",
            "header route dark",
            "mirror shadow 50%",
            "canary scale 2",
            "canary scale 2",
            "set data.checkout",
            "header route dark removed",
            "mirror shadow removed",
            "canary 10%",
            "stable 1.5.0",
            "canary 0%: stable takes all traffic again",
            "[soak 0:00:10]",
            "canary back to 0 replicas",
        ],
    ),
    "blue/green: the idle colour, the pause, the switch, the delay, the old colour down": (
        BG_STAGE,
        BG_FACTS,
        [
            "green gets 1.5.0",
            "[pre-promotion pause 0:00:30]",
            "switch guestbook to green",
            "[scale-down delay 0:00:30]",
            "blue scaled down",
        ],
    ),
    "blue/green live on green: blue is next": (
        BG_STAGE,
        dataclasses.replace(BG_FACTS, active="green"),
        [
            "blue gets 1.5.0",
            "[pre-promotion pause 0:00:30]",
            "switch guestbook to blue",
            "[scale-down delay 0:00:30]",
            "green scaled down",
        ],
    ),
    "blue/green promoted by hand, preview Service, no scale down": (
        dataclasses.replace(
            BG_STAGE,
            strategy=dataclasses.replace(
                BLUE_GREEN,
                auto_promotion=False,
                pre_promotion_pause=dt.timedelta(0),
                preview_service=ResourceRef("Service", "guestbook-preview"),
                scale_down=False,
            ),
            soak=dt.timedelta(seconds=5),
        ),
        BG_FACTS,
        ["green gets 1.5.0", "[switch to green when promoted]", "switch guestbook to green", "[soak 0:00:05]"],
    ),
    "blue/green without a scale-down delay": (
        dataclasses.replace(BG_STAGE, strategy=dataclasses.replace(BLUE_GREEN, scale_down_delay=dt.timedelta(0))),
        BG_FACTS,
        ["green gets 1.5.0", "[pre-promotion pause 0:00:30]", "switch guestbook to green", "blue scaled down"],
    ),
}


@pytest.mark.parametrize(("stage", "facts", "expected"), CASES.values(), ids=CASES.keys())
def test_build(stage: Stage, facts: Facts, expected: list[str]) -> None:
    assert labels(plans.build(stage, "1.5.0", facts)) == expected


def test_the_canary_is_scaled_for_its_largest_weight() -> None:
    first = plans.build(PROD, "1.5.0", PROD_FACTS).change(0)
    assert first.edits == (edits.SetImage(CANARY, IMAGE, "1.5.0"), edits.SetReplicas(CANARY, 2))  # 50% of 3
    last = plans.build(PROD, "1.5.0", PROD_FACTS).change(7)
    assert last.edits == (edits.SetReplicas(CANARY, 0),)


def test_the_finish_removes_the_routes_the_steps_added() -> None:
    walked = plans.build(dataclasses.replace(PROD, strategy=RICH), "1.5.0", PROD_FACTS)
    reset = next(i for i in walked.items if isinstance(i, plans.Change) and i.kind is plans.ChangeKind.RESET)
    # The plan's routing knows the routes its steps add, so that a route index skips them.
    managing = dataclasses.replace(ROUTING, managed=("dark", "shadow"))
    assert reset.edits == (
        edits.SetWeight(managing, 0),
        edits.SetHeaderRoute(managing, "dark", ()),
        edits.SetMirror(managing, "shadow", None, ()),
    )


def test_a_replica_ratio_moves_both_workloads() -> None:
    walked = plans.build(RATIO, "1.5.0", RATIO_FACTS)
    assert walked.change(1).edits == (edits.SetReplicas(STABLE, 3), edits.SetReplicas(CANARY, 1))
    assert walked.change(2).edits == (edits.SetReplicas(STABLE, 2), edits.SetReplicas(CANARY, 2))


def test_a_small_weight_still_gets_one_canary_pod() -> None:
    tiny = dataclasses.replace(RATIO, strategy=Canary((ImageTarget(CANARY, IMAGE),), (SetWeight(1),)))
    assert plans.build(tiny, "1.5.0", RATIO_FACTS).change(1).edits[-1] == edits.SetReplicas(CANARY, 1)


def test_a_field_step_fills_in_the_version() -> None:
    walked = plans.build(dataclasses.replace(PROD, strategy=RICH), "1.5.0", PROD_FACTS)
    field = next(i for i in walked.items if isinstance(i, plans.Change) and i.kind is plans.ChangeKind.SET)
    assert field.edits == (edits.SetValues(FLAGS.ref, (("data.checkout", "v2-1.5.0"),)),)


def test_blue_green_scales_the_idle_colour_to_the_live_one() -> None:
    preview = plans.build(BG_STAGE, "1.5.0", BG_FACTS).change(0)
    assert preview.edits == (edits.SetImage(GREEN, IMAGE, "1.5.0"), edits.SetReplicas(GREEN, 3))
    switch = plans.build(BG_STAGE, "1.5.0", BG_FACTS).change(2)
    assert switch.edits == (edits.SetSelector(SERVICE, "color", "green"),)


REFUSED: dict[str, tuple[Stage, Facts, str]] = {
    "blue/green serving an unknown colour": (
        BG_STAGE,
        dataclasses.replace(BG_FACTS, active="purple"),
        "selects color='purple'",
    ),
    "blue/green whose Service was not read": (
        BG_STAGE,
        dataclasses.replace(BG_FACTS, active=None),
        "selects color=None",
    ),
    "replica ratio without replica counts": (RATIO, Facts(), "has no spec.replicas"),
    "a scaled-up canary needs the stable's replicas": (
        PROD,
        Facts((("Deployment/guestbook-canary (envs/prod/canary.yaml)", 0),)),
        "stable workload",
    ),
}


@pytest.mark.parametrize(("stage", "facts", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_a_plan_the_facts_do_not_allow_is_refused(stage: Stage, facts: Facts, message: str) -> None:
    with pytest.raises(plans.PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plans.build(stage, "1.5.0", facts)


def test_facts_are_read_from_the_stage_workloads() -> None:
    assert plans.fact_refs(STAGING) == ()
    assert plans.fact_refs(PROD) == (CANARY, STABLE)
    assert plans.fact_refs(BG_STAGE) == (SERVICE, BLUE, GREEN)
    assert plans.read_facts(PROD, FILES) == PROD_FACTS
    assert plans.read_facts(BG_STAGE, FILES) == BG_FACTS
    assert plans.read_facts(BG_STAGE, {}) == Facts((), None)


def test_a_plan_names_the_resources_it_edits() -> None:
    assert plans.build(PROD, "1.5.0", PROD_FACTS).refs() == (CANARY, ROUTING.resource, STABLE)


def test_strategy_names() -> None:
    assert strategies.name(STAGING.strategy) == "rolling"
    assert strategies.name(PROD.strategy) == "canary (istio)"
    assert strategies.name(RATIO.strategy) == "canary (replica ratio)"
    assert strategies.name(BG_STAGE.strategy) == "blueGreen"
    assert str(STABLE) == "Deployment/guestbook (envs/prod/stable.yaml)"
    assert str(ResourceRef("Deployment", "web")) == "Deployment/web"
    assert str(ResourceRef("Namespace")) == "Namespace"
    assert str(ResourceRef(file="a.yaml")) == "a.yaml"
    assert str(ResourceRef()) == "?"
