"""Edit requests applied to resources' texts: one per format and kind, each a minimal diff (or refused)."""

from __future__ import annotations

import pytest

from promoter.core import edits
from promoter.core.resources import Found
from promoter.core.strategies import HeaderMatch, ResourceRef, RoutingFormat, TrafficRouting
from promoter.yamledit.errors import EditError
from tests.core.builders import CANARY, FILES, IMAGE, ROUTING, SERVICE, STAGING_FILE, VS

HTTPROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: guestbook
spec:
  rules:
    - backendRefs:
        - name: guestbook
          port: 80
          weight: 100
        - name: guestbook-canary
          port: 80
          weight: 0
"""
SPLIT = """\
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: guestbook
spec:
  service: guestbook
  backends:
    - service: guestbook
      weight: 100
    - service: guestbook-canary
      weight: 0
"""
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: guestbook-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "0"
"""
KNATIVE = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: guestbook
spec:
  traffic:
    - tag: current
      percent: 100
    - tag: candidate
      percent: 0
"""
ROUTE = """\
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: guestbook
spec:
  to: {kind: Service, name: guestbook, weight: 100}
  alternateBackends:
    - {kind: Service, name: guestbook-canary, weight: 0}
"""


def routing(
    fmt: RoutingFormat, kind: str, stable: str = "guestbook", canary: str = "guestbook-canary"
) -> TrafficRouting:
    return TrafficRouting(
        fmt, ResourceRef(kind, "guestbook" if kind != "Ingress" else "guestbook-canary"), stable, canary
    )


WEIGHTS: dict[str, tuple[TrafficRouting, str, tuple[tuple[str, str], ...]]] = {
    "istio": (ROUTING, FILES[VS].text, (("weight: 100", "weight: 80"), ("weight: 0", "weight: 20"))),
    "gateway api": (
        routing(RoutingFormat.GATEWAY_API, "HTTPRoute"),
        HTTPROUTE,
        (("weight: 100", "weight: 80"), ("weight: 0", "weight: 20")),
    ),
    "smi": (
        routing(RoutingFormat.SMI, "TrafficSplit"),
        SPLIT,
        (("weight: 100", "weight: 80"), ("weight: 0", "weight: 20")),
    ),
    "nginx": (routing(RoutingFormat.NGINX, "Ingress"), INGRESS, (('canary-weight: "0"', 'canary-weight: "20"'),)),
    "knative": (
        routing(RoutingFormat.KNATIVE, "Service", "current", "candidate"),
        KNATIVE,
        (("percent: 100", "percent: 80"), ("percent: 0", "percent: 20")),
    ),
    "openshift": (
        routing(RoutingFormat.OPENSHIFT, "Route"),
        ROUTE,
        (("weight: 100}", "weight: 80}"), ("weight: 0}", "weight: 20}")),
    ),
}


@pytest.mark.parametrize(("route", "text", "replaced"), WEIGHTS.values(), ids=WEIGHTS.keys())
def test_a_weight_in_every_format(route: TrafficRouting, text: str, replaced: tuple[tuple[str, str], ...]) -> None:
    expected = text
    for before, after in replaced:
        expected = expected.replace(before, after, 1)
    assert edits.apply(edits.SetWeight(route, 20), Found("routes.yaml", text, 0)) == expected
    assert edits.ref(edits.SetWeight(route, 20)) == route.resource


def test_the_other_kinds() -> None:
    staging = FILES[STAGING_FILE]
    assert edits.apply(edits.SetImage(STAGING_FILE, IMAGE, "1.5.0"), staging) == staging.text.replace("1.4.0", "1.5.0")
    digest = "sha256:" + "ab" * 32
    assert f"@{digest}" in edits.apply(edits.SetImage(STAGING_FILE, IMAGE, digest), staging)
    canary = FILES[CANARY]
    assert "replicas: 2" in edits.apply(edits.SetReplicas(CANARY, 2), canary)
    assert "replicas: 2" in edits.apply(
        edits.SetReplicas(ResourceRef(file="envs/prod/canary.yaml"), 2), Found(canary.path, canary.text)
    )
    assert "color: green" in edits.apply(edits.SetSelector(SERVICE, "color", "green"), FILES[SERVICE])
    values = edits.SetValues(CANARY, (("spec.replicas", "5"),))
    assert "replicas: 5" in edits.apply(values, canary)


def test_a_header_route_and_a_mirror_go_to_the_canary_destination() -> None:
    vs = FILES[VS]
    named = TrafficRouting(RoutingFormat.ISTIO, VS, "stable", "canary", "primary", managed=("dark", "shadow"))
    dark = edits.apply(edits.SetHeaderRoute(named, "dark", (HeaderMatch("x-canary", "yes"),)), vs)
    assert "name: dark" in dark and "subset: canary" in dark
    # the weights still find their route by name, the header route first in the list notwithstanding
    by_index = TrafficRouting(RoutingFormat.ISTIO, VS, "stable", "canary", 0, managed=("dark",))
    weighted = edits.apply(edits.SetWeight(by_index, 30), Found(vs.path, dark, 0))
    assert "weight: 70" in weighted and "weight: 30" in weighted
    assert edits.apply(edits.SetHeaderRoute(named, "dark", ()), Found(vs.path, dark, 0)) == vs.text
    shadow = edits.apply(edits.SetMirror(named, "shadow", 50, (HeaderMatch("x-mirror", "1"),)), vs)
    assert "mirrorPercentage" in shadow
    assert edits.apply(edits.SetMirror(named, "shadow", None, ()), Found(vs.path, shadow, 0)) == vs.text


def test_gateway_api_header_routes_and_mirrors() -> None:
    route = TrafficRouting(
        RoutingFormat.GATEWAY_API,
        ResourceRef("HTTPRoute", "guestbook"),
        "guestbook",
        "guestbook-canary",
        0,
        80,
        ("dark",),
    )
    found = Found("route.yaml", HTTPROUTE, 0)
    dark = edits.apply(edits.SetHeaderRoute(route, "dark", (HeaderMatch("x-canary", "yes"),)), found)
    assert "name: dark" in dark
    mirrored = edits.apply(edits.SetMirror(route, "shadow", 10, ()), Found("route.yaml", dark, 0))
    assert "RequestMirror" in mirrored and mirrored.index("name: dark") < mirrored.index("RequestMirror")


REFUSED: dict[str, tuple[edits.Edit, Found, str]] = {
    "a header route on SMI": (
        edits.SetHeaderRoute(routing(RoutingFormat.SMI, "TrafficSplit"), "dark", (HeaderMatch("x", "y"),)),
        Found("s.yaml", SPLIT, 0),
        "smi has no header routes",
    ),
    "a mirror on NGINX": (
        edits.SetMirror(routing(RoutingFormat.NGINX, "Ingress"), "m", 5, ()),
        Found("i.yaml", INGRESS, 0),
        "nginx has no mirrors",
    ),
    "a header route to a destination the route lacks": (
        edits.SetHeaderRoute(
            TrafficRouting(RoutingFormat.ISTIO, VS, "stable", "preview", "primary"), "d", (HeaderMatch("x", "y"),)
        ),
        FILES[VS],
        "no destination 'preview'",
    ),
    "an index past the routes besides promoter's": (
        edits.SetWeight(TrafficRouting(RoutingFormat.ISTIO, VS, "stable", "canary", 3, managed=("d",)), 10),
        FILES[VS],
        r"no route \[3\] besides promoter's own",
    ),
    "a bad path": (edits.SetValues(CANARY, (("spec[", "1"),)), FILES[CANARY], "spec"),
}


@pytest.mark.parametrize(("request_", "found", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(request_: edits.Edit, found: Found, message: str) -> None:
    with pytest.raises(EditError, match=message):
        edits.apply(request_, found)


def test_requests_apply_in_order_file_by_file() -> None:
    requests = [edits.SetReplicas(CANARY, 2), edits.SetImage(CANARY, IMAGE, "1.5.0"), edits.SetWeight(ROUTING, 20)]
    written = edits.apply_all(requests, {CANARY: FILES[CANARY], VS: FILES[VS]})
    assert set(written) == {"envs/prod/canary.yaml", "envs/prod/routes.yaml"}
    assert "replicas: 2" in written["envs/prod/canary.yaml"] and ":1.5.0" in written["envs/prod/canary.yaml"]
    with pytest.raises(EditError, match=r"envs/prod/canary.yaml:\d+:\d+: "):
        edits.apply_all([edits.SetValues(CANARY, (("spec.replicas", "many"),))], {CANARY: FILES[CANARY]})


def test_descriptions() -> None:
    shown = [
        edits.describe(edits.SetImage(CANARY, IMAGE, "1.5.0")),
        edits.describe(edits.SetValues(CANARY, (("a", "b"),))),
        edits.describe(edits.SetWeight(ROUTING, 20)),
        edits.describe(edits.SetReplicas(CANARY, 2)),
        edits.describe(edits.SetSelector(SERVICE, "color", "green")),
        edits.describe(edits.SetHeaderRoute(ROUTING, "d", ())),
        edits.describe(edits.SetHeaderRoute(ROUTING, "d", (HeaderMatch("x", "y"),))),
        edits.describe(edits.SetMirror(ROUTING, "m", 5, ())),
        edits.describe(edits.SetMirror(ROUTING, "m", None, ())),
    ]
    assert shown[0].endswith("image ghcr.io/acme/guestbook:1.5.0")
    assert shown[2].endswith("canary 20%") and shown[5].endswith("removed") and shown[8].endswith("removed")
    assert len(set(shown)) == len(shown)
