"""Progressive delivery done in Git, as the simulator deploys it: canary Deployments by replica ratio, blue/green
colours behind a Service selector, Argo Rollouts, traffic routing resources. Each test builds its own repo;
every response is checked against Argo CD's API description."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from promoter.sandbox.argocd import ManualClock, Scenario
from tests.sandbox_argocd.conftest import ServeRepo, application, checked

SCENARIO = Scenario(
    fail_images=("*:bad-*",),
    stuck_images=("*:stuck",),
    suspend_images=("*:paused",),
    sync_seconds=1,
    settle_seconds=1,
    progressing_seconds=10,
    sync_interval_seconds=None,
)
GOOD, BAD = "ghcr.io/acme/guestbook:1.0.0", "ghcr.io/acme/guestbook:bad-2"
APP = {"apps/guestbook.yaml": application("guestbook", "guestbook", "guestbook")}


def workload(
    name: str,
    image: str,
    replicas: int | None = 1,
    *,
    kind: str = "Deployment",
    api_version: str = "apps/v1",
    extra: str = "",
) -> str:
    count = "" if replicas is None else f"  replicas: {replicas}\n"
    return f"""\
apiVersion: {api_version}
kind: {kind}
metadata:
  name: {name}
spec:
{count}{extra}  template:
    metadata:
      labels: {{app: guestbook, track: {name}}}
    spec:
      containers:
        - name: guestbook
          image: {image}
"""


def service(name: str, selector: str) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {selector}\n  ports: [{{port: 80}}]\n"


def canary(canary_image: str, canary_replicas: int) -> dict[str, str]:
    """Stable and canary Deployments behind one Service (a canary by replica ratio)."""
    return {
        **APP,
        "guestbook/stable.yaml": workload("guestbook", GOOD, 3),
        "guestbook/canary.yaml": workload("guestbook-canary", canary_image, canary_replicas),
        "guestbook/service.yaml": service("guestbook", "{app: guestbook}"),
    }


def bluegreen(green_image: str, green_replicas: int, active: str = "blue") -> dict[str, str]:
    """Two colours; the Service's selector names the active one."""
    return {
        **APP,
        "guestbook/blue.yaml": workload("guestbook-blue", GOOD, 3),
        "guestbook/green.yaml": workload("guestbook-green", green_image, green_replicas),
        "guestbook/service.yaml": service("guestbook", f"{{app: guestbook, track: guestbook-{active}}}"),
    }


ROLLOUT_STRATEGY = "  strategy:\n    canary:\n      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 60}]\n"


def rollout(image: str, replicas: int = 3, paused: bool = False) -> dict[str, str]:
    extra = ROLLOUT_STRATEGY + ("  paused: true\n" if paused else "")
    manifest = workload("guestbook", image, replicas, kind="Rollout", api_version="argoproj.io/v1alpha1", extra=extra)
    return {
        **APP,
        "guestbook/rollout.yaml": manifest,
        "guestbook/service.yaml": service("guestbook", "{app: guestbook}"),
    }


def status(http: httpx.Client, refresh: bool = False) -> dict[str, Any]:
    params = {"refresh": "normal"} if refresh else {}
    body: dict[str, Any] = checked(http.get("/api/v1/applications/guestbook", params=params))["status"]
    return body


def healths(found: dict[str, Any]) -> dict[str, str | None]:
    """Each resource's health status by ``Kind/name`` (None: the kind carries no health)."""
    return {f"{r['kind']}/{r['name']}": r.get("health", {}).get("status") for r in found["resources"]}


@pytest.mark.parametrize(
    ("files", "app_health", "resources"),
    [
        pytest.param(
            canary(BAD, 1),
            "Degraded",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook": "Healthy",
                "Deployment/guestbook-canary": "Degraded",
            },
            id="canary-bad-image-at-1-replica",
        ),
        pytest.param(
            canary(BAD, 0),
            "Healthy",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook": "Healthy",
                "Deployment/guestbook-canary": "Healthy",
            },
            id="canary-bad-image-at-0-replicas",
        ),
        pytest.param(
            canary("ghcr.io/acme/guestbook:stuck", 1),
            "Progressing",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook": "Healthy",
                "Deployment/guestbook-canary": "Progressing",
            },
            id="canary-stuck",
        ),
        pytest.param(
            bluegreen(BAD, 0),
            "Healthy",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook-blue": "Healthy",
                "Deployment/guestbook-green": "Healthy",
            },
            id="bluegreen-idle-colour-bad-at-0-replicas",
        ),
        pytest.param(
            bluegreen(BAD, 3),
            "Degraded",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook-blue": "Healthy",
                "Deployment/guestbook-green": "Degraded",
            },
            id="bluegreen-idle-colour-bad-scaled-up",
        ),
        pytest.param(
            rollout("ghcr.io/acme/guestbook:paused"),
            "Suspended",
            {"Service/guestbook": "Healthy", "Rollout/guestbook": "Suspended"},
            id="rollout-at-a-pause-step",
        ),
        pytest.param(
            rollout(GOOD, paused=True),
            "Suspended",
            {"Service/guestbook": "Healthy", "Rollout/guestbook": "Suspended"},
            id="rollout-paused-in-git",
        ),
        pytest.param(
            rollout(BAD),
            "Degraded",
            {"Service/guestbook": "Healthy", "Rollout/guestbook": "Degraded"},
            id="rollout-failing",
        ),
        pytest.param(
            rollout(BAD, replicas=0),
            "Healthy",
            {"Service/guestbook": "Healthy", "Rollout/guestbook": "Healthy"},
            id="rollout-failing-at-0-replicas",
        ),
        pytest.param(
            {
                **rollout("ghcr.io/acme/guestbook:paused"),
                "guestbook/worker.yaml": workload("worker", "ghcr.io/acme/worker:stuck"),
            },
            "Progressing",
            {"Service/guestbook": "Healthy", "Deployment/worker": "Progressing", "Rollout/guestbook": "Suspended"},
            id="progressing-is-worse-than-suspended",
        ),
        pytest.param(
            {**canary(BAD, 1), "guestbook/db.yaml": workload("db", BAD, 1, kind="StatefulSet")},
            "Degraded",
            {
                "Service/guestbook": "Healthy",
                "Deployment/guestbook": "Healthy",
                "Deployment/guestbook-canary": "Degraded",
                "StatefulSet/db": "Progressing",  # Argo CD's check has no deadline for a StatefulSet
            },
            id="degraded-is-worse-than-progressing",
        ),
    ],
)
def test_health_comes_from_each_workloads_images_and_replicas(
    serve_repo: ServeRepo,
    http: httpx.Client,
    files: dict[str, str],
    app_health: str,
    resources: dict[str, str | None],
) -> None:
    serve_repo(files, SCENARIO)
    found = status(http)
    assert (found["sync"]["status"], found["health"]["status"]) == ("Synced", app_health)
    assert healths(found) == resources
    if app_health in ("Degraded", "Suspended"):  # the app's message is its worst resource's (one here)
        (worst,) = [r for r in found["resources"] if r["health"]["status"] == app_health]
        assert found["health"]["message"] == f"{worst['kind']}/{worst['name']}: {worst['health']['message']}"
    else:
        assert "message" not in found["health"]
    tree = checked(http.get("/api/v1/applications/guestbook/resource-tree"))
    assert {f"{n['kind']}/{n['name']}": n["health"]["status"] for n in tree["nodes"]} == resources


def test_a_bad_canary_names_itself_and_its_image(serve_repo: ServeRepo, http: httpx.Client) -> None:
    serve_repo(canary(BAD, 1), SCENARIO)
    found = status(http)
    assert found["health"]["message"] == (
        f"Deployment/guestbook-canary: image {BAD} failing: the rollout exceeded its progress deadline"
    )
    (entry,) = [r for r in found["resources"] if r["name"] == "guestbook-canary"]
    assert entry == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
        "namespace": "guestbook",
        "name": "guestbook-canary",
        "status": "Synced",
        "health": {"status": "Degraded", "message": f"image {BAD} failing: the rollout exceeded its progress deadline"},
    }


def test_the_idle_colour_scaled_up_with_a_bad_image_degrades_and_scaled_down_recovers(
    serve_repo: ServeRepo, http: httpx.Client, clock: ManualClock
) -> None:
    served = serve_repo(bluegreen(BAD, 0), SCENARIO)
    assert status(http)["health"]["status"] == "Healthy"
    sha = served.push({"guestbook/green.yaml": workload("guestbook-green", BAD, 3)}, "green: 3 replicas")
    assert status(http, refresh=True)["operationState"]["phase"] == "Running"
    clock.advance(2)
    rolling = status(http)
    assert (rolling["sync"]["revision"], rolling["sync"]["status"], rolling["health"]["status"]) == (
        sha,
        "Synced",
        "Progressing",
    )
    assert healths(rolling)["Deployment/guestbook-blue"] == "Healthy"  # left as it was: not rolled out again
    assert healths(rolling)["Deployment/guestbook-green"] == "Progressing"
    clock.advance(10)
    assert status(http)["health"]["status"] == "Degraded"
    served.push({"guestbook/green.yaml": workload("guestbook-green", BAD, 0)}, "green: back to 0")
    status(http, refresh=True)
    clock.advance(2)
    recovered = status(http)
    assert (recovered["sync"]["status"], recovered["health"]["status"]) == ("Synced", "Healthy")


def test_switching_the_selector_to_the_other_colour_is_a_sync_that_leaves_health_alone(
    serve_repo: ServeRepo, http: httpx.Client, clock: ManualClock
) -> None:
    served = serve_repo(bluegreen("ghcr.io/acme/guestbook:2.0.0", 3), SCENARIO)
    before = status(http)["health"]
    switched = bluegreen("ghcr.io/acme/guestbook:2.0.0", 3, active="green")
    served.push({"guestbook/service.yaml": switched["guestbook/service.yaml"]}, "switch to green")
    pending = status(http, refresh=True)
    assert pending["sync"]["status"] == "OutOfSync"
    assert {r["name"]: r["status"] for r in pending["resources"] if r["kind"] == "Service"} == {
        "guestbook": "OutOfSync"
    }
    clock.advance(2)
    assert (status(http)["sync"]["status"], status(http)["health"]) == ("Synced", before)


ROUTING = {
    "guestbook/canary-service.yaml": service("guestbook-canary", "{app: guestbook, track: guestbook-canary}"),
    "guestbook/virtualservice.yaml": """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: guestbook
spec:
  hosts: [guestbook]
  http:
    - name: primary
      route:
        - destination: {host: guestbook, subset: stable}
          weight: 90
        - destination: {host: guestbook, subset: canary}
          weight: 10
""",
    "guestbook/destinationrule.yaml": """\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: guestbook
spec:
  host: guestbook
  subsets:
    - {name: stable, labels: {track: guestbook}}
    - {name: canary, labels: {track: guestbook-canary}}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s}
""",
    "guestbook/httproute.yaml": """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: guestbook
spec:
  parentRefs: [{name: public}]
  rules:
    - backendRefs:
        - {name: guestbook, port: 80, weight: 90}
        - {name: guestbook-canary, port: 80, weight: 10}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: guestbook-grpc
spec:
  parentRefs: [{name: public}]
  rules:
    - backendRefs:
        - {name: guestbook, port: 80, weight: 100}
        - {name: guestbook-canary, port: 80, weight: 0}
""",
    "guestbook/trafficsplit.yaml": """\
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: guestbook
spec:
  service: guestbook
  backends:
    - {service: guestbook, weight: 90}
    - {service: guestbook-canary, weight: 10}
""",
    "guestbook/ingress.yaml": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: guestbook
spec:
  rules:
    - host: guestbook.example.com
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: guestbook, port: {number: 80}}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: guestbook-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "10"
spec:
  rules:
    - host: guestbook.example.com
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: guestbook-canary, port: {number: 80}}}}]
""",
    "guestbook/knative.yaml": """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: guestbook-serverless
spec:
  template:
    metadata: {name: guestbook-serverless-v2}
    spec:
      containers: [{image: 'ghcr.io/acme/guestbook:1.0.0'}]
  traffic:
    - {revisionName: guestbook-serverless-v1, percent: 90}
    - {revisionName: guestbook-serverless-v2, percent: 10}
""",
    "guestbook/route.yaml": """\
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: guestbook
spec:
  to: {kind: Service, name: guestbook, weight: 90}
  alternateBackends: [{kind: Service, name: guestbook-canary, weight: 10}]
""",
    "guestbook/flags.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  canary: 'on'\n",
    "guestbook/pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n"
    "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
}


def test_routing_resources_are_deployed_and_only_checked_kinds_carry_a_health(
    serve_repo: ServeRepo, http: httpx.Client
) -> None:
    serve_repo({**canary(GOOD, 1), **ROUTING}, SCENARIO)
    found = status(http)
    assert (found["sync"]["status"], found["health"]["status"]) == ("Synced", "Healthy")
    by_name = {
        (r.get("group", ""), r["kind"], r["name"]): r.get("health", {}).get("status") for r in found["resources"]
    }
    assert by_name == {
        ("", "ConfigMap", "flags"): None,
        ("", "PersistentVolumeClaim", "data"): "Healthy",
        ("", "Service", "guestbook"): "Healthy",
        ("", "Service", "guestbook-canary"): "Healthy",
        ("apps", "Deployment", "guestbook"): "Healthy",
        ("apps", "Deployment", "guestbook-canary"): "Healthy",
        ("gateway.networking.k8s.io", "GRPCRoute", "guestbook-grpc"): "Healthy",
        ("gateway.networking.k8s.io", "HTTPRoute", "guestbook"): "Healthy",
        ("networking.istio.io", "DestinationRule", "guestbook"): None,
        ("networking.istio.io", "VirtualService", "guestbook"): None,
        ("networking.k8s.io", "Ingress", "guestbook"): "Healthy",
        ("networking.k8s.io", "Ingress", "guestbook-canary"): "Healthy",
        ("route.openshift.io", "Route", "guestbook"): "Healthy",
        ("serving.knative.dev", "Service", "guestbook-serverless"): "Healthy",
        ("split.smi-spec.io", "TrafficSplit", "guestbook"): None,
    }
    assert all(r["status"] == "Synced" for r in found["resources"])


def test_a_knative_service_is_a_workload_too(serve_repo: ServeRepo, http: httpx.Client) -> None:
    serve_repo(
        {**canary(GOOD, 1), "guestbook/knative.yaml": ROUTING["guestbook/knative.yaml"].replace(GOOD, BAD)}, SCENARIO
    )
    found = status(http)
    assert found["health"]["status"] == "Degraded"
    assert healths(found)["Service/guestbook-serverless"] == "Degraded"
    assert found["health"]["message"].startswith("Service/guestbook-serverless: image ghcr.io/acme/guestbook:bad-2")


def test_a_weight_change_is_a_new_revision_synced_without_touching_health(
    serve_repo: ServeRepo, http: httpx.Client, clock: ManualClock
) -> None:
    served = serve_repo({**canary(GOOD, 1), **ROUTING}, SCENARIO)
    settled = status(http)["health"]
    weights = (
        ROUTING["guestbook/virtualservice.yaml"].replace("weight: 90", "weight: 50").replace("weight: 10", "weight: 50")
    )
    sha = served.push({"guestbook/virtualservice.yaml": weights}, "canary: weight 50")

    pending = status(http, refresh=True)
    assert (pending["sync"]["status"], pending["sync"]["revision"]) == ("OutOfSync", sha)
    assert (pending["operationState"]["phase"], pending["operationState"]["syncResult"]["revision"]) == ("Running", sha)
    out_of_sync = [r for r in pending["resources"] if r["status"] == "OutOfSync"]
    assert [(r["kind"], r["name"], "health" in r) for r in out_of_sync] == [("VirtualService", "guestbook", False)]
    managed = checked(http.get("/api/v1/applications/guestbook/managed-resources"))["items"]
    assert [item["kind"] for item in managed if item["modified"]] == ["VirtualService"]

    looks = [pending]
    for _ in range(4):
        clock.advance(1)
        looks.append(status(http))
    assert looks[1]["operationState"]["phase"] == "Succeeded"
    assert (looks[-1]["sync"]["status"], looks[-1]["sync"]["revision"]) == ("Synced", sha)
    assert looks[-1]["reconciledAt"] > looks[-1]["operationState"]["finishedAt"]
    assert [look["health"] for look in looks] == [settled] * len(looks)  # never Progressing, same transition time
    assert [look["history"][-1]["revision"] for look in looks[1:]] == [sha] * 4


def test_an_override_still_applies_on_top(serve_repo: ServeRepo, http: httpx.Client) -> None:
    served = serve_repo(canary(BAD, 1), SCENARIO)
    served.simulator.set_scenario({"overrides": {"guestbook": {"health": "Progressing"}}})
    scripted = status(http)
    assert scripted["health"]["status"] == "Progressing"
    assert healths(scripted)["Deployment/guestbook-canary"] == "Degraded"  # the resources keep their own
    served.simulator.set_scenario({"overrides": {}})
    assert status(http)["health"]["status"] == "Degraded"
