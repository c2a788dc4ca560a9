"""Canary stages end to end over HTTP: the bot against the GitHub sandbox and the Argo CD simulator.

Each traffic format promoter writes gets a whole happy canary (weights step by step, a pause, the stable
gets the version, traffic back, canary scaled down); the failures check that one revert PR puts every
file of the stage back as it was before the stage began, whatever step it failed at.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest
from ruamel.yaml import YAML

from promoter.core.model import Phase
from tests.e2e.crashes import CANARY, CANARY_FILES, CANARY_PIPELINE, ONLY_STAGING, STABLE, VIRTUAL_SERVICE
from tests.e2e.crashes import CANARY_SERVICES as SERVICES
from tests.e2e.world import At, Position, World

PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Deployment/app, image: ghcr.io/acme/app}
    strategy:
      canary:
        targets:
          - {resource: Deployment/app-canary, image: ghcr.io/acme/app}
ROUTING
        steps:
          - setWeight: 10
          - pause: {duration: 1s}
          - setWeight: 30
          - setWeight: 60
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""


@dataclasses.dataclass(frozen=True)
class Format:
    """A traffic format: its routing resource file, the pipeline's routing lines, and how to read the split."""

    file: str
    routing: str
    weights: Callable[[dict[str, object]], tuple[int, int]]  # (stable, canary) of the loaded resource


def _istio_hosts(vs: dict[str, object]) -> tuple[int, int]:
    """The weighted route's split: the route that is not promoter's header or mirror route."""
    (weighted,) = [r for r in vs["spec"]["http"] if r.get("name") not in ("testers", "shadow")]  # type: ignore[index]
    by = {d["destination"].get("subset") or d["destination"]["host"]: d.get("weight") for d in weighted["route"]}
    return by.get("stable", by.get("app")), by.get("canary", by.get("app-canary"))


def _backends(key: str, items: str, name: str) -> Callable[[dict[str, object]], tuple[int, int]]:
    def weights(resource: dict[str, object]) -> tuple[int, int]:
        spec = resource["spec"]
        if "rules" in spec:  # type: ignore[operator]
            (rule,) = [r for r in spec["rules"] if r.get("name") not in ("testers", "shadow")]  # type: ignore[index]
            listed = rule[items]
        else:
            listed = spec[items]  # type: ignore[index]
        by = {b[name]: b[key] for b in listed}
        return by["app"], by["app-canary"]

    return weights


def _knative(service: dict[str, object]) -> tuple[int, int]:
    by = {t["tag"]: t["percent"] for t in service["spec"]["traffic"]}  # type: ignore[index]
    return by["stable"], by["canary"]


def _nginx(ingress: dict[str, object]) -> tuple[int, int]:
    weight = int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"])  # type: ignore[index]
    return 100 - weight, weight


def _openshift(route: dict[str, object]) -> tuple[int, int]:
    spec = route["spec"]
    return spec["to"]["weight"], spec["alternateBackends"][0]["weight"]  # type: ignore[index]


SERVICES_ROUTING = "        canaryService: app-canary\n        stableService: app\n        trafficRouting:\n"

FORMATS = {
    "istio": Format(
        VIRTUAL_SERVICE,
        SERVICES_ROUTING + "          istio:\n            virtualService: {name: app, routes: [primary]}",
        _istio_hosts,
    ),
    "istio-subsets": Format(
        """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: app
spec:
  hosts: [app]
  http:
    - route:
        - destination: {host: app, subset: stable}
          weight: 100
        - destination: {host: app, subset: canary}
          weight: 0
""",
        "        trafficRouting:\n          istio:\n            virtualService: {name: app}\n"
        "            destinationRule: {name: app, stableSubsetName: stable, canarySubsetName: canary}",
        _istio_hosts,
    ),
    "gateway-api": Format(
        """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app
spec:
  parentRefs: [{name: gateway}]
  rules:
    - backendRefs:
        - {name: app, port: 80, weight: 100}
        - {name: app-canary, port: 80, weight: 0}
""",
        SERVICES_ROUTING + "          gatewayAPI: {httpRoute: app}",
        _backends("weight", "backendRefs", "name"),
    ),
    "grpc-route": Format(
        """\
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: app
spec:
  parentRefs: [{name: gateway}]
  rules:
    - backendRefs:
        - {name: app, port: 9090, weight: 100}
        - {name: app-canary, port: 9090, weight: 0}
""",
        SERVICES_ROUTING + "          gatewayAPI: {grpcRoute: app}",
        _backends("weight", "backendRefs", "name"),
    ),
    "knative": Format(
        """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: app-traffic
spec:
  traffic:
    - {tag: stable, revisionName: app-00001, percent: 100}
    - {tag: canary, revisionName: app-00002, percent: 0}
""",
        "        trafficRouting:\n          knative: {service: app-traffic, stableTag: stable, canaryTag: canary}",
        _knative,
    ),
    "nginx": Format(
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "0"
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: app-canary, port: {number: 80}}}}
""",
        "        trafficRouting:\n          nginx: {stableIngress: app}",
        _nginx,
    ),
    "smi": Format(
        """\
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: app
spec:
  service: app-root
  backends:
    - {service: app, weight: 100}
    - {service: app-canary, weight: 0}
""",
        SERVICES_ROUTING + "          smi: {trafficSplitName: app}",
        _backends("weight", "backends", "service"),
    ),
    "openshift": Format(
        """\
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: app
spec:
  to: {kind: Service, name: app, weight: 100}
  alternateBackends:
    - {kind: Service, name: app-canary, weight: 0}
""",
        SERVICES_ROUTING + "          openshift: {route: app}",
        _openshift,
    ),
}

ROUTE_FILE = "envs/staging/route.yaml"


def canary_world(make_world: Callable[..., World], fmt: Format, **options: object) -> World:
    files = {
        "envs/staging/deployment.yaml": STABLE,
        "envs/staging/canary.yaml": CANARY,
        "envs/staging/services.yaml": SERVICES,
        ROUTE_FILE: fmt.file,
        "apps/app-prod.yaml": None,
        "envs/prod/deployment.yaml": None,
    }
    return make_world(files=files, pipeline=PIPELINE.replace("ROUTING", fmt.routing), **options)


def load(world: World, path: str) -> dict[str, object]:
    loaded = YAML(typ="safe").load(world.main_file(path))
    assert isinstance(loaded, dict)
    return loaded


def image(world: World, path: str) -> str:
    return load(world, path)["spec"]["template"]["spec"]["containers"][0]["image"]  # type: ignore[index, no-any-return]


def replicas(world: World, path: str) -> int:
    return load(world, path)["spec"]["replicas"]  # type: ignore[index, no-any-return]


def titles(world: World) -> list[str]:
    return [pr.title for pr in world.pulls()]


def at_gate(_promotion: object, position: Position) -> bool:
    return position.state is At.SOAKING


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_canary_walks_its_weights_then_hands_the_version_to_the_stable(
    make_world: Callable[..., World], name: str
) -> None:
    fmt = FORMATS[name]
    world = canary_world(make_world, fmt)
    promotion = world.start("2.0.0")

    # Through the canary's first change (its image, pods for the largest weight) and 10%: the pause holds.
    world.drive(promotion.id, until=at_gate)
    assert fmt.weights(load(world, ROUTE_FILE)) == (90, 10)
    assert image(world, "envs/staging/canary.yaml") == "ghcr.io/acme/app:2.0.0"
    assert replicas(world, "envs/staging/canary.yaml") == 3  # 60% of the stable's 4, rounded up
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:1.0.0"

    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED
    assert fmt.weights(load(world, ROUTE_FILE)) == (100, 0)
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:2.0.0"
    assert replicas(world, "envs/staging/canary.yaml") == 0
    assert titles(world) == [
        "promoter: app 2.0.0 to staging: canary 2.0.0",
        "promoter: app 2.0.0 to staging: canary 10%",
        "promoter: app 2.0.0 to staging: canary 30%",
        "promoter: app 2.0.0 to staging: canary 60%",
        "promoter: app 2.0.0 to staging: stable 2.0.0",
        "promoter: app 2.0.0 to staging: canary 0%: stable takes all traffic again",
        "promoter: app 2.0.0 to staging: canary back to 0 replicas",
    ]
    assert all(pr.merged for pr in world.pulls())


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_canary_failing_midway_is_reverted_by_one_pr_to_the_stage_before(
    make_world: Callable[..., World], name: str
) -> None:
    fmt = FORMATS[name]
    world = canary_world(make_world, fmt)
    before = {path: world.main_file(path) for path in (ROUTE_FILE, "envs/staging/canary.yaml")}
    promotion = world.start("2.0.0")

    def at_thirty(_promotion: object, _position: Position) -> bool:
        return fmt.weights(load(world, ROUTE_FILE)) == (70, 30)

    world.drive(promotion.id, until=at_thirty, timeout=60)
    world.scenario(fail_images=["*:2.0.0"])  # the canary's pods start failing under 30% of the traffic
    done = world.drive(promotion.id, timeout=60)
    assert "canary 60%" not in " ".join(titles(world))  # it never went past 30%

    assert done.phase is Phase.FAILED
    reverts = [pr for pr in world.pulls() if pr.head.ref.endswith("-revert")]
    assert len(reverts) == 1 and reverts[0].merged
    assert {path: world.main_file(path) for path in before} == before  # byte for byte: 100/0, the old image
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:1.0.0"
    assert world.rt.store.holds("app")[0].version == "2.0.0"


def test_a_canary_bad_from_the_start_stops_at_its_first_change(make_world: Callable[..., World]) -> None:
    world = canary_world(make_world, FORMATS["istio"])
    promotion = world.start("2.0.0-bad")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED
    assert fmt_weights(world) == (100, 0)  # no weight was ever given to it
    assert [t for t in titles(world) if "revert" not in t.lower()] == [
        "promoter: app 2.0.0-bad to staging: canary 2.0.0-bad"
    ]
    assert image(world, "envs/staging/canary.yaml") == "ghcr.io/acme/app:1.0.0"


def fmt_weights(world: World) -> tuple[int, int]:
    return FORMATS["istio"].weights(load(world, ROUTE_FILE))


ROUTES_PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Deployment/app, image: ghcr.io/acme/app}
    strategy:
      canary:
        targets:
          - {resource: Deployment/app-canary, image: ghcr.io/acme/app}
        canaryService: app-canary
        stableService: app
        trafficRouting:
          ROUTING
        steps:
          - setHeaderRoute:
              name: testers
              match:
                - {headerName: x-canary, headerValue: {exact: "yes"}}
          - setMirrorRoute:
              name: shadow
              percentage: 50
MIRROR_MATCH
          - pause: {}
          - setWeight: 20
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""


@pytest.mark.parametrize("name", ["istio", "gateway-api"])
def test_header_and_mirror_routes_come_and_go_leaving_the_route_file_as_it_was(
    make_world: Callable[..., World], name: str
) -> None:
    fmt = FORMATS[name]
    routing = fmt.routing.split("trafficRouting:\n")[1].strip()
    world = make_world(
        files={
            "envs/staging/deployment.yaml": STABLE,
            "envs/staging/canary.yaml": CANARY,
            "envs/staging/services.yaml": SERVICES,
            ROUTE_FILE: fmt.file,
            "apps/app-prod.yaml": None,
            "envs/prod/deployment.yaml": None,
        },
        pipeline=ROUTES_PIPELINE.replace("ROUTING", routing).replace(
            "MIRROR_MATCH\n",
            # Istio mirrors the requests a route of its own matches; the Gateway API a share of the rule's.
            '              match: [{headers: {x-shadow: {prefix: "on"}}}]\n' if name == "istio" else "",
        ),
    )
    original = world.main_file(ROUTE_FILE)
    promotion = world.start("2.0.0")

    paused = world.drive(promotion.id, until=at_gate)  # the indefinite pause: testers and the mirror see it
    assert not paused.phase.finished
    during = world.main_file(ROUTE_FILE).decode()
    assert "x-canary" in during and "testers" in during
    # Istio mirrors through a route of its own; the Gateway API mirrors the weighted rule (a filter).
    assert ("shadow" if name == "istio" else "RequestMirror") in during
    assert fmt.weights(load(world, ROUTE_FILE)) == (100, 0)  # no weighted traffic yet
    assert world.cli("promote", "app", "--config", str(world.config)).returncode == 0

    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED
    assert world.main_file(ROUTE_FILE) == original  # routes removed, weights back: byte for byte
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:2.0.0"


RATIO_PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Deployment/app, image: ghcr.io/acme/app}
    strategy:
      canary:
        targets:
          - {resource: Deployment/app-canary, image: ghcr.io/acme/app}
        steps:
          - setWeight: 25
          - pause: {duration: 1s}
          - setWeight: 50
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""


def test_without_a_mesh_the_canary_is_a_replica_ratio(make_world: Callable[..., World]) -> None:
    world = make_world(
        files={
            "envs/staging/deployment.yaml": STABLE,
            "envs/staging/canary.yaml": CANARY,
            "apps/app-prod.yaml": None,
            "envs/prod/deployment.yaml": None,
        },
        pipeline=RATIO_PIPELINE,
    )
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=at_gate)
    assert (replicas(world, "envs/staging/deployment.yaml"), replicas(world, "envs/staging/canary.yaml")) == (3, 1)

    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED
    assert (replicas(world, "envs/staging/deployment.yaml"), replicas(world, "envs/staging/canary.yaml")) == (4, 0)
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:2.0.0"
    assert titles(world) == [
        "promoter: app 2.0.0 to staging: canary 2.0.0",
        "promoter: app 2.0.0 to staging: canary 25% (1 of 4 replicas)",
        "promoter: app 2.0.0 to staging: canary 50% (2 of 4 replicas)",
        "promoter: app 2.0.0 to staging: stable 2.0.0",
        "promoter: app 2.0.0 to staging: replicas back to 4 stable, 0 canary",
    ]


IGNORING_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-staging
spec:
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: envs/staging
  destination:
    server: https://kubernetes.default.svc
    namespace: staging
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
    - group: networking.istio.io
      kind: VirtualService
      jqPathExpressions: ['.spec.http[] | select(.name == "primary").route']
    - group: networking.istio.io
      kind: VirtualService
      managedFieldsManagers: [rollouts-controller]
"""


def test_validate_refuses_a_routing_resource_whose_application_ignores_the_weights(
    make_world: Callable[..., World],
) -> None:
    world = canary_world(make_world, FORMATS["istio"])
    world.person_commit("main", "apps/app-staging.yaml", IGNORING_APP.encode(), "ignore what rollouts manage")

    validated = world.cli("validate", "--config", str(world.config))
    assert validated.returncode == 2, validated.stdout + validated.stderr
    lines = validated.stderr.replace(str(world.config) + "/", "").splitlines()
    # Each refusal names the stage's Application in the pipeline file, then the rule in the Application's file.
    at = "pipelines/app.yaml:4:20: stages[0].applications[0]: staging: apps/app-staging.yaml"
    assert lines[1:-1] == [
        f"{at}:19: Application app-staging ignores /spec/http/0/route/0/weight of VirtualService/app in "
        'envs/staging/route.yaml (jqPathExpressions: .spec.http[] | select(.name == "primary").route): '
        "promoter's 'canary 10%', 'canary 30%', 'canary 60%', 'canary 0%: stable takes all traffic again' "
        "would leave it Synced and never be applied; remove that rule, or let promoter edit another field",
        # The canary's first change also sets its image: that sync applies the replicas too. Not its last one.
        f"{at}:16: Application app-staging ignores /spec/replicas of Deployment/app-canary in "
        "envs/staging/canary.yaml (jsonPointers: /spec/replicas): promoter's 'canary back to 0 replicas' "
        "would leave it Synced and never be applied; remove that rule, or let promoter edit another field",
    ]
    # What Git cannot tell is a warning only.
    assert lines[0].startswith(f"promoter: warning: {at}:22: Application app-staging may ignore what")
    assert "(managedFieldsManagers: rollouts-controller:" in lines[0]
    assert lines[-1] == f"promoter: 2 problems in {world.config}"

    started = world.cli("start", "app", "--version", "2.0.0", "--config", str(world.config))
    assert started.returncode == 2 and "nothing was started or pushed" in started.stderr
    assert world.pulls() == []


def test_a_short_argocd_outage_neither_reverts_nor_promotes(make_world: Callable[..., World]) -> None:
    world = canary_world(make_world, FORMATS["istio"])
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=lambda _p, _at: fmt_weights(world) == (70, 30))
    world.scenario(unreachable=True)  # Argo CD answers 503 from here, for a few seconds
    opened = len(world.pulls())
    for _ in range(20):
        world.drive(promotion.id, until=lambda p, s: True)
        time.sleep(0.15)
    assert len(world.pulls()) == opened  # no next weight, no revert: there is no evidence either way
    assert fmt_weights(world) == (70, 30)
    assert world.promotion(promotion.id).phase is Phase.PROGRESSING

    world.scenario(unreachable=False)
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED
    assert not any(pr.head.ref.endswith("-revert") for pr in world.pulls())


ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  replicas: 3
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}]
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0
"""

ROLLOUT_PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Rollout/app, image: ghcr.io/acme/app}
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""


def rollout_world(make_world: Callable[..., World], **options: object) -> World:
    files = {
        "envs/staging/deployment.yaml": None,
        "envs/staging/rollout.yaml": ROLLOUT,
        "apps/app-prod.yaml": None,
        "envs/prod/deployment.yaml": None,
    }
    return make_world(files=files, pipeline=ROLLOUT_PIPELINE, **options)


def test_an_argo_rollouts_target_waits_while_suspended_then_passes_healthy(make_world: Callable[..., World]) -> None:
    world = rollout_world(make_world)
    world.scenario(suspend_images=["*:2.0.0"])  # Argo Rollouts pauses at its own step in the cluster
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=lambda p, s: "Suspended" in p.reason, timeout=30)
    for _ in range(10):
        world.drive(promotion.id, until=lambda p, s: True)
    waiting = world.promotion(promotion.id)
    assert waiting.phase is Phase.PROGRESSING and "Suspended" in waiting.reason
    assert load(world, "envs/staging/rollout.yaml")["spec"]["template"]["spec"]["containers"][0]["image"] == (  # type: ignore[index]
        "ghcr.io/acme/app:2.0.0"
    )

    world.scenario(suspend_images=[])  # someone promoted the Rollout: it finishes, Healthy
    done = world.drive(promotion.id, timeout=30)
    assert done.phase is Phase.SUCCEEDED


def test_an_argo_rollouts_target_degraded_is_reverted(make_world: Callable[..., World]) -> None:
    world = rollout_world(make_world)
    before = world.main_file("envs/staging/rollout.yaml")
    promotion = world.start("2.0.0-bad")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED
    assert "Degraded" in done.reason
    assert world.main_file("envs/staging/rollout.yaml") == before


def test_an_argo_rollouts_target_suspended_past_the_deadline_fails(make_world: Callable[..., World]) -> None:
    world = rollout_world(make_world, deadline="3s")
    world.scenario(suspend_images=["*:2.0.0"])
    promotion = world.start("2.0.0")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.FAILED
    assert "not verified within 0:00:03: app-staging: Suspended (a paused rollout)" in done.reason


FLAGS = (
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-flags\ndata:\n  canary: "off"  # flipped by the canary\n'
)
SCALE_AND_SET_PIPELINE = RATIO_PIPELINE.replace(
    "          - setWeight: 25\n          - pause: {duration: 1s}\n",
    "          - setCanaryScale: {replicas: 2}\n          - pause: {duration: 1s}\n"
    '          - set: {resource: ConfigMap/app-flags, set: {data.canary: "on-{version}"}}\n',
)


def test_set_canary_scale_and_set_write_their_fields_one_pr_each(make_world: Callable[..., World]) -> None:
    world = make_world(
        files={
            "envs/staging/deployment.yaml": STABLE,
            "envs/staging/canary.yaml": CANARY,
            "envs/staging/flags.yaml": FLAGS,
            "apps/app-prod.yaml": None,
            "envs/prod/deployment.yaml": None,
        },
        pipeline=SCALE_AND_SET_PIPELINE,
    )
    promotion = world.start("2.0.0")
    world.drive(promotion.id, until=at_gate)
    # setCanaryScale: the canary's own count; the stable keeps its replicas (no traffic is moved by it)
    assert (replicas(world, "envs/staging/deployment.yaml"), replicas(world, "envs/staging/canary.yaml")) == (4, 2)
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert titles(world)[1:3] == [
        "promoter: app 2.0.0 to staging: canary scale 2",
        "promoter: app 2.0.0 to staging: set data.canary",
    ]
    assert world.main_file("envs/staging/flags.yaml").decode() == FLAGS.replace('"off"', '"on-2.0.0"')  # one token


def test_with_scale_down_off_the_canary_keeps_its_replicas_after_the_hand_over(
    make_world: Callable[..., World],
) -> None:
    kept = CANARY_PIPELINE.replace(
        "        canaryService: app-canary\n", "        canaryService: app-canary\n        scaleDown: false\n"
    )
    world = make_world(files={**ONLY_STAGING, **CANARY_FILES}, pipeline=kept)
    promotion = world.start("2.0.0")
    done = world.drive(promotion.id, timeout=60)
    assert done.phase is Phase.SUCCEEDED, done.reason
    assert titles(world)[-1] == "promoter: app 2.0.0 to staging: canary 0%: stable takes all traffic again"
    assert replicas(world, "envs/staging/canary.yaml") > 0  # left running (warm for the next version), no traffic
    assert image(world, "envs/staging/deployment.yaml") == "ghcr.io/acme/app:2.0.0"
