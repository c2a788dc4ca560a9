"""Header routes and mirrors (Argo Rollouts' setHeaderRoute / setMirrorRoute), Istio and Gateway API.

Each case shows the exact bytes before and after; the properties insert, update and remove on generated
files in many layouts and on the corpus, and get the original bytes back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoter.yamledit import routes
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import MappingNode, SequenceNode, Source
from promoter.yamledit.verify import plain, same_plain
from tests.yamledit.generated_routes import header_matches, http_routes, virtual_services

H = routes.HeaderMatch
Call = Callable[[str], str]


def istio_header(**overrides: Any) -> Call:
    arguments: dict[str, Any] = {
        "route": "canary-header",
        "match": [H("x-canary", "true")],
        "canary_host": "reviews",
        "canary_subset": "v2",
    }
    return lambda text: routes.istio_header_route(text, **{**arguments, **overrides})


def istio_mirror(**overrides: Any) -> Call:
    arguments: dict[str, Any] = {
        "route": "mirror-route",
        "percent": 25,
        "match": [H("x-shadow", "on")],
        "stable_host": "reviews-stable",
        "canary_host": "reviews-canary",
    }
    return lambda text: routes.istio_mirror_route(text, **{**arguments, **overrides})


def gateway_header(**overrides: Any) -> Call:
    arguments: dict[str, Any] = {
        "route": "canary-header",
        "match": [H("x-canary", "true")],
        "canary_service": "helloworld-v2",
        "port": 5000,
    }
    return lambda text: routes.gateway_header_route(text, **{**arguments, **overrides})


def gateway_mirror(**overrides: Any) -> Call:
    arguments: dict[str, Any] = {"rule": 0, "percent": 10, "canary_service": "checkout-canary", "port": 8080}
    return lambda text: routes.gateway_mirror(text, **{**arguments, **overrides})


# files ------------------------------------------------------------------------------------------

VS_INDENTLESS = """\
# reviews: routing for the reviews service
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:  # first match wins
  # the weighted route promoter moves
  - name: primary
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 90  # stable
    - destination: {host: reviews, subset: v2}
      weight: 10
"""

VS_FOUR = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
    name: reviews
spec:
    hosts:
        - reviews
    http:
        - name: primary
          route:
              - destination:
                    host: reviews
                    subset: v1
                weight: 100
"""

VS_INDENTED = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc
spec:
  hosts:
    - rollouts-demo.local
  http:
    - name: primary
      route:
        - destination:
            host: rollouts-demo-stable
          weight: 100
        - destination:
            host: rollouts-demo-canary
          weight: 0
"""

VS_INDENTED_WITH_HEADER_ROUTE = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc
spec:
  hosts:
    - rollouts-demo.local
  http:
    - name: canary-header
      match:
        - headers:
            x-canary:
              exact: "true"
      route:
        - destination:
            host: rollouts-demo-canary
          weight: 100
    - name: primary
      route:
        - destination:
            host: rollouts-demo-stable
          weight: 100
        - destination:
            host: rollouts-demo-canary
          weight: 0
"""

MULTI = """\
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
  - port: 9080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
---
# the one promoter edits
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
"""

VS_WITH_HEADER_ROUTE = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: canary-header  # promoter's
    match:
    - headers:
        x-canary:
          exact: 'yes'
    route:
    - destination:
        host: reviews
        subset: v2
      weight: 100
  # everyone else
  - name: primary
    route:
    - destination: {host: reviews, subset: v1}
"""

VS_WITH_HEADER_ROUTE_LAST = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: primary
    route:
    - destination: {host: reviews, subset: v1}
  - name: canary-header
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: reviews, subset: v2}
      weight: 100"""

VS_MIRROR = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: mirror-route
    match:
    - headers:
        x-shadow:
          exact: "on"
    route:
    - destination:
        host: reviews-stable
      weight: 100
    mirror:
      host: reviews-canary
    mirrorPercentage:
      value: 10
  - name: primary
    route:
    - destination:
        host: reviews-stable
"""

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: helloworld
spec:
  parentRefs:
  - name: helloworld-gateway
  rules:
  # the stable/canary split
  - matches:
    - path:
        type: PathPrefix
        value: /hello
    backendRefs:
    - name: helloworld-v1
      port: 5000
      weight: 90
    - name: helloworld-v2
      port: 5000
      weight: 10
"""

ROUTE_WITH_HEADER_RULE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: helloworld
spec:
  parentRefs:
  - name: helloworld-gateway
  rules:
  - name: canary-header
    matches:
    - headers:
      - name: x-canary
        value: "true"
        type: Exact
    backendRefs:
    - name: helloworld-v2
      port: 5000
  # the stable/canary split
  - matches:
    - path:
        type: PathPrefix
        value: /hello
    backendRefs:
    - name: helloworld-v1
      port: 5000
      weight: 90
    - name: helloworld-v2
      port: 5000
      weight: 10
"""

ROUTE_INDENTED = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  parentRefs:
    - name: public
  rules:
    - name: split
      backendRefs:
        - name: checkout-stable
          port: 8080
          weight: 100
        - name: checkout-canary
          port: 8080
          weight: 0
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            add:
              - name: x-via
                value: promoter
"""

ROUTE_INDENTED_WITH_MIRROR = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  parentRefs:
    - name: public
  rules:
    - name: split
      backendRefs:
        - name: checkout-stable
          port: 8080
          weight: 100
        - name: checkout-canary
          port: 8080
          weight: 0
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            add:
              - name: x-via
                value: promoter
        - type: RequestMirror
          requestMirror:
            backendRef:
              name: checkout-canary
              port: 8080
            percent: 10
"""

ROUTE_WITH_MIRROR = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  rules:
  - backendRefs:
    - name: checkout-stable
      port: 8080
    filters:
    - type: RequestMirror
      requestMirror:
        backendRef:
          name: checkout-canary
          port: 8080
        percent: 5
"""

ROUTE_MIRROR_FIRST_KEY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  rules:
  - filters:
    - type: RequestMirror
      requestMirror:
        backendRef: {name: checkout-canary, port: 8080}
        percent: 5
    backendRefs:
    - name: checkout-stable
      port: 8080
"""

VS_DAMAGED_HEADER_ROUTE = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: reviews, subset: v2}
      weight: [100]
  - route:
    - destination: {host: reviews}
"""

# expected outputs -------------------------------------------------------------------------------

VS_INDENTLESS_WITH_HEADER_ROUTE = """\
# reviews: routing for the reviews service
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:  # first match wins
  - name: canary-header
    match:
    - headers:
        x-canary:
          exact: "true"
        x-version:
          prefix: "1.10"
    route:
    - destination:
        host: reviews
        subset: v2
      weight: 100
  # the weighted route promoter moves
  - name: primary
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 90  # stable
    - destination: {host: reviews, subset: v2}
      weight: 10
"""

VS_FOUR_WITH_HEADER_ROUTE = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
    name: reviews
spec:
    hosts:
        - reviews
    http:
        - name: canary-header
          match:
              - headers:
                    x-canary:
                        exact: "true"
          route:
              - destination:
                    host: reviews
                    subset: v2
                weight: 100
        - name: primary
          route:
              - destination:
                    host: reviews
                    subset: v1
                weight: 100
"""

MULTI_WITH_HEADER_ROUTE_IN_REVIEWS = """\
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
  - port: 9080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
---
# the one promoter edits
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - name: canary-header
    match:
    - headers:
        x-canary:
          exact: "true"
    route:
    - destination:
        host: reviews
        subset: v2
      weight: 100
  - route:
    - destination: {host: reviews, subset: v1}
"""

MULTI_WITH_HEADER_ROUTE_IN_DOC_1 = """\
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
  - port: 9080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - name: canary-header
    match:
    - headers:
        end-user:
          regex: ^(jason|ana)$
    route:
    - destination:
        host: ratings
        subset: v2
      weight: 100
  - route:
    - destination: {host: ratings, subset: v1}
---
# the one promoter edits
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
"""

VS_HEADER_ROUTE_UPDATED_IN_ITS_QUOTING = VS_WITH_HEADER_ROUTE.replace("exact: 'yes'", "exact: 'no'")

VS_HEADER_ROUTE_REWRITTEN = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: canary-header
    match:
    - headers:
        x-canary:
          exact: "yes"
        x-beta:
          exact: "1"
    route:
    - destination:
        host: reviews
      weight: 100
  # everyone else
  - name: primary
    route:
    - destination: {host: reviews, subset: v1}
"""

VS_HEADER_ROUTE_REMOVED = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  # everyone else
  - name: primary
    route:
    - destination: {host: reviews, subset: v1}
"""

VS_DAMAGED_HEADER_ROUTE_REWRITTEN = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    match:
    - headers:
        x-canary:
          exact: "true"
    route:
    - destination:
        host: reviews
        subset: v2
      weight: 100
  - route:
    - destination: {host: reviews}
"""

VS_INDENTLESS_WITH_MIRROR = """\
# reviews: routing for the reviews service
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:  # first match wins
  - name: mirror-route
    match:
    - headers:
        x-shadow:
          exact: "on"
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 100
    mirror:
      host: reviews
      subset: v2
    mirrorPercentage:
      value: 12.5
  # the weighted route promoter moves
  - name: primary
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 90  # stable
    - destination: {host: reviews, subset: v2}
      weight: 10
"""

VS_WITH_HEADER_ROUTE_LAST_REMOVED = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: primary
    route:
    - destination: {host: reviews, subset: v1}"""

VS_MIRROR_REMOVED = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  http:
  - name: primary
    route:
    - destination:
        host: reviews-stable
"""

ROUTE_WITH_TWO_HEADERS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: helloworld
spec:
  parentRefs:
  - name: helloworld-gateway
  rules:
  - name: canary-header
    matches:
    - headers:
      - name: x-canary
        value: "true"
        type: Exact
      - name: x-user
        value: ^beta-.*
        type: RegularExpression
    backendRefs:
    - name: helloworld-v2
      port: 5000
  # the stable/canary split
  - matches:
    - path:
        type: PathPrefix
        value: /hello
    backendRefs:
    - name: helloworld-v1
      port: 5000
      weight: 90
    - name: helloworld-v2
      port: 5000
      weight: 10
"""

ROUTE_WITH_THREE_HEADERS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: helloworld
spec:
  parentRefs:
  - name: helloworld-gateway
  rules:
  - name: canary-header
    matches:
    - headers:
      - name: x-canary
        value: "true"
        type: Exact
      - name: x-beta
        value: "on"
        type: Exact
    backendRefs:
    - name: helloworld-v2
      port: 5000
  # the stable/canary split
  - matches:
    - path:
        type: PathPrefix
        value: /hello
    backendRefs:
    - name: helloworld-v1
      port: 5000
      weight: 90
    - name: helloworld-v2
      port: 5000
      weight: 10
"""

ROUTE_INDENTED_WITH_HEADER_RULE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  parentRefs:
    - name: public
  rules:
    - name: canary-header
      matches:
        - headers:
            - name: x-canary
              value: "true"
              type: Exact
      backendRefs:
        - name: checkout-canary
    - name: split
      backendRefs:
        - name: checkout-stable
          port: 8080
          weight: 100
        - name: checkout-canary
          port: 8080
          weight: 0
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            add:
              - name: x-via
                value: promoter
"""

ROUTE_WITH_MIRROR_FILTER = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: helloworld
spec:
  parentRefs:
  - name: helloworld-gateway
  rules:
  # the stable/canary split
  - matches:
    - path:
        type: PathPrefix
        value: /hello
    backendRefs:
    - name: helloworld-v1
      port: 5000
      weight: 90
    - name: helloworld-v2
      port: 5000
      weight: 10
    filters:
    - type: RequestMirror
      requestMirror:
        backendRef:
          name: helloworld-v2
          port: 5000
        percent: 10
"""

ROUTE_MIRROR_REMOVED = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  rules:
  - backendRefs:
    - name: checkout-stable
      port: 8080
"""

ROUTE_MIRROR_FIRST_KEY_REMOVED = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  rules:
  - backendRefs:
    - name: checkout-stable
      port: 8080
"""


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _unterminated(text: str) -> str:
    return text.removesuffix("\n")


CHANGES: dict[str, tuple[str, Call, str]] = {
    "istio-header-insert-indentless-with-comments-and-quoting": (
        VS_INDENTLESS,
        istio_header(match=[H("x-canary", "true"), H("x-version", "1.10", "prefix")]),
        VS_INDENTLESS_WITH_HEADER_ROUTE,
    ),
    "istio-header-insert-four-spaces": (VS_FOUR, istio_header(), VS_FOUR_WITH_HEADER_ROUTE),
    "istio-header-insert-indented-lists-no-subset": (
        VS_INDENTED,
        istio_header(canary_host="rollouts-demo-canary", canary_subset=None),
        VS_INDENTED_WITH_HEADER_ROUTE,
    ),
    "istio-header-insert-crlf": (
        _crlf(VS_INDENTED),
        istio_header(canary_host="rollouts-demo-canary", canary_subset=None),
        _crlf(VS_INDENTED_WITH_HEADER_ROUTE),
    ),
    "istio-header-insert-no-final-newline": (
        _unterminated(VS_INDENTED),
        istio_header(canary_host="rollouts-demo-canary", canary_subset=None),
        _unterminated(VS_INDENTED_WITH_HEADER_ROUTE),
    ),
    "istio-header-insert-multi-document-by-name": (
        MULTI,
        istio_header(name="reviews"),
        MULTI_WITH_HEADER_ROUTE_IN_REVIEWS,
    ),
    "istio-header-insert-multi-document-by-doc": (
        MULTI,
        istio_header(doc=1, canary_host="ratings", match=[H("end-user", "^(jason|ana)$", "regex")]),
        MULTI_WITH_HEADER_ROUTE_IN_DOC_1,
    ),
    "istio-header-update-a-value-in-its-own-quoting": (
        VS_WITH_HEADER_ROUTE,
        istio_header(match=[H("x-canary", "no")]),
        VS_HEADER_ROUTE_UPDATED_IN_ITS_QUOTING,
    ),
    "istio-header-update-the-shape-rewrites-the-route": (
        VS_WITH_HEADER_ROUTE,
        istio_header(match=[H("x-canary", "yes"), H("x-beta", "1")], canary_subset=None),
        VS_HEADER_ROUTE_REWRITTEN,
    ),
    "istio-header-update-to-the-same-is-a-no-op": (
        VS_WITH_HEADER_ROUTE,
        istio_header(match=[H("x-canary", "yes")]),
        VS_WITH_HEADER_ROUTE,
    ),
    "istio-header-update-in-flow-style-keeps-it": (
        VS_WITH_HEADER_ROUTE_LAST,
        istio_header(match=[H("x-canary", "1.10")], canary_subset="v3"),
        VS_WITH_HEADER_ROUTE_LAST.replace('"true"', '"1.10"').replace("subset: v2", "subset: v3"),
    ),
    "istio-header-update-a-damaged-route-rewrites-it": (
        VS_DAMAGED_HEADER_ROUTE,
        istio_header(),
        VS_DAMAGED_HEADER_ROUTE_REWRITTEN,
    ),
    "istio-header-remove-keeps-the-next-route-comment": (
        VS_WITH_HEADER_ROUTE,
        istio_header(match=None),
        VS_HEADER_ROUTE_REMOVED,
    ),
    "istio-header-remove-crlf": (
        _crlf(VS_INDENTED_WITH_HEADER_ROUTE),
        istio_header(match=None),
        _crlf(VS_INDENTED),
    ),
    "istio-header-remove-the-last-line-without-final-newline": (
        VS_WITH_HEADER_ROUTE_LAST,
        istio_header(match=None),
        VS_WITH_HEADER_ROUTE_LAST_REMOVED,
    ),
    "istio-header-remove-absent-is-a-no-op": (VS_INDENTLESS, istio_header(match=None), VS_INDENTLESS),
    "istio-mirror-insert": (
        VS_INDENTLESS,
        istio_mirror(
            percent=12.5, stable_host="reviews", stable_subset="v1", canary_host="reviews", canary_subset="v2"
        ),
        VS_INDENTLESS_WITH_MIRROR,
    ),
    "istio-mirror-update-the-percentage-only": (
        VS_MIRROR,
        istio_mirror(percent=50),
        VS_MIRROR.replace("value: 10", "value: 50"),
    ),
    "istio-mirror-update-to-a-fraction-of-a-percent": (
        VS_MIRROR,
        istio_mirror(percent=0.5),
        VS_MIRROR.replace("value: 10", "value: 0.5"),
    ),
    "istio-mirror-update-a-scalar-mirror-rewrites-it": (
        VS_MIRROR.replace("    mirror:\n      host: reviews-canary\n", "    mirror: reviews-canary\n"),
        istio_mirror(percent=10),
        VS_MIRROR,
    ),
    "istio-mirror-remove": (VS_MIRROR, istio_mirror(percent=None, match=None), VS_MIRROR_REMOVED),
    "istio-mirror-remove-absent-is-a-no-op": (VS_INDENTLESS, istio_mirror(percent=None), VS_INDENTLESS),
    "gateway-header-insert-indentless": (
        ROUTE,
        gateway_header(match=[H("x-canary", "true"), H("x-user", "^beta-.*", "regex")]),
        ROUTE_WITH_TWO_HEADERS,
    ),
    "gateway-header-insert-indented-no-port": (
        ROUTE_INDENTED,
        gateway_header(canary_service="checkout-canary", port=None),
        ROUTE_INDENTED_WITH_HEADER_RULE,
    ),
    "gateway-header-insert-crlf-no-final-newline": (
        _unterminated(_crlf(ROUTE)),
        gateway_header(),
        _unterminated(_crlf(ROUTE_WITH_HEADER_RULE)),
    ),
    "gateway-header-insert-grpcroute": (
        ROUTE.replace("HTTPRoute", "GRPCRoute"),
        gateway_header(kind="GRPCRoute"),
        ROUTE_WITH_HEADER_RULE.replace("HTTPRoute", "GRPCRoute"),
    ),
    "gateway-header-update-type-and-port": (
        ROUTE_WITH_HEADER_RULE,
        gateway_header(match=[H("x-canary", "true", "regex")], port=5001),
        ROUTE_WITH_HEADER_RULE.replace("type: Exact", "type: RegularExpression").replace(
            "helloworld-v2\n      port: 5000\n  #", "helloworld-v2\n      port: 5001\n  #"
        ),
    ),
    "gateway-header-update-more-headers-rewrites-the-rule": (
        ROUTE_WITH_HEADER_RULE,
        gateway_header(match=[H("x-canary", "true"), H("x-beta", "on")]),
        ROUTE_WITH_THREE_HEADERS,
    ),
    "gateway-header-update-to-the-same-is-a-no-op": (ROUTE_WITH_HEADER_RULE, gateway_header(), ROUTE_WITH_HEADER_RULE),
    "gateway-header-remove": (ROUTE_WITH_HEADER_RULE, gateway_header(match=None), ROUTE),
    "gateway-header-remove-absent-is-a-no-op": (ROUTE, gateway_header(match=None), ROUTE),
    "gateway-mirror-adds-filters": (
        ROUTE,
        gateway_mirror(canary_service="helloworld-v2", port=5000),
        ROUTE_WITH_MIRROR_FILTER,
    ),
    "gateway-mirror-adds-filters-no-final-newline": (
        _unterminated(ROUTE),
        gateway_mirror(canary_service="helloworld-v2", port=5000),
        _unterminated(ROUTE_WITH_MIRROR_FILTER),
    ),
    "gateway-mirror-appends-to-filters-rule-by-name": (
        ROUTE_INDENTED,
        gateway_mirror(rule="split"),
        ROUTE_INDENTED_WITH_MIRROR,
    ),
    "gateway-mirror-update-the-percent-only": (
        ROUTE_WITH_MIRROR,
        gateway_mirror(percent=50),
        ROUTE_WITH_MIRROR.replace("percent: 5", "percent: 50"),
    ),
    "gateway-mirror-remove-the-only-filter-removes-filters": (
        ROUTE_WITH_MIRROR,
        gateway_mirror(percent=None),
        ROUTE_MIRROR_REMOVED,
    ),
    "gateway-mirror-remove-filters-on-the-dash-line": (
        ROUTE_MIRROR_FIRST_KEY,
        gateway_mirror(percent=None),
        ROUTE_MIRROR_FIRST_KEY_REMOVED,
    ),
    "gateway-mirror-remove-one-of-several-filters": (
        ROUTE_INDENTED_WITH_MIRROR,
        gateway_mirror(rule="split", percent=None),
        ROUTE_INDENTED,
    ),
    "gateway-mirror-remove-absent-is-a-no-op": (ROUTE, gateway_mirror(percent=None), ROUTE),
}


@pytest.mark.parametrize(("text", "call", "expected"), CHANGES.values(), ids=CHANGES.keys())
def test_change(text: str, call: Call, expected: str) -> None:
    out = call(text)
    assert out == expected
    assert call(out) == out  # idempotent


# refusals ---------------------------------------------------------------------------------------

VS_ONLY_PROMOTER = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: reviews}
      weight: 100
"""

VS_FOREIGN = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    match:
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: reviews}
    timeout: 5s
  - route:
    - destination: {host: reviews}
"""

VS_CATCH_ALL_NAMED = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    route:
    - destination: {host: reviews}
"""

VS_TWICE = """\
kind: VirtualService
metadata: {name: reviews}
spec:
  http:
  - name: canary-header
    route: [{destination: {host: a}}]
  - name: canary-header
    route: [{destination: {host: b}}]
"""

ROUTE_FRACTION = """\
kind: HTTPRoute
metadata: {name: checkout}
spec:
  rules:
  - backendRefs:
    - name: checkout-stable
    filters:
    - type: RequestMirror
      requestMirror:
        backendRef: {name: checkout-canary, port: 8080}
        fraction: {numerator: 1, denominator: 3}
"""

ROUTE_TWO_MIRRORS = """\
kind: HTTPRoute
metadata: {name: checkout}
spec:
  rules:
  - backendRefs:
    - name: checkout-stable
    filters:
    - {type: RequestMirror, requestMirror: {backendRef: {name: checkout-canary}, percent: 5}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: checkout-canary}, percent: 7}}
"""

REFUSED: dict[str, tuple[str, Call, str]] = {
    "no-such-resource": (ROUTE, istio_header(), "no VirtualService in the file"),
    "no-such-name": (MULTI, istio_header(name="details"), "no VirtualService details in the file"),
    "two-resources-unnamed": (MULTI, istio_header(), "2 VirtualService resources in the file"),
    "no-spec-http": (
        "kind: VirtualService\nmetadata: {name: reviews}\nspec:\n  tcp: []\n",
        istio_header(),
        "VirtualService reviews has no spec.http routes",
    ),
    "no-spec-http-on-removal": (
        "kind: VirtualService\nmetadata: {name: reviews}\nspec: {}\n",
        istio_header(match=None),
        "VirtualService reviews has no spec.http routes",
    ),
    "empty-spec-http": (
        "kind: VirtualService\nmetadata: {name: reviews}\nspec:\n  http: []\n",
        istio_header(),
        "VirtualService reviews has no spec.http routes",
    ),
    "flow-spec-http": (
        "kind: VirtualService\nmetadata: {name: reviews}\nspec:\n  http: [{route: [{destination: {host: a}}]}]\n",
        istio_header(),
        "spec.http is a flow list",
    ),
    "a-route-promoter-did-not-write": (
        VS_FOREIGN,
        istio_header(),
        "spec.http[0] ('canary-header') has fields promoter does not write (timeout)",
    ),
    "removing-a-route-promoter-did-not-write": (
        VS_FOREIGN,
        istio_header(match=None),
        "has fields promoter does not write (timeout)",
    ),
    "a-catch-all-of-that-name": (VS_CATCH_ALL_NAMED, istio_header(), "('canary-header') has no match"),
    "a-header-route-is-not-a-mirror": (VS_WITH_HEADER_ROUTE, istio_mirror(route="canary-header"), "has no mirror"),
    "two-routes-of-that-name": (VS_TWICE, istio_header(), "2 items named 'canary-header' in spec.http (lines 5, 7)"),
    "removing-the-only-route": (VS_ONLY_PROMOTER, istio_header(match=None), "is the only item in spec.http"),
    "no-canary-host": (VS_INDENTED, istio_header(canary_host=""), "a destination needs a host"),
    "empty-header-name": (VS_INDENTED, istio_header(match=[H("", "1")]), "a header match needs a header name"),
    "empty-match": (VS_INDENTED, istio_header(match=[]), "an empty header match matches every request"),
    "unknown-kind": (VS_INDENTED, istio_header(match=[H("x", "1", "suffix")]), "kind 'suffix' is not one of"),
    "header-twice": (
        VS_INDENTED,
        istio_header(match=[H("x-a", "1"), H("X-A", "2")]),
        "header X-A is matched twice",
    ),
    "route-without-name": (VS_INDENTED, istio_header(route=""), "promoter's route needs a name"),
    "mirror-without-match": (VS_INDENTED, istio_mirror(match=None), "a mirror route needs a header match"),
    "mirror-over-100": (VS_INDENTED, istio_mirror(percent=100.5), "mirror percentage 100.5 is not between 0 and 100"),
    "mirror-negative": (VS_INDENTED, istio_mirror(percent=-1), "mirror percentage -1 is not between 0 and 100"),
    "mirror-bool": (VS_INDENTED, istio_mirror(percent=True), "mirror percentage True is not between 0 and 100"),
    "mirror-nan": (VS_INDENTED, istio_mirror(percent=float("nan")), "mirror percentage nan is not between 0 and 100"),
    "gateway-prefix": (
        ROUTE,
        gateway_header(match=[H("x-user", "beta.", "prefix")]),
        r"no prefix match for headers (only Exact and RegularExpression): for x-user use kind='regex' with value '^beta\\.'",
    ),
    "gateway-empty-value": (ROUTE, gateway_header(match=[H("x-user", "")]), "needs a value to match header x-user"),
    "gateway-no-spec-rules": (
        "kind: HTTPRoute\nmetadata: {name: web}\nspec:\n  parentRefs: [{name: gw}]\n",
        gateway_header(),
        "HTTPRoute web has no spec.rules routes",
    ),
    "gateway-rule-name-not-a-section-name": (
        ROUTE,
        gateway_header(route="Canary_Header"),
        "Gateway API rule names are lowercase letters, digits and '-' (a SectionName): 'Canary_Header'",
    ),
    "gateway-bad-port": (ROUTE, gateway_header(port=0), "port 0 is not between 1 and 65535"),
    "gateway-rule-with-foreign-fields": (
        ROUTE_WITH_HEADER_RULE.replace("  # the stable", "    filters: []\n  # the stable"),
        gateway_header(),
        "has fields promoter does not write (filters)",
    ),
    "gateway-mirror-over-100": (ROUTE_WITH_MIRROR, gateway_mirror(percent=101), "mirror percentage 101 is not"),
    "gateway-mirror-not-whole": (
        ROUTE_WITH_MIRROR,
        gateway_mirror(percent=2.5),
        "the Gateway API takes a whole percent",
    ),
    "gateway-mirror-no-such-rule": (
        ROUTE_WITH_MIRROR,
        gateway_mirror(rule=3),
        "HTTPRoute checkout has no spec.rules[3]",
    ),
    "gateway-mirror-no-such-rule-name": (ROUTE_WITH_MIRROR, gateway_mirror(rule="split"), "no rule named 'split'"),
    "gateway-no-canary-service": (ROUTE, gateway_header(canary_service=""), "a backendRef needs a Service name"),
    "gateway-mirror-rule-not-a-mapping": (
        "kind: HTTPRoute\nmetadata: {name: web}\nspec:\n  rules:\n  - just-a-word\n",
        gateway_mirror(),
        "HTTPRoute web: spec.rules[0] is not a mapping",
    ),
    "gateway-mirror-filters-not-a-list": (
        "kind: HTTPRoute\nmetadata: {name: web}\nspec:\n  rules:\n  - filters: {type: RequestMirror}\n",
        gateway_mirror(),
        "HTTPRoute web: spec.rules[0].filters is not a list",
    ),
    "gateway-mirror-rule-name-among-odd-rules": (
        "kind: HTTPRoute\nmetadata: {name: web}\nspec:\n  rules:\n  - just-a-word\n",
        gateway_mirror(rule="split"),
        "HTTPRoute web: no rule named 'split' in spec.rules",
    ),
    "gateway-mirror-twice": (ROUTE_TWO_MIRRORS, gateway_mirror(), "mirrors to 'checkout-canary' 2 times: ambiguous"),
    "gateway-mirror-foreign-fields": (
        ROUTE_WITH_MIRROR.replace(
            "          port: 8080\n        percent", "          namespace: shadow\n        percent"
        ),
        gateway_mirror(),
        "spec.rules[0].filters[0] has fields promoter does not write (namespace)",
    ),
    "gateway-mirror-fraction": (ROUTE_FRACTION, gateway_mirror(), "mirrors a fraction (numerator/denominator)"),
    "gateway-mirror-into-flow-filters": (
        ROUTE.replace("      weight: 10\n", "      weight: 10\n    filters: []\n"),
        gateway_mirror(canary_service="helloworld-v2"),
        "spec.rules.0.filters is a flow list",
    ),
}


@pytest.mark.parametrize(("text", "call", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(text: str, call: Call, reason: str) -> None:
    with pytest.raises(EditError) as info:
        call(text)
    assert reason in info.value.reason


def test_a_refusal_names_the_line() -> None:
    with pytest.raises(EditError) as info:
        istio_header()(VS_FOREIGN)
    assert (info.value.line, info.value.column) == (5, 5)


# properties -------------------------------------------------------------------------------------

ROUTE_NAMES = st.sampled_from(["canary-header", "true", "mirror-route", "x.y/z"])
RULE_NAMES = st.sampled_from(["canary-header", "true", "h2"])
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def _document(text: str, kind: str) -> int:
    source = Source(text)
    return next(i for i in range(source.count) if (plain(source.document(i).root) or {}).get("kind") == kind)


def _only_inserted(before: str, after: str) -> None:
    """``after`` is ``before`` with one run of whole lines added, in the file's own line breaks."""
    prefix = 0
    while prefix < len(before) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = len(before) - prefix
    assert after[len(after) - suffix :] == before[prefix:]
    added = after[prefix : len(after) - suffix]
    if "\r\n" in before:
        assert "\n" not in added.replace("\r\n", "")
    assert after.endswith("\n") == before.endswith("\n")


def _reads(text: str, doc: int, items: str) -> list[Any]:
    value = plain(Source(text).document(doc).root)
    assert isinstance(value, dict)
    return value["spec"][items]


@PROPERTY
@given(
    text=virtual_services(),
    route=ROUTE_NAMES,
    first=header_matches(gateway=False),
    second=header_matches(gateway=False),
)
def test_istio_header_route_round_trip(text: str, route: str, first: list[H], second: list[H]) -> None:
    doc = _document(text, "VirtualService")
    call = istio_header(route=route, match=first)
    inserted = call(text)
    _only_inserted(text, inserted)
    routes_after = _reads(inserted, doc, "http")
    assert routes_after[0]["name"] == route
    assert same_plain(routes_after[1:], _reads(text, doc, "http"))
    assert call(inserted) == inserted
    updated = istio_header(route=route, match=second, canary_subset=None)(inserted)
    assert istio_header(route=route, match=None)(updated) == text
    assert istio_header(route=route, match=None)(text) == text


@PROPERTY
@given(
    text=virtual_services(),
    match=header_matches(gateway=False),
    first=st.integers(0, 100) | st.floats(0, 100, allow_nan=False),
    second=st.integers(0, 100),
)
def test_istio_mirror_round_trip(text: str, match: list[H], first: float, second: int) -> None:
    inserted = istio_mirror(match=match, percent=first)(text)
    _only_inserted(text, inserted)
    updated = istio_mirror(match=match, percent=second, canary_subset="v2")(inserted)
    assert istio_mirror(percent=None)(updated) == text


@PROPERTY
@given(text=http_routes(), route=RULE_NAMES, first=header_matches(gateway=True), second=header_matches(gateway=True))
def test_gateway_header_route_round_trip(text: str, route: str, first: list[H], second: list[H]) -> None:
    doc = _document(text, "HTTPRoute")
    call = gateway_header(route=route, match=first)
    inserted = call(text)
    _only_inserted(text, inserted)
    assert _reads(inserted, doc, "rules")[0]["name"] == route
    assert call(inserted) == inserted
    updated = gateway_header(route=route, match=second, port=None)(inserted)
    assert gateway_header(route=route, match=None)(updated) == text


@PROPERTY
@given(text=http_routes(), data=st.data(), first=st.integers(0, 100), second=st.integers(0, 100))
def test_gateway_mirror_round_trip(text: str, data: st.DataObject, first: int, second: int) -> None:
    rules = _reads(text, _document(text, "HTTPRoute"), "rules")
    rule = data.draw(st.integers(0, len(rules) - 1))
    inserted = gateway_mirror(rule=rule, percent=first)(text)
    _only_inserted(text, inserted)
    assert gateway_mirror(rule=rule, percent=first)(inserted) == inserted
    updated = gateway_mirror(rule=rule, percent=second, port=None)(inserted)
    assert gateway_mirror(rule=rule, percent=None)(updated) == text


def _corpus_resources(corpus: Path, kind: str, items: str) -> list[tuple[Path, str, int]]:
    """Every resource of ``kind`` in the corpus with a block list of ``spec.<items>``."""
    found: list[tuple[Path, str, int]] = []
    for path in sorted(corpus.glob("repos/**/*.y*ml")):
        text = path.read_text(encoding="utf-8")
        if f"kind: {kind}" not in text:
            continue
        source = Source(text)
        for i in range(source.count):
            root = source.document(i).root
            value = plain(root)
            if not isinstance(value, dict) or value.get("kind") != kind:
                continue
            assert isinstance(root, MappingNode)
            spec = next((v for k, v in root.value if k.value == "spec"), None)
            listed = (
                next((v for k, v in spec.value if k.value == items), None) if isinstance(spec, MappingNode) else None
            )
            if isinstance(listed, SequenceNode) and listed.value and not listed.flow_style:
                found.append((path, text, i))
    return found


def test_corpus_virtual_services_round_trip(corpus: Path) -> None:
    found = _corpus_resources(corpus, "VirtualService", "http")
    assert len(found) >= 20
    for path, text, doc in found:
        header = istio_header(doc=doc, match=[H("x-canary", "true"), H("end-user", "1.10", "prefix")])
        inserted = header(text)
        _only_inserted(text, inserted)
        assert header(inserted) == inserted, path
        assert istio_header(doc=doc, match=None)(inserted) == text, path
        mirror = istio_mirror(doc=doc, percent=20)
        mirrored = mirror(text)
        assert istio_mirror(doc=doc, percent=None)(istio_mirror(doc=doc, percent=80)(mirrored)) == text, path


def test_corpus_http_routes_round_trip(corpus: Path) -> None:
    found = _corpus_resources(corpus, "HTTPRoute", "rules")
    assert found
    for path, text, doc in found:
        header = gateway_header(doc=doc)
        inserted = header(text)
        _only_inserted(text, inserted)
        assert gateway_header(doc=doc, match=None)(inserted) == text, path
        mirrored = gateway_mirror(doc=doc, percent=30)(inserted)
        assert gateway_mirror(doc=doc, percent=None)(mirrored) == inserted, path
