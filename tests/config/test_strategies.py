"""A stage's ``strategy:`` loads into the exact core value, or is refused at the key that is wrong.

Every pipeline here is ``HEAD`` (lines 1-6, ending in ``strategy:``) followed by the strategy's own lines, so
the strategy's first line is line 7 and its keys sit at column 7; ``CANARY`` is lines 7-8 (the canary's
mapping starts at 8:9) and ``SERVICES`` lines 9-10 after it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from promoter.config import loading
from promoter.config.problems import ConfigError, Problem
from promoter.core import strategies
from promoter.core.strategies import (
    BlueGreen,
    Canary,
    HeaderMatch,
    ImageTarget,
    Pause,
    ResourceRef,
    RoutingFormat,
    SetCanaryScale,
    SetFields,
    SetHeaderRoute,
    SetMirrorRoute,
    SetTarget,
    SetWeight,
    TrafficRouting,
)
from tests.config import configdir

HEAD = """\
name: web
stages:
  - name: staging
    applications: [web-staging]
    targets: [{file: envs/staging/web.yaml, image: ghcr.io/acme/web}]
    strategy:
"""
# A blue/green stage has no targets (its colours are the workloads): a comment keeps the line numbers.
BG_HEAD = HEAD.replace("    targets: [{file: envs/staging/web.yaml, image: ghcr.io/acme/web}]\n", "    # no targets\n")

CANARY = """\
      canary:
        targets: [{resource: Deployment/web-canary, image: ghcr.io/acme/web}]
"""
SERVICES = """\
        canaryService: web-canary
        stableService: web
"""
BLUE_GREEN = """\
      blueGreen:
        activeService: web
        selector: color
        colors:
          blue: {resource: Deployment/web-blue, image: ghcr.io/acme/web}
          green: {resource: Deployment/web-green, image: ghcr.io/acme/web}
"""

WORKLOAD = ImageTarget(ResourceRef("Deployment", "web-canary"), "ghcr.io/acme/web")
BLUE = ImageTarget(ResourceRef("Deployment", "web-blue"), "ghcr.io/acme/web")
GREEN = ImageTarget(ResourceRef("Deployment", "web-green"), "ghcr.io/acme/web")
WEB_SERVICE = ResourceRef("Service", "web")
ISTIO = TrafficRouting(RoutingFormat.ISTIO, ResourceRef("VirtualService", "web"), "web", "web-canary")
HTTP_ROUTE = TrafficRouting(RoutingFormat.GATEWAY_API, ResourceRef("HTTPRoute", "web"), "web", "web-canary")

S = "stages[0].strategy"
C = f"{S}.canary"
R = f"{C}.trafficRouting"
BG = f"{S}.blueGreen"


def strategy_of(tmp_path: Path, text: str) -> strategies.Strategy:
    directory = configdir.write(tmp_path, {"pipelines/web.yaml": text})
    (stage,) = loading.load(directory).pipeline("web").stages
    return stage.strategy


def problems(tmp_path: Path, text: str) -> tuple[Path, list[Problem]]:
    directory = configdir.write(tmp_path, {"pipelines/web.yaml": text})
    with pytest.raises(ConfigError) as caught:
        loading.load(directory)
    return directory / "pipelines" / "web.yaml", list(caught.value.problems)


# loaded -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Loads:
    text: str  # the whole pipeline file
    expected: strategies.Strategy


LOADS = {
    # rolling
    "rolling-by-default": Loads(HEAD.removesuffix("    strategy:\n"), strategies.Rolling()),
    "rolling-short-form": Loads(HEAD.replace("strategy:\n", "strategy: rolling\n"), strategies.Rolling()),
    "rolling-long-form": Loads(HEAD + "      rolling: {}\n", strategies.Rolling()),
    # canary by replica ratio (no trafficRouting)
    "canary-without-steps": Loads(HEAD + CANARY, Canary((WORKLOAD,), ())),
    "canary-replica-ratio": Loads(
        HEAD
        + CANARY
        + """\
        scaleDown: false
        steps:
          - setCanaryScale: {replicas: 2}
          - setWeight: 20
          - pause: {}
          - setCanaryScale: {weight: 50}
          - setWeight: 50
          - pause: {duration: 30s}
          - setCanaryScale: {matchTrafficWeight: true}
          - setWeight: 80
""",
        Canary(
            (WORKLOAD,),
            (
                SetCanaryScale(replicas=2),
                SetWeight(20),
                Pause(None),
                SetCanaryScale(weight=50),
                SetWeight(50),
                Pause(dt.timedelta(seconds=30)),
                SetCanaryScale(match_traffic_weight=True),
                SetWeight(80),
            ),
            routing=None,
            scale_down=False,
        ),
    ),
    "pause-durations": Loads(
        HEAD
        + CANARY
        + """\
        steps:
          - pause: {}
          - pause: {duration: }
          - pause: {duration: 30s}
          - pause: {duration: 45}
          - pause: {duration: "90"}
          - pause: {duration: 1h30m}
          - pause: {duration: 500ms}
          - pause: {duration: 0}
""",
        Canary(
            (WORKLOAD,),
            (
                Pause(None),
                Pause(None),
                Pause(dt.timedelta(seconds=30)),
                Pause(dt.timedelta(seconds=45)),  # Argo Rollouts' integer seconds
                Pause(dt.timedelta(seconds=90)),
                Pause(dt.timedelta(hours=1, minutes=30)),
                Pause(dt.timedelta(milliseconds=500)),
                Pause(dt.timedelta(0)),
            ),
        ),
    ),
    "weights-may-go-down-and-repeat": Loads(  # as in Argo Rollouts: no order is imposed on setWeight
        HEAD + CANARY + "        steps: [{setWeight: 50}, {setWeight: 10}, {setWeight: 10}, {setWeight: 0}]\n",
        Canary((WORKLOAD,), (SetWeight(50), SetWeight(10), SetWeight(10), SetWeight(0))),
    ),
    "weight-bounds": Loads(
        HEAD + CANARY + "        steps: [{setWeight: 0}, {setWeight: 100}, {setCanaryScale: {weight: 0}}]\n",
        Canary((WORKLOAD,), (SetWeight(0), SetWeight(100), SetCanaryScale(weight=0))),
    ),
    "canary-workloads-by-file-doc-and-container": Loads(
        HEAD
        + """\
      canary:
        targets:
          - {file: envs/staging/canary.yaml, doc: 1, image: ghcr.io/acme/web, container: web}
          - {resource: Deployment/worker-canary, file: envs/staging/worker.yaml, image: ghcr.io/acme/worker}
""",
        Canary(
            (
                ImageTarget(ResourceRef(file="envs/staging/canary.yaml", doc=1), "ghcr.io/acme/web", "web"),
                ImageTarget(
                    ResourceRef("Deployment", "worker-canary", "envs/staging/worker.yaml"), "ghcr.io/acme/worker"
                ),
            ),
            (),
        ),
    ),
    "set-step": Loads(
        HEAD
        + CANARY
        + """\
        steps:
          - set:
              resource: DestinationRule/web
              file: envs/staging/dr.yaml
              set: {spec.trafficPolicy.outlierDetection.consecutive5xxErrors: 3, metadata.labels.version: "v{version}"}
          - set: {file: envs/staging/flags.yaml, doc: 2, set: {canary: true}}
""",
        Canary(
            (WORKLOAD,),
            (
                SetFields(
                    SetTarget(
                        ResourceRef("DestinationRule", "web", "envs/staging/dr.yaml"),
                        (
                            ("spec.trafficPolicy.outlierDetection.consecutive5xxErrors", "3"),
                            ("metadata.labels.version", "v{version}"),
                        ),
                    )
                ),
                SetFields(SetTarget(ResourceRef(file="envs/staging/flags.yaml", doc=2), (("canary", "true"),))),
            ),
        ),
    ),
    # every traffic routing format
    "istio-by-service": Loads(
        HEAD + CANARY + SERVICES + "        trafficRouting: {istio: {virtualService: {name: web}}}\n",
        Canary((WORKLOAD,), (), ISTIO),
    ),
    "istio-named-route-in-a-file": Loads(
        HEAD
        + CANARY
        + SERVICES
        + """\
        trafficRouting:
          istio:
            virtualService: {name: web, file: envs/staging/vs.yaml, routes: [primary]}
""",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(
                RoutingFormat.ISTIO,
                ResourceRef("VirtualService", "web", "envs/staging/vs.yaml"),
                "web",
                "web-canary",
                route="primary",
            ),
        ),
    ),
    "istio-by-subset": Loads(  # the destinations are the DestinationRule's subsets: no services needed
        HEAD
        + CANARY
        + """\
        trafficRouting:
          istio:
            virtualService: {name: web}
            destinationRule: {name: web, file: dr.yaml, canarySubsetName: canary, stableSubsetName: stable}
""",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.ISTIO, ResourceRef("VirtualService", "web"), "stable", "canary"),
        ),
    ),
    "gateway-api-http-route": Loads(
        HEAD + CANARY + SERVICES + "        trafficRouting: {gatewayAPI: {httpRoute: web}}\n",
        Canary((WORKLOAD,), (), HTTP_ROUTE),
    ),
    "gateway-api-grpc-route-every-option": Loads(
        HEAD
        + CANARY
        + SERVICES
        + "        trafficRouting: {gatewayAPI: {grpcRoute: web, file: envs/staging/route.yaml, rule: 2, port: 8080}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(
                RoutingFormat.GATEWAY_API,
                ResourceRef("GRPCRoute", "web", "envs/staging/route.yaml"),
                "web",
                "web-canary",
                route=2,
                port=8080,
            ),
        ),
    ),
    "nginx-canary-ingress-by-default": Loads(
        HEAD + CANARY + "        trafficRouting: {nginx: {stableIngress: web}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.NGINX, ResourceRef("Ingress", "web-canary"), "web", "web-canary"),
        ),
    ),
    "nginx-canary-ingress-named": Loads(
        HEAD
        + CANARY
        + "        trafficRouting: {nginx: {stableIngress: web, canaryIngress: web-new, file: ing.yaml}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.NGINX, ResourceRef("Ingress", "web-new", "ing.yaml"), "web", "web-new"),
        ),
    ),
    "smi": Loads(
        HEAD
        + CANARY
        + SERVICES
        + "        trafficRouting: {smi: {trafficSplitName: web, rootService: web, file: ts.yaml}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.SMI, ResourceRef("TrafficSplit", "web", "ts.yaml"), "web", "web-canary"),
        ),
    ),
    "knative-by-tag": Loads(
        HEAD
        + CANARY
        + "        trafficRouting: {knative: {service: web, stableTag: current, canaryTag: next, file: k.yaml}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.KNATIVE, ResourceRef("Service", "web", "k.yaml"), "current", "next"),
        ),
    ),
    "openshift": Loads(
        HEAD + CANARY + SERVICES + "        trafficRouting: {openshift: {route: web, file: route.yaml}}\n",
        Canary(
            (WORKLOAD,),
            (),
            TrafficRouting(RoutingFormat.OPENSHIFT, ResourceRef("Route", "web", "route.yaml"), "web", "web-canary"),
        ),
    ),
    # header and mirror routes
    "header-and-mirror-routes-on-istio": Loads(
        HEAD
        + CANARY
        + SERVICES
        + """\
        trafficRouting: {istio: {virtualService: {name: web}}}
        steps:
          - setHeaderRoute:
              name: beta
              match:
                - {headerName: x-beta, headerValue: {exact: "yes"}}
                - {headerName: user-agent, headerValue: {prefix: Mozilla}}
                - {headerName: x-user, headerValue: {regex: "^qa-.*"}}
          - setMirrorRoute:
              name: shadow
              percentage: 35
              match:
                - headers: {user-agent: {exact: firefox}, x-team: {regex: "qa|dev"}}
                - headers: {x-mirror: {prefix: "1"}}
          - setWeight: 10
          - setMirrorRoute: {name: all, percentage: 5, match: [{headers: {x-all: {exact: "1"}}}]}
          - pause: {}
          - setMirrorRoute: {name: shadow}
          - setHeaderRoute: {name: beta}
""",
        Canary(
            (WORKLOAD,),
            (
                SetHeaderRoute(
                    "beta",
                    (
                        HeaderMatch("x-beta", "yes", "exact"),
                        HeaderMatch("user-agent", "Mozilla", "prefix"),
                        HeaderMatch("x-user", "^qa-.*", "regex"),
                    ),
                ),
                SetMirrorRoute(
                    "shadow",
                    35,
                    (
                        HeaderMatch("user-agent", "firefox", "exact"),
                        HeaderMatch("x-team", "qa|dev", "regex"),
                        HeaderMatch("x-mirror", "1", "prefix"),
                    ),
                ),
                SetWeight(10),
                SetMirrorRoute("all", 5, (HeaderMatch("x-all", "1"),)),
                Pause(None),
                SetMirrorRoute("shadow", None),  # removed
                SetHeaderRoute("beta", ()),  # removed
            ),
            ISTIO,
        ),
    ),
    "header-and-mirror-routes-on-gateway-api": Loads(
        HEAD
        + CANARY
        + SERVICES
        + """\
        trafficRouting: {gatewayAPI: {httpRoute: web}}
        steps:
          - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: "1"}}]}
          - setMirrorRoute: {name: shadow, percentage: 100}
          - setHeaderRoute: {name: beta, match: []}
""",
        Canary(
            (WORKLOAD,),
            (
                SetHeaderRoute("beta", (HeaderMatch("x-beta", "1"),)),
                SetMirrorRoute("shadow", 100, ()),
                SetHeaderRoute("beta", ()),
            ),
            HTTP_ROUTE,
        ),
    ),
    # blue/green
    "blue-green-defaults": Loads(
        BG_HEAD + BLUE_GREEN,
        BlueGreen(
            active_service=WEB_SERVICE,
            selector="color",
            colors=(("blue", BLUE), ("green", GREEN)),
            preview_service=None,
            auto_promotion=True,
            pre_promotion_pause=dt.timedelta(0),
            scale_down_delay=dt.timedelta(seconds=30),
            scale_down=True,
        ),
    ),
    "blue-green-every-option": Loads(
        BG_HEAD
        + """\
      blueGreen:
        activeService: {name: web, file: envs/staging/svc.yaml}
        previewService: {name: web-preview, file: envs/staging/preview.yaml}
        selector: app.kubernetes.io/color
        colors:
          green: {file: envs/staging/green.yaml, image: ghcr.io/acme/web, container: web}
          blue: {resource: Deployment/web-blue, image: ghcr.io/acme/web}
        autoPromotionEnabled: false
        prePromotionPause: 1m
        scaleDownDelay: 0s
        scaleDown: false
""",
        BlueGreen(
            active_service=ResourceRef("Service", "web", "envs/staging/svc.yaml"),
            selector="app.kubernetes.io/color",
            colors=(  # in the file's order
                ("green", ImageTarget(ResourceRef(file="envs/staging/green.yaml"), "ghcr.io/acme/web", "web")),
                ("blue", BLUE),
            ),
            preview_service=ResourceRef("Service", "web-preview", "envs/staging/preview.yaml"),
            auto_promotion=False,
            pre_promotion_pause=dt.timedelta(minutes=1),
            scale_down_delay=dt.timedelta(0),
            scale_down=False,
        ),
    ),
    "blue-green-argo-rollouts-seconds": Loads(
        BG_HEAD + BLUE_GREEN + "        previewService: web-preview\n"
        "        autoPromotionSeconds: 90\n        scaleDownDelaySeconds: 10\n",
        BlueGreen(
            WEB_SERVICE,
            "color",
            (("blue", BLUE), ("green", GREEN)),
            preview_service=ResourceRef("Service", "web-preview"),
            pre_promotion_pause=dt.timedelta(seconds=90),
            scale_down_delay=dt.timedelta(seconds=10),
        ),
    ),
    "blue-green-zero-seconds-are-zero": Loads(  # not the defaults: 0 is a value
        BG_HEAD + BLUE_GREEN + "        autoPromotionSeconds: 0\n        scaleDownDelaySeconds: 0\n",
        BlueGreen(
            WEB_SERVICE,
            "color",
            (("blue", BLUE), ("green", GREEN)),
            pre_promotion_pause=dt.timedelta(0),
            scale_down_delay=dt.timedelta(0),
        ),
    ),
}


@pytest.mark.parametrize("case", LOADS.values(), ids=LOADS.keys())
def test_loads(tmp_path: Path, case: Loads) -> None:
    assert strategy_of(tmp_path, case.text) == case.expected


def test_the_stage_around_a_canary(tmp_path: Path) -> None:
    """The stage's own targets stay the stable workload; the canary's targets are the canary workload."""
    text = HEAD + CANARY + "        steps: [{setWeight: 25}]\n"
    (stage,) = loading.load(configdir.write(tmp_path, {"pipelines/web.yaml": text})).pipeline("web").stages
    assert stage.targets == (ImageTarget(ResourceRef(file="envs/staging/web.yaml"), "ghcr.io/acme/web"),)
    assert stage.strategy == Canary((WORKLOAD,), (SetWeight(25),))
    assert strategies.name(stage.strategy) == "canary (replica ratio)"


def test_a_blue_green_stage_has_no_targets(tmp_path: Path) -> None:
    (stage,) = (
        loading.load(configdir.write(tmp_path, {"pipelines/web.yaml": BG_HEAD + BLUE_GREEN})).pipeline("web").stages
    )
    assert stage.targets == ()
    assert strategies.name(stage.strategy) == "blueGreen"


# refused ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Refused:
    text: str  # the whole pipeline file
    where: str  # LINE:COLUMN in it
    field: str
    message: str


STEP_KINDS = "setWeight, pause, setCanaryScale, setHeaderRoute, setMirrorRoute, set, analysis"
FORMATS = "istio, gatewayAPI, nginx, smi, knative or openshift"
BY_SERVICE = "this trafficRouting names its destinations by service: give canaryService and stableService"
ONE_SCALE = "give exactly one of replicas, weight or matchTrafficWeight: true"
ONE_MATCH = "give exactly one of exact, prefix or regex"
TWO_COLOURS = "blue/green has exactly two colours: {VALUE: workload, VALUE: workload}"
AN_IMAGE = "a workload here is given with image: (its version is set)"
NULL = "expected a mapping, found nothing (null)"


def steps(*lines: str) -> str:
    """``CANARY`` with a steps list: the first step is line 10, its key at column 13."""
    return HEAD + CANARY + "        steps:\n" + "".join(f"          - {line}\n" for line in lines)


def routed(routing: str, *lines: str, services: bool = True) -> str:
    """``CANARY`` (+ ``SERVICES``), then ``trafficRouting: ROUTING`` (line 11, or 9 without the services), steps."""
    text = HEAD + CANARY + (SERVICES if services else "") + f"        trafficRouting: {routing}\n"
    return text + ("        steps:\n" + "".join(f"          - {line}\n" for line in lines) if lines else "")


REFUSED = {
    # the strategy itself
    "short-form-of-a-strategy-with-settings": Refused(
        HEAD.replace("strategy:\n", "strategy: canary\n"),
        "6:15",
        S,
        "'canary' needs its settings: write strategy: {canary: {...}} (or strategy: rolling)",
    ),
    "short-form-blue-green": Refused(
        HEAD.replace("strategy:\n", "strategy: blueGreen\n"),
        "6:15",
        S,
        "'blueGreen' needs its settings: write strategy: {blueGreen: {...}} (or strategy: rolling)",
    ),
    "short-form-of-an-unknown-strategy": Refused(
        HEAD.replace("strategy:\n", "strategy: recreate\n"),
        "6:15",
        S,
        "unknown strategy 'recreate' (expected one of: rolling, canary, blueGreen)",
    ),
    "short-form-with-a-typo": Refused(
        HEAD.replace("strategy:\n", "strategy: bluegreen\n"),
        "6:15",
        S,
        "unknown strategy 'bluegreen' (did you mean blueGreen? expected one of: rolling, canary, blueGreen)",
    ),
    "strategy-of-another-type": Refused(
        HEAD.replace("strategy:\n", "strategy: [rolling]\n"), "6:15", S, "expected a mapping, found a list"
    ),
    "no-strategy-in-the-mapping": Refused(
        HEAD.replace("strategy:\n", "strategy: {}\n"), "6:15", S, "give exactly one of rolling, canary or blueGreen"
    ),
    "two-strategies": Refused(
        HEAD + "      rolling: {}\n" + CANARY,
        "7:7",
        S,
        "give exactly one of rolling, canary or blueGreen",
    ),
    "unknown-strategy-key": Refused(
        HEAD + "      recreate: {}\n",
        "7:7",
        f"{S}.recreate",
        "unknown key (expected one of: rolling, canary, blueGreen)",
    ),
    "strategy-key-with-a-typo": Refused(
        HEAD + "      canry: {}\n",
        "7:7",
        f"{S}.canry",
        "unknown key (did you mean canary? expected one of: rolling, canary, blueGreen)",
    ),
    "rolling-with-settings": Refused(
        HEAD + "      rolling: {maxSurge: 1}\n",
        "7:17",
        f"{S}.rolling.maxSurge",
        "unknown key (expected one of: analysis)",
    ),
    "rolling-with-nothing": Refused(
        HEAD + "      rolling:\n", "7:7", f"{S}.rolling", f"{NULL}: write rolling: {{}} (or strategy: rolling)"
    ),
    "canary-with-nothing": Refused(HEAD + "      canary:\n", "7:7", f"{S}.canary", NULL),
    "strategy-with-nothing": Refused(HEAD, "6:5", S, NULL),
    # the canary's workloads
    "canary-without-workloads": Refused(HEAD + "      canary: {}\n", "7:15", f"{C}.targets", "missing (required)"),
    "canary-with-no-workloads": Refused(
        HEAD + "      canary: {targets: []}\n", "7:25", f"{C}.targets", "must not be empty"
    ),
    "canary-workload-by-set": Refused(
        HEAD + "      canary:\n        targets: [{file: c.yaml, set: {replicas: 1}}]\n",
        "8:19",
        f"{C}.targets[0]",
        AN_IMAGE,
    ),
    "canary-workload-with-image-and-set": Refused(
        HEAD + "      canary:\n        targets: [{file: c.yaml, image: ghcr.io/acme/web, set: {a: b}}]\n",
        "8:19",
        f"{C}.targets[0]",
        "a target has exactly one of image or set",
    ),
    "canary-workload-nowhere": Refused(
        HEAD + "      canary:\n        targets: [{image: ghcr.io/acme/web}]\n",
        "8:19",
        f"{C}.targets[0]",
        "name the resource (resource: Kind/name) or the file (file: PATH)",
    ),
    "canary-workload-bad-resource": Refused(
        HEAD + "      canary:\n        targets: [{resource: web-canary, image: ghcr.io/acme/web}]\n",
        "8:30",
        f"{C}.targets[0].resource",
        "expected Kind/name, such as Deployment/guestbook-canary",
    ),
    "canary-workload-negative-doc": Refused(
        HEAD + "      canary:\n        targets: [{file: c.yaml, doc: -1, image: ghcr.io/acme/web}]\n",
        "8:39",
        f"{C}.targets[0].doc",
        "must be at least 0",
    ),
    "canary-workload-image-with-a-tag": Refused(
        HEAD + "      canary:\n        targets: [{file: c.yaml, image: 'ghcr.io/acme/web:1'}]\n",
        "8:41",
        f"{C}.targets[0].image",
        "write the image without a tag or digest (ghcr.io/acme/web): the version supplies it",
    ),
    "canary-key-with-a-typo": Refused(
        HEAD + CANARY + "        trafficRoute: {nginx: {stableIngress: web}}\n",
        "9:9",
        f"{C}.trafficRoute",
        "unknown key (did you mean trafficRouting? expected one of: "
        "targets, steps, trafficRouting, canaryService, stableService, scaleDown, analysis)",
    ),
    "canary-scale-down-not-a-boolean": Refused(
        HEAD + CANARY + "        scaleDown: 'no'\n", "9:20", f"{C}.scaleDown", "expected a boolean, found a string"
    ),
    "empty-canary-service": Refused(
        HEAD + CANARY + "        canaryService: ''\n", "9:24", f"{C}.canaryService", "must not be empty"
    ),
    "steps-not-a-list": Refused(
        HEAD + CANARY + "        steps: {setWeight: 10}\n", "9:16", f"{C}.steps", "expected a list, found a mapping"
    ),
    # steps
    "step-not-a-mapping": Refused(steps("setWeight"), "10:13", f"{C}.steps[0]", "expected a mapping, found a string"),
    "empty-step": Refused(steps("{}"), "10:13", f"{C}.steps[0]", f"a step has exactly one of {STEP_KINDS}"),
    "two-kinds-in-a-step": Refused(
        steps("{setWeight: 10, pause: {}}"), "10:13", f"{C}.steps[0]", f"a step has exactly one of {STEP_KINDS}"
    ),
    "unknown-step-kind": Refused(
        steps("experiment: {duration: 1h}"),
        "10:13",
        f"{C}.steps[0].experiment",
        f"unknown key (expected one of: {STEP_KINDS})",
    ),
    "step-kind-with-a-typo": Refused(
        steps("setweight: 10"),
        "10:13",
        f"{C}.steps[0].setweight",
        f"unknown key (did you mean setWeight? expected one of: {STEP_KINDS})",
    ),
    "analysis-step-without-templates": Refused(  # the templates themselves: tests/config/test_analysis.py
        steps("analysis: {templates: [{templateName: success-rate}]}"),
        "10:51",
        f"{C}.steps[0].analysis.templates[0].templateName",
        "no AnalysisTemplate 'success-rate' (there is none in analysis/)",
    ),
    "weight-above-100": Refused(
        steps("setWeight: 20", "setWeight: 101"),
        "11:24",
        f"{C}.steps[1].setWeight",
        "expected less than or equal to 100",
    ),
    "weight-below-0": Refused(steps("setWeight: -1"), "10:24", f"{C}.steps[0].setWeight", "must be at least 0"),
    "weight-as-a-string": Refused(
        steps("setWeight: '10'"), "10:24", f"{C}.steps[0].setWeight", "expected an integer, found a string"
    ),
    "weight-with-a-fraction": Refused(
        steps("setWeight: 12.5"), "10:24", f"{C}.steps[0].setWeight", "expected an integer, found a number"
    ),
    "weight-as-a-percent-string": Refused(
        steps("setWeight: 10%"), "10:24", f"{C}.steps[0].setWeight", "expected an integer, found a string"
    ),
    "weight-with-nothing": Refused(
        steps("setWeight:"), "10:13", f"{C}.steps[0].setWeight", "expected an integer, found nothing (null)"
    ),
    "pause-with-nothing": Refused(
        steps("pause:"),
        "10:13",
        f"{C}.steps[0].pause",
        f"{NULL}: write pause: {{}} to wait until promoted, or pause: {{duration: 30s}}",
    ),
    "pause-as-a-duration": Refused(
        steps("pause: 30s"), "10:20", f"{C}.steps[0].pause", "expected a mapping, found a string"
    ),
    "pause-bad-duration": Refused(
        steps("pause: {duration: soon}"),
        "10:31",
        f"{C}.steps[0].pause.duration",
        "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds, found 'soon'",
    ),
    "pause-negative-duration": Refused(
        steps("pause: {duration: -5}"),
        "10:31",
        f"{C}.steps[0].pause.duration",
        "a duration cannot be negative (found -5)",
    ),
    "pause-key-with-a-typo": Refused(
        steps("pause: {durration: 1m}"),
        "10:21",
        f"{C}.steps[0].pause.durration",
        "unknown key (did you mean duration? expected one of: duration)",
    ),
    "canary-scale-with-nothing": Refused(steps("setCanaryScale:"), "10:13", f"{C}.steps[0].setCanaryScale", NULL),
    "canary-scale-empty": Refused(steps("setCanaryScale: {}"), "10:29", f"{C}.steps[0].setCanaryScale", ONE_SCALE),
    "canary-scale-two-ways": Refused(
        steps("setCanaryScale: {replicas: 1, weight: 50}"), "10:29", f"{C}.steps[0].setCanaryScale", ONE_SCALE
    ),
    "canary-scale-match-traffic-weight-false": Refused(
        steps("setCanaryScale: {matchTrafficWeight: false}"),
        "10:50",
        f"{C}.steps[0].setCanaryScale.matchTrafficWeight",
        "matchTrafficWeight takes true only (the canary follows the weight again); or give replicas or weight",
    ),
    "canary-scale-weight-above-100": Refused(
        steps("setCanaryScale: {weight: 150}"),
        "10:38",
        f"{C}.steps[0].setCanaryScale.weight",
        "expected less than or equal to 100",
    ),
    "canary-scale-negative-replicas": Refused(
        steps("setCanaryScale: {replicas: -1}"),
        "10:40",
        f"{C}.steps[0].setCanaryScale.replicas",
        "must be at least 0",
    ),
    "set-step-with-an-image": Refused(
        steps("set: {file: flags.yaml, image: ghcr.io/acme/web}"),
        "10:13",
        f"{C}.steps[0]",
        "a set step gives set: {PATH: VALUE} (and the resource or file)",
    ),
    "set-step-without-fields": Refused(
        steps("set: {resource: DestinationRule/web}"),
        "10:18",
        f"{C}.steps[0].set",
        "a target has exactly one of image or set",
    ),
    "set-step-with-a-container": Refused(
        steps("set: {file: flags.yaml, set: {a: b}, container: web}"),
        "10:18",
        f"{C}.steps[0].set",
        "container applies to image targets only",
    ),
    "set-step-nowhere": Refused(
        steps("set: {set: {a: b}}"),
        "10:18",
        f"{C}.steps[0].set",
        "name the resource (resource: Kind/name) or the file (file: PATH)",
    ),
    "set-step-with-no-fields": Refused(
        steps("set: {file: flags.yaml, set: {}}"), "10:42", f"{C}.steps[0].set.set", "must not be empty"
    ),
    # header and mirror routes: where they work, and their own fields
    "header-route-without-traffic-routing": Refused(
        steps("setWeight: 10", "setHeaderRoute: {name: beta}"),
        "11:13",
        f"{C}.steps[1]",
        "setHeaderRoute needs trafficRouting (istio or gatewayAPI)",
    ),
    "mirror-route-without-traffic-routing": Refused(
        steps("setMirrorRoute: {name: shadow, percentage: 10}"),
        "10:13",
        f"{C}.steps[0]",
        "setMirrorRoute needs trafficRouting (istio or gatewayAPI)",
    ),
    "header-route-on-nginx": Refused(
        routed("{nginx: {stableIngress: web}}", "setWeight: 10", "setHeaderRoute: {name: beta}", services=False),
        "12:13",
        f"{C}.steps[1]",
        "setHeaderRoute works with istio or gatewayAPI routing only",
    ),
    "istio-mirror-without-a-match": Refused(
        routed("{istio: {virtualService: {name: web}}}", "setMirrorRoute: {name: shadow, percentage: 10}"),
        "13:29",
        f"{C}.steps[0].setMirrorRoute",
        "an Istio mirror route needs a match (the requests it copies): add match: [{headers: ...}]",
    ),
    "gateway-mirror-with-a-match": Refused(
        routed(
            "{gatewayAPI: {httpRoute: web}}",
            "setMirrorRoute: {name: shadow, percentage: 10, match: [{headers: {x-a: {exact: b}}}]}",
        ),
        "13:29",
        f"{C}.steps[0].setMirrorRoute",
        "the Gateway API mirrors the weighted rule's requests by percentage: remove match",
    ),
    "mirror-route-on-nginx": Refused(
        routed("{nginx: {stableIngress: web}}", "setMirrorRoute: {name: shadow}", services=False),
        "11:13",
        f"{C}.steps[0]",
        "setMirrorRoute works with istio or gatewayAPI routing only",
    ),
    "header-route-on-smi": Refused(
        routed("{smi: {trafficSplitName: web}}", "setHeaderRoute: {name: beta}"),
        "13:13",
        f"{C}.steps[0]",
        "setHeaderRoute works with istio or gatewayAPI routing only",
    ),
    "header-route-on-knative": Refused(
        routed("{knative: {service: web, stableTag: a, canaryTag: b}}", "setHeaderRoute: {name: beta}", services=False),
        "11:13",
        f"{C}.steps[0]",
        "setHeaderRoute works with istio or gatewayAPI routing only",
    ),
    "mirror-route-on-openshift": Refused(
        routed("{openshift: {route: web}}", "setMirrorRoute: {name: shadow}"),
        "13:13",
        f"{C}.steps[0]",
        "setMirrorRoute works with istio or gatewayAPI routing only",
    ),
    "header-route-without-a-name": Refused(
        routed("{gatewayAPI: {httpRoute: web}}", "setHeaderRoute: {match: [{headerName: a, headerValue: {exact: b}}]}"),
        "13:29",
        f"{C}.steps[0].setHeaderRoute.name",
        "missing (required)",
    ),
    "header-match-without-a-value": Refused(
        routed("{gatewayAPI: {httpRoute: web}}", "setHeaderRoute: {name: beta, match: [{headerName: a}]}"),
        "13:50",
        f"{C}.steps[0].setHeaderRoute.match[0].headerValue",
        "missing (required)",
    ),
    "header-match-without-a-kind": Refused(
        routed(
            "{gatewayAPI: {httpRoute: web}}", "setHeaderRoute: {name: beta, match: [{headerName: a, headerValue: {}}]}"
        ),
        "13:79",
        f"{C}.steps[0].setHeaderRoute.match[0].headerValue",
        ONE_MATCH,
    ),
    "header-match-two-kinds": Refused(
        routed(
            "{gatewayAPI: {httpRoute: web}}",
            "setHeaderRoute: {name: beta, match: [{headerName: a, headerValue: {exact: b, regex: c}}]}",
        ),
        "13:79",
        f"{C}.steps[0].setHeaderRoute.match[0].headerValue",
        ONE_MATCH,
    ),
    "header-match-unknown-kind": Refused(
        routed(
            "{gatewayAPI: {httpRoute: web}}",
            "setHeaderRoute: {name: beta, match: [{headerName: a, headerValue: {suffix: b}}]}",
        ),
        "13:80",
        f"{C}.steps[0].setHeaderRoute.match[0].headerValue.suffix",
        "unknown key (expected one of: exact, prefix, regex)",
    ),
    "header-match-empty-name": Refused(
        routed(
            "{gatewayAPI: {httpRoute: web}}",
            "setHeaderRoute: {name: beta, match: [{headerName: '', headerValue: {exact: b}}]}",
        ),
        "13:63",
        f"{C}.steps[0].setHeaderRoute.match[0].headerName",
        "must not be empty",
    ),
    "mirror-match-without-a-percentage": Refused(
        routed(
            "{istio: {virtualService: {name: web}}}", "setMirrorRoute: {name: m, match: [{headers: {a: {exact: b}}}]}"
        ),
        "13:29",
        f"{C}.steps[0].setMirrorRoute",
        "a mirror with a match needs a percentage",
    ),
    "mirror-percentage-above-100": Refused(
        routed("{istio: {virtualService: {name: web}}}", "setMirrorRoute: {name: m, percentage: 101}"),
        "13:51",
        f"{C}.steps[0].setMirrorRoute.percentage",
        "expected less than or equal to 100",
    ),
    "mirror-match-without-headers": Refused(
        routed(
            "{istio: {virtualService: {name: web}}}", "setMirrorRoute: {name: m, percentage: 5, match: [{headers: {}}]}"
        ),
        "13:72",
        f"{C}.steps[0].setMirrorRoute.match[0].headers",
        "must not be empty",
    ),
    "mirror-match-on-the-method": Refused(
        routed(
            "{istio: {virtualService: {name: web}}}",
            "setMirrorRoute: {name: m, percentage: 5, match: [{headers: {a: {exact: b}}, method: {exact: GET}}]}",
        ),
        "13:89",
        f"{C}.steps[0].setMirrorRoute.match[0].method",
        "unknown key (expected one of: headers)",
    ),
    # trafficRouting
    "no-routing-format": Refused(routed("{}"), "11:25", f"{R}", f"name exactly one of {FORMATS}"),
    "two-routing-formats": Refused(
        routed("{nginx: {stableIngress: web}, smi: {trafficSplitName: web}}"),
        "11:25",
        f"{R}",
        f"name exactly one of {FORMATS}",
    ),
    "routing-format-with-nothing": Refused(routed("{istio: }"), "11:26", f"{R}.istio", NULL),
    "unknown-routing-format": Refused(
        routed("{alb: {ingress: web}}"),
        "11:26",
        f"{R}.alb",
        "unknown key (expected one of: istio, gatewayAPI, nginx, smi, knative, openshift)",
    ),
    "routing-format-with-a-typo": Refused(
        routed("{gatewayApi: {httpRoute: web}}"),
        "11:26",
        f"{R}.gatewayApi",
        "unknown key (did you mean gatewayAPI? expected one of: istio, gatewayAPI, nginx, smi, knative, openshift)",
    ),
    "istio-without-a-virtual-service": Refused(
        routed("{istio: {}}"), "11:33", f"{R}.istio.virtualService", "missing (required)"
    ),
    "istio-virtual-service-without-a-name": Refused(
        routed("{istio: {virtualService: {file: vs.yaml}}}"),
        "11:50",
        f"{R}.istio.virtualService.name",
        "missing (required)",
    ),
    "istio-two-routes": Refused(
        routed("{istio: {virtualService: {name: web, routes: [primary, secondary]}}}"),
        "11:70",
        f"{R}.istio.virtualService.routes",
        "name one route: promoter sets the weights of one route (routes: [NAME])",
    ),
    "istio-no-routes": Refused(
        routed("{istio: {virtualService: {name: web, routes: []}}}"),
        "11:70",
        f"{R}.istio.virtualService.routes",
        "must not be empty",
    ),
    "istio-without-services": Refused(
        routed("{istio: {virtualService: {name: web}}}", services=False), "8:9", C, BY_SERVICE
    ),
    "istio-destination-rule-without-the-canary-subset": Refused(
        routed(
            "{istio: {virtualService: {name: web}, destinationRule: {name: web, stableSubsetName: stable}}}",
            services=False,
        ),
        "9:80",
        f"{R}.istio.destinationRule.canarySubsetName",
        "missing (required)",
    ),
    "gateway-api-without-a-route": Refused(
        routed("{gatewayAPI: {port: 80}}"), "11:38", f"{R}.gatewayAPI", "name exactly one of httpRoute or grpcRoute"
    ),
    "gateway-api-with-both-routes": Refused(
        routed("{gatewayAPI: {httpRoute: web, grpcRoute: web}}"),
        "11:38",
        f"{R}.gatewayAPI",
        "name exactly one of httpRoute or grpcRoute",
    ),
    "gateway-api-port-0": Refused(
        routed("{gatewayAPI: {httpRoute: web, port: 0}}"), "11:61", f"{R}.gatewayAPI.port", "must be at least 1"
    ),
    "gateway-api-port-above-65535": Refused(
        routed("{gatewayAPI: {httpRoute: web, port: 65536}}"),
        "11:61",
        f"{R}.gatewayAPI.port",
        "expected less than or equal to 65535",
    ),
    "gateway-api-negative-rule": Refused(
        routed("{gatewayAPI: {httpRoute: web, rule: -1}}"), "11:61", f"{R}.gatewayAPI.rule", "must be at least 0"
    ),
    "gateway-api-without-services": Refused(
        routed("{gatewayAPI: {httpRoute: web}}", services=False), "8:9", C, BY_SERVICE
    ),
    "gateway-api-with-one-service": Refused(
        HEAD + CANARY + "        canaryService: web-canary\n        trafficRouting: {gatewayAPI: {httpRoute: web}}\n",
        "8:9",
        C,
        BY_SERVICE,
    ),
    "nginx-without-the-stable-ingress": Refused(
        routed("{nginx: {canaryIngress: web-canary}}"), "11:33", f"{R}.nginx.stableIngress", "missing (required)"
    ),
    "smi-without-the-traffic-split": Refused(
        routed("{smi: {rootService: web}}"), "11:31", f"{R}.smi.trafficSplitName", "missing (required)"
    ),
    "smi-without-services": Refused(routed("{smi: {trafficSplitName: web}}", services=False), "8:9", C, BY_SERVICE),
    "knative-without-the-service": Refused(
        routed("{knative: {stableTag: a, canaryTag: b}}"), "11:35", f"{R}.knative.service", "missing (required)"
    ),
    "openshift-without-the-route": Refused(
        routed("{openshift: {file: route.yaml}}"), "11:37", f"{R}.openshift.route", "missing (required)"
    ),
    "openshift-without-services": Refused(routed("{openshift: {route: web}}", services=False), "8:9", C, BY_SERVICE),
    "routing-file-outside-the-repo": Refused(
        routed("{openshift: {route: web, file: ../route.yaml}}"),
        "11:56",
        f"{R}.openshift.file",
        "a file of the config repo cannot leave it: '..' is not allowed",
    ),
    # blue/green
    "blue-green-with-targets": Refused(
        HEAD + BLUE_GREEN, "3:5", "stages[0]", "a blue/green stage's workloads are its strategy's colors: no targets"
    ),
    "canary-without-stable-targets": Refused(
        BG_HEAD + CANARY, "3:5", "stages[0]", "a stage needs targets: where its version goes (the stable workload)"
    ),
    "blue-green-without-an-active-service": Refused(
        BG_HEAD + BLUE_GREEN.replace("        activeService: web\n", ""),
        "8:9",
        f"{BG}.activeService",
        "missing (required)",
    ),
    "blue-green-one-colour": Refused(
        BG_HEAD
        + BLUE_GREEN.replace("          green: {resource: Deployment/web-green, image: ghcr.io/acme/web}\n", ""),
        "11:11",
        f"{BG}.colors",
        TWO_COLOURS,
    ),
    "blue-green-three-colours": Refused(
        BG_HEAD + BLUE_GREEN + "          red: {resource: Deployment/web-red, image: ghcr.io/acme/web}\n",
        "11:11",
        f"{BG}.colors",
        TWO_COLOURS,
    ),
    "blue-green-colour-by-set": Refused(
        BG_HEAD
        + BLUE_GREEN.replace(
            "green: {resource: Deployment/web-green, image: ghcr.io/acme/web}", "green: {file: g.yaml, set: {a: b}}"
        ),
        "12:18",
        f"{BG}.colors.green",
        AN_IMAGE,
    ),
    "blue-green-empty-colour-value": Refused(
        BG_HEAD + BLUE_GREEN.replace("          blue:", "          '':"),
        "11:11",
        f'{BG}.colors[""]',
        "must not be empty",
    ),
    "blue-green-pause-given-twice": Refused(
        BG_HEAD + BLUE_GREEN + "        prePromotionPause: 1m\n        autoPromotionSeconds: 60\n",
        "14:31",
        f"{BG}.autoPromotionSeconds",
        "give prePromotionPause or autoPromotionSeconds, not both",
    ),
    "blue-green-delay-given-twice": Refused(
        BG_HEAD + BLUE_GREEN + "        scaleDownDelay: 1m\n        scaleDownDelaySeconds: 60\n",
        "14:32",
        f"{BG}.scaleDownDelaySeconds",
        "give scaleDownDelay or scaleDownDelaySeconds, not both",
    ),
    "blue-green-negative-seconds": Refused(
        BG_HEAD + BLUE_GREEN + "        autoPromotionSeconds: -1\n",
        "13:31",
        f"{BG}.autoPromotionSeconds",
        "must be at least 0",
    ),
    "blue-green-seconds-as-a-duration": Refused(
        BG_HEAD + BLUE_GREEN + "        scaleDownDelaySeconds: 30s\n",
        "13:32",
        f"{BG}.scaleDownDelaySeconds",
        "expected an integer, found a string",
    ),
    "blue-green-bad-pause": Refused(
        BG_HEAD + BLUE_GREEN + "        prePromotionPause: a while\n",
        "13:28",
        f"{BG}.prePromotionPause",
        "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds, found 'a while'",
    ),
    "blue-green-service-of-another-type": Refused(
        BG_HEAD + BLUE_GREEN.replace("activeService: web", "activeService: [web]"),
        "8:24",
        f"{BG}.activeService",
        "expected the Service's name, or {name: NAME, file: PATH}",
    ),
    "blue-green-service-without-a-name": Refused(
        BG_HEAD + BLUE_GREEN + "        previewService: {file: preview.yaml}\n",
        "13:25",
        f"{BG}.previewService.name",
        "missing (required)",
    ),
    "blue-green-empty-service-name": Refused(
        BG_HEAD + BLUE_GREEN.replace("activeService: web", "activeService: ''"),
        "8:24",
        f"{BG}.activeService",
        "must not be empty",
    ),
    "blue-green-empty-selector": Refused(
        BG_HEAD + BLUE_GREEN.replace("selector: color", "selector: ' '"), "9:19", f"{BG}.selector", "must not be empty"
    ),
    "blue-green-key-with-a-typo": Refused(
        BG_HEAD + BLUE_GREEN + "        previewServce: web-preview\n",
        "13:9",
        f"{BG}.previewServce",
        "unknown key (did you mean previewService? expected one of: activeService, previewService, selector, "
        "colors, autoPromotionEnabled, prePromotionPause, autoPromotionSeconds, scaleDownDelay, "
        "scaleDownDelaySeconds, scaleDown, prePromotionAnalysis, postPromotionAnalysis)",
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_refused(tmp_path: Path, case: Refused) -> None:
    file, found = problems(tmp_path, case.text)
    line, column = case.where.split(":")
    assert found == [Problem(file, int(line), int(column), case.field, case.message)]


def test_every_step_and_the_routing_are_refused_together(tmp_path: Path) -> None:
    text = routed(
        "{smi: {trafficSplitName: web}}",
        "setHeaderRoute: {name: beta}",
        "setWeight: 10",
        "setMirrorRoute: {name: shadow}",
        services=False,
    )
    file, found = problems(tmp_path, text)
    assert found == [
        Problem(file, 8, 9, C, BY_SERVICE),
        Problem(file, 11, 13, f"{C}.steps[0]", "setHeaderRoute works with istio or gatewayAPI routing only"),
        Problem(file, 13, 13, f"{C}.steps[2]", "setMirrorRoute works with istio or gatewayAPI routing only"),
    ]


def test_missing_fields_are_all_named(tmp_path: Path) -> None:
    file, found = problems(tmp_path, BG_HEAD + "      blueGreen: {}\n")
    assert found == [
        Problem(file, 7, 18, f"{BG}.{key}", "missing (required)") for key in ("activeService", "selector", "colors")
    ]
    file, found = problems(tmp_path / "knative", routed("{knative: {service: web}}", services=False))
    assert found == [
        Problem(file, 9, 35, f"{R}.knative.{key}", "missing (required)") for key in ("stableTag", "canaryTag")
    ]


def test_a_bad_step_stops_only_its_own_checks(tmp_path: Path) -> None:
    """A refused step is reported once, at itself: the canary's routing checks do not add to it."""
    file, found = problems(tmp_path, steps("setHeaderRoute: {}", "setWeight: 200"))
    assert found == [
        Problem(file, 10, 29, f"{C}.steps[0].setHeaderRoute.name", "missing (required)"),
        Problem(file, 11, 24, f"{C}.steps[1].setWeight", "expected less than or equal to 100"),
    ]


def test_both_pairs_of_blue_green_timings_are_refused_at_their_second_key(tmp_path: Path) -> None:
    text = (
        BG_HEAD
        + BLUE_GREEN
        + (
            "        prePromotionPause: 1m\n        autoPromotionSeconds: 60\n"
            "        scaleDownDelay: 1m\n        scaleDownDelaySeconds: 60\n"
        )
    )
    file, found = problems(tmp_path, text)
    assert found == [
        Problem(file, 14, 31, f"{BG}.autoPromotionSeconds", "give prePromotionPause or autoPromotionSeconds, not both"),
        Problem(file, 16, 32, f"{BG}.scaleDownDelaySeconds", "give scaleDownDelay or scaleDownDelaySeconds, not both"),
    ]
