"""Traffic helpers: "canary N%" in each format's own scale, plus selector and replicas helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from promoter.yamledit import editor, traffic
from promoter.yamledit.errors import EditError

VIRTUAL_SERVICE = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - name: header-route
    match:
    - headers: {x-canary: {exact: "1"}}
    route:
    - destination: {host: reviews, subset: v2}
  - name: primary
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 100
    - destination:
        host: reviews
        subset: v2
      weight: 0
"""


def test_istio_route_by_name() -> None:
    edits = traffic.istio_virtual_service(VIRTUAL_SERVICE, 25, stable="v1", canary="v2", route="primary")
    out = editor.apply(VIRTUAL_SERVICE, edits)
    assert out == VIRTUAL_SERVICE.replace("weight: 100", "weight: 75").replace("weight: 0", "weight: 25")


def test_istio_by_host_and_corpus_file(corpus: Path) -> None:
    path = corpus / "repos/istio+istio/samples/bookinfo/networking/virtual-service-reviews-90-10.yaml"
    text = path.read_text()
    out = editor.apply(text, traffic.istio_virtual_service(text, 20, stable="v1", canary="v2"))
    assert (
        out.encode()
        == (corpus / "expected/I01/samples/bookinfo/networking/virtual-service-reviews-90-10.yaml").read_bytes()
    )


def test_istio_with_a_third_destination_keeps_it() -> None:
    text = "kind: VirtualService\nspec:\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 60\n    - destination: {host: b}\n      weight: 0\n    - destination: {host: c}\n      weight: 40\n"
    out = editor.apply(text, traffic.istio_virtual_service(text, 10, stable="a", canary="b"))
    assert "weight: 50" in out and "weight: 10" in out and "weight: 40" in out
    with pytest.raises(EditError, match="exceeds"):
        traffic.istio_virtual_service(text, 70, stable="a", canary="b")


def test_istio_missing_destination() -> None:
    with pytest.raises(EditError, match="no destination 'v9'"):
        traffic.istio_virtual_service(VIRTUAL_SERVICE, 10, stable="v1", canary="v9", route="primary")


def test_gateway_api_keeps_the_pair_total(corpus: Path) -> None:
    path = corpus / "repos/istio+istio/samples/helloworld/gateway-api/helloworld-route.yaml"
    text = path.read_text()
    out = editor.apply(text, traffic.gateway_http_route(text, 50, stable="helloworld-v1", canary="helloworld-v2"))
    assert out.encode() == (corpus / "expected/I03/samples/helloworld/gateway-api/helloworld-route.yaml").read_bytes()


def test_gateway_api_thousand_scale() -> None:
    text = "kind: HTTPRoute\nspec:\n  rules:\n  - backendRefs:\n    - name: s\n      weight: 1000\n    - name: c\n      weight: 0\n"
    out = editor.apply(text, traffic.gateway_http_route(text, 5, stable="s", canary="c"))
    assert "weight: 950" in out and "weight: 50" in out


def test_smi_traffic_split() -> None:
    text = "apiVersion: split.smi-spec.io/v1alpha2\nkind: TrafficSplit\nspec:\n  service: web\n  backends:\n  - service: web-stable\n    weight: 100\n  - service: web-canary\n    weight: 0\n"
    out = editor.apply(text, traffic.smi_traffic_split(text, 30, stable="web-stable", canary="web-canary"))
    assert out == text.replace("weight: 100", "weight: 70").replace("weight: 0", "weight: 30")


NGINX = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "0"
"""


def test_nginx_canary_weight_annotation_stays_a_string() -> None:
    out = editor.apply(NGINX, traffic.nginx_canary_ingress(NGINX, 40))
    assert out == NGINX.replace('canary-weight: "0"', 'canary-weight: "40"')


def test_nginx_weight_total() -> None:
    text = NGINX + '    nginx.ingress.kubernetes.io/canary-weight-total: "1000"\n'
    out = editor.apply(text, traffic.nginx_canary_ingress(text, 5))
    assert 'canary-weight: "50"' in out


KNATIVE = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    metadata:
      name: hello-v2
  traffic:
  - tag: current
    revisionName: hello-v1
    percent: 100
  - tag: candidate
    latestRevision: true
    percent: 0
"""


def test_knative_percent() -> None:
    out = editor.apply(KNATIVE, traffic.knative_service(KNATIVE, 10, stable="current", canary="@latest"))
    assert out == KNATIVE.replace("percent: 100", "percent: 90").replace("percent: 0", "percent: 10")


OPENSHIFT = """\
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: web
spec:
  to:
    kind: Service
    name: web-blue
    weight: 100
  alternateBackends:
  - kind: Service
    name: web-green
    weight: 0
"""


def test_openshift_route_weights() -> None:
    out = editor.apply(OPENSHIFT, traffic.openshift_route(OPENSHIFT, 20, stable="web-blue", canary="web-green"))
    assert out == OPENSHIFT.replace("weight: 100", "weight: 80").replace("weight: 0", "weight: 20")


def test_service_selector_keeps_the_quoted_version(corpus: Path) -> None:
    path = corpus / "repos/ianlewis+kubernetes-bluegreen-deployment-tutorial/kubernetes/service.yaml"
    text = path.read_text()
    out = editor.apply(text, traffic.service_selector(text, "version", "1.11"))
    assert out.encode() == (corpus / "expected/L01/kubernetes/service.yaml").read_bytes()


def test_replicas_in_a_multi_document_file(corpus: Path) -> None:
    path = corpus / "repos/istio+istio/samples/bookinfo/platform/kube/bookinfo.yaml"
    text = path.read_text()
    out = editor.apply(text, traffic.replicas(text, 2, name="reviews-v2"))
    assert out.encode() == (corpus / "expected/I02/samples/bookinfo/platform/kube/bookinfo.yaml").read_bytes()


def test_replica_ratio_keeps_one_canary_pod() -> None:
    assert traffic.replica_ratio(4, 25) == (3, 1)
    assert traffic.replica_ratio(4, 5) == (3, 1)
    assert traffic.replica_ratio(4, 0) == (4, 0)


@pytest.mark.parametrize("percent", [-1, 101])
def test_out_of_range_percent(percent: int) -> None:
    with pytest.raises(EditError, match="between 0 and 100"):
        traffic.istio_virtual_service(VIRTUAL_SERVICE, percent, stable="v1", canary="v2", route="primary")


def test_ambiguous_resource_asks_for_a_name() -> None:
    with pytest.raises(EditError, match="2 Ingress"):
        traffic.replicas(NGINX, 1, kind="Ingress")
