"""Who takes which share, per routing format, on the shapes the end-to-end tests and the demo deploy.

The shapes are imported from the end-to-end tests (their routing files, Deployments and Services) and read
from the demo repo, so the traffic simulator stays right for exactly what the bot is tested on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from promoter.gitops.manifests import load_documents
from promoter.sandbox.traffic import routing
from tests.e2e import crashes
from tests.e2e import test_canary as canary

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo-repo"
Shares = dict[tuple[str, str, str], float]  # (entry kind/name, destination service, workload) -> share


def shares(*texts: str, namespace: str = "staging") -> Shares:
    resources = [doc for i, text in enumerate(texts) for doc in load_documents(text, f"file-{i}")]
    return {
        (f"{entry.kind}/{entry.name}", route.service, route.workload.name): round(route.share, 6)
        for entry in routing.entries(resources, namespace)
        for route in entry.routes
    }


def at(text: str, stable: int, canary_weight: int) -> str:
    """A routing file of the end-to-end shapes, its stable/canary weights set (they are written 100/0)."""
    for key in ("weight", "percent"):
        text = text.replace(f"{key}: 100", f"{key}: {stable}").replace(f"{key}: 0", f"{key}: {canary_weight}")
    return text.replace('canary-weight: "0"', f'canary-weight: "{canary_weight}"')


def canary_pods(count: int) -> str:
    return canary.CANARY.replace("replicas: 0", f"replicas: {count}").replace("app:1.0.0", "app:2.0.0")


ENTRIES = {
    "istio": ("VirtualService/app", "app", "app-canary"),
    "istio-subsets": ("VirtualService/app", "app", "app"),
    "gateway-api": ("HTTPRoute/app", "app", "app-canary"),
    "grpc-route": ("GRPCRoute/app", "app", "app-canary"),
    "knative": ("KnativeService/app-traffic", "app-traffic", "app-traffic"),
    "nginx": ("Ingress/app-canary", "app", "app-canary"),
    "smi": ("TrafficSplit/app-root", "app", "app-canary"),
    "openshift": ("Route/app", "app", "app-canary"),
}


def test_every_end_to_end_format_is_covered() -> None:
    assert set(ENTRIES) == set(canary.FORMATS)


@pytest.mark.parametrize("name", list(canary.FORMATS))
def test_the_weights_of_each_format_split_the_traffic_between_stable_and_canary(name: str) -> None:
    entry, stable_service, canary_service = ENTRIES[name]
    route = at(canary.FORMATS[name].file, 70, 30)
    assert shares(canary.STABLE, canary_pods(3), canary.SERVICES, route) == {
        (entry, stable_service, "app"): 0.7,
        (entry, canary_service, "app-canary"): 0.3,
    }


@pytest.mark.parametrize("name", list(canary.FORMATS))
def test_at_rest_the_stable_takes_everything_and_the_canary_at_zero_replicas_nothing(name: str) -> None:
    entry, stable_service, _ = ENTRIES[name]
    found = shares(canary.STABLE, canary.CANARY, canary.SERVICES, canary.FORMATS[name].file)
    assert found == {(entry, stable_service, "app"): 1.0}


def test_a_destination_without_pods_drops_its_share_and_the_others_keep_theirs() -> None:
    # 90/10 with the canary still at 0 replicas: Istio would answer 503 for the 10 %; not modelled.
    route = at(canary.FORMATS["istio"].file, 90, 10)
    assert shares(canary.STABLE, canary.CANARY, canary.SERVICES, route) == {("VirtualService/app", "app", "app"): 0.9}


def test_istio_subsets_follow_the_destination_rule_labels() -> None:
    labelled = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: shop, track: TRACK}}
    spec:
      containers: [{name: shop, image: "ghcr.io/acme/shop:VERSION"}]
"""
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec: {selector: {app: shop}}\n"
    rule = """\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: shop}
spec:
  host: shop.staging.svc.cluster.local
  subsets:
    - {name: stable, labels: {track: main}}
    - {name: canary, labels: {track: next}}
"""
    vs = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [shop]
  http:
    - name: testers
      match: [{headers: {x-canary: {exact: "yes"}}}]
      route: [{destination: {host: shop, subset: canary}}]
    - route:
        - {destination: {host: shop.staging.svc.cluster.local, subset: stable}, weight: 75}
        - {destination: {host: shop.staging.svc.cluster.local, subset: canary}, weight: 25}
"""
    main = labelled.replace("NAME", "shop-main").replace("TRACK", "main").replace("VERSION", "1.0.0")
    following = labelled.replace("NAME", "shop-next").replace("TRACK", "next").replace("VERSION", "1.1.0")
    # The header route comes first but takes no plain request: the weighted route decides.
    assert shares(main, following, service, rule, vs) == {
        ("VirtualService/shop", "shop", "shop-main"): 0.75,
        ("VirtualService/shop", "shop", "shop-next"): 0.25,
    }


def test_without_a_mesh_or_a_service_the_replica_ratio_is_the_split() -> None:
    found = shares(canary.STABLE.replace("replicas: 4", "replicas: 3"), canary_pods(1))
    assert found == {("Workloads/app", "app", "app"): 0.75, ("Workloads/app", "app", "app-canary"): 0.25}
    assert shares(canary.STABLE) == {("Workloads/app", "app", "app"): 1.0}  # the rolling stage's lone Deployment


def blue_green(blue: int, green: int, active: str, preview: str) -> list[str]:
    files = crashes.BLUE_GREEN_FILES
    services = crashes.BLUE_GREEN_SERVICES.replace("color: blue  #", f"color: {active}  #")
    services = services.replace("color: blue\n", f"color: {preview}\n")
    return [
        files[crashes.BLUE].replace("replicas: 3", f"replicas: {blue}"),
        files[crashes.GREEN].replace("replicas: 0", f"replicas: {green}"),
        services,
    ]


def test_blue_green_the_selected_colour_takes_all_of_its_service() -> None:
    assert shares(*blue_green(3, 0, "blue", "blue")) == {
        ("Service/app", "app", "app-blue"): 1.0,
        ("Service/app-preview", "app-preview", "app-blue"): 1.0,
    }
    # Green up behind the preview Service: the active Service still sends everything to blue.
    assert shares(*blue_green(3, 3, "blue", "green")) == {
        ("Service/app", "app", "app-blue"): 1.0,
        ("Service/app-preview", "app-preview", "app-green"): 1.0,
    }
    # The switch: blue keeps its pods for the scale-down delay but nothing selects it any more.
    assert shares(*blue_green(3, 3, "green", "green")) == {
        ("Service/app", "app", "app-green"): 1.0,
        ("Service/app-preview", "app-preview", "app-green"): 1.0,
    }
    done = crashes.BLUE_GREEN_DONE
    assert shares(*done.values()) == shares(*blue_green(0, 3, "green", "green"))


def test_the_demo_repo() -> None:
    def folder(path: str, namespace: str) -> Shares:
        return shares(*(file.read_text() for file in sorted((DEMO / path).glob("*.yaml"))), namespace=namespace)

    assert folder("envs/prod/checkout", "checkout-prod") == {("VirtualService/checkout", "checkout", "checkout"): 1.0}
    assert folder("envs/prod/payments", "payments-prod") == {
        ("Service/payments", "payments", "payments-blue"): 1.0,
        ("Service/payments-preview", "payments-preview", "payments-blue"): 1.0,
    }
    assert folder("envs/staging/guestbook", "guestbook-staging") == {
        ("Service/guestbook", "guestbook", "guestbook"): 1.0
    }
    # The checkout canary at 30 % with pods: by the Services' selectors on the template labels.
    checkout = DEMO / "envs/prod/checkout"
    texts = [
        (checkout / "deployment.yaml").read_text(),
        (checkout / "canary.yaml").read_text().replace("replicas: 0", "replicas: 2"),
        (checkout / "services.yaml").read_text(),
        (checkout / "virtualservice.yaml")
        .read_text()
        .replace("weight: 100", "weight: 70")
        .replace("weight: 0", "weight: 30"),
    ]
    assert shares(*texts, namespace="checkout-prod") == {
        ("VirtualService/checkout", "checkout", "checkout"): 0.7,
        ("VirtualService/checkout", "checkout-canary", "checkout-canary"): 0.3,
    }


def test_a_workload_knows_its_version_and_images() -> None:
    resources = load_documents(canary_pods(1), "canary.yaml")
    (entry,) = routing.entries(resources, "staging")
    workload = entry.routes[0].workload
    assert (workload.name, workload.namespace, workload.version, workload.replicas) == (
        "app-canary",
        "staging",
        "2.0.0",
        1,
    )
    assert workload.images == ("ghcr.io/acme/app:2.0.0",)


def test_kinds_that_take_no_requests_and_helm_renders_have_no_entries() -> None:
    job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec: {template: {spec: {containers: [{name: m, image: 'x:1'}]}}}\n"
    assert shares(job) == {}
    assert routing.entries([], "staging") == ()
