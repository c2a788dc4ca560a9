"""The exporter on its own: request totals integrated over a stepped clock, bad and slow versions, the text
format Prometheus scrapes, and the HTTP server."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from promoter.gitops.manifests import Manifest, load_documents
from promoter.sandbox.traffic import CONTENT_TYPE, Options, TrafficSimulator
from promoter.sandbox.traffic.metrics import BUCKETS_MS

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME, namespace: staging}
spec:
  replicas: REPLICAS
  template:
    metadata: {labels: {app: shop, track: NAME}}
    spec:
      containers: [{name: shop, image: "ghcr.io/acme/shop:VERSION"}]
"""
SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: staging}
spec: {selector: {track: shop}}
---
apiVersion: v1
kind: Service
metadata: {name: shop-canary, namespace: staging}
spec: {selector: {track: shop-canary}}
"""
ROUTE = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: shop, namespace: staging}
spec:
  hosts: [shop]
  http:
    - route:
        - {destination: {host: shop}, weight: STABLE}
        - {destination: {host: shop-canary}, weight: CANARY}
"""
ISTIO_LABELS = {
    "reporter",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_workload",
    "destination_workload_namespace",
    "destination_version",
    "destination_app",
    "response_code",
}


def canary_at(weight: int, version: str = "2.0.0", pods: int = 2) -> list[Manifest]:
    texts = [
        DEPLOYMENT.replace("NAME", "shop").replace("REPLICAS", "4").replace("VERSION", "1.0.0"),
        DEPLOYMENT.replace("NAME", "shop-canary").replace("REPLICAS", str(pods)).replace("VERSION", version),
        SERVICES,
        ROUTE.replace("STABLE", str(100 - weight)).replace("CANARY", str(weight)),
    ]
    return [doc for text in texts for doc in load_documents(text, "test")]


@dataclasses.dataclass
class Cluster:
    """What the Argo CD simulator would say is deployed, and a clock, both stepped by the test."""

    deployed: dict[str, Sequence[Manifest]]
    now: float = 1000.0

    def read(self) -> Mapping[str, Sequence[Manifest]]:
        return dict(self.deployed)

    def clock(self) -> float:
        return self.now


Totals = dict[tuple[str, str, str, str], float]  # (reporter, workload, version, code) -> requests


def scrape(traffic: TrafficSimulator) -> tuple[Totals, dict[str, dict[tuple[str, str], float]]]:
    """The request totals, and each histogram sample by (name, labels as text)."""
    totals: Totals = {}
    histogram: dict[str, dict[tuple[str, str], float]] = {}
    for family in text_string_to_metric_families(traffic.exposition().decode()):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "istio_requests_total":
                key = (labels["reporter"], labels["destination_workload"], labels["destination_version"])
                totals[(*key, labels["response_code"])] = sample.value
            elif family.name == "istio_request_duration_milliseconds" and labels["reporter"] == "destination":
                series = f"{labels['destination_workload']}/{labels['response_code']}"
                histogram.setdefault(series, {})[(sample.name, labels.get("le", ""))] = sample.value
    return totals, histogram


def by_workload(totals: Totals, code: str | None = None) -> dict[str, float]:
    summed: dict[str, float] = {}
    for (reporter, workload, _, response), value in totals.items():
        if reporter == "destination" and code in (None, response):
            summed[workload] = summed.get(workload, 0.0) + value
    return summed


def exporter(cluster: Cluster, **options: object) -> TrafficSimulator:
    return TrafficSimulator(cluster.read, options=Options(**options), clock=cluster.clock)  # type: ignore[arg-type]


def test_the_requests_follow_the_rate_and_the_shares() -> None:
    cluster = Cluster({"shop-staging": canary_at(20)})
    traffic = exporter(cluster)
    cluster.now += 60
    totals, _ = scrape(traffic)
    got = by_workload(totals)
    # 50 rps for a minute, 80/20, within the jitter (a few %, averaged over 60 one-second slots).
    assert got["shop"] == pytest.approx(2400, rel=0.02)
    assert got["shop-canary"] == pytest.approx(600, rel=0.02)
    assert {version for (_, workload, version, _) in totals if workload == "shop-canary"} == {"2.0.0"}
    # Both proxies report every request.
    assert {k[1:]: v for k, v in totals.items() if k[0] == "source"} == {
        k[1:]: v for k, v in totals.items() if k[0] == "destination"
    }


def test_the_totals_depend_on_elapsed_time_only_not_on_when_they_are_read() -> None:
    often, seldom = Cluster({"a": canary_at(30)}), Cluster({"a": canary_at(30)})
    frequent, rare = exporter(often), exporter(seldom)
    for _ in range(40):
        often.now += 0.25
        frequent.exposition()
    seldom.now += 10
    assert scrape(frequent)[0] == scrape(rare)[0]


def test_totals_only_grow_when_the_shares_change_and_follow_the_new_shares() -> None:
    cluster = Cluster({"a": canary_at(0, pods=0)})
    traffic = exporter(cluster)
    steps = [canary_at(0), canary_at(10), canary_at(50), canary_at(50, "3.0.0"), canary_at(0), canary_at(0, pods=0)]
    before: Totals = {}
    increments = []
    for manifests in steps:
        cluster.deployed["a"] = manifests
        scrape(traffic)  # the new shares are seen; they count from now on
        cluster.now += 20
        totals, _ = scrape(traffic)
        assert all(totals.get(key, 0) >= value for key, value in before.items()), "a total went down"
        assert set(before) <= set(totals), "a series disappeared"
        increments.append(
            {w: by_workload(totals).get(w, 0) - by_workload(before).get(w, 0) for w in ("shop", "shop-canary")}
        )
        before = totals
    canary_rates = [round(step["shop-canary"] / 20 / 50, 2) for step in increments]
    assert canary_rates == pytest.approx([0, 0.1, 0.5, 0.5, 0, 0], abs=0.02)
    assert sum(step["shop"] for step in increments) == pytest.approx(50 * 20 * (1 + 0.9 + 0.5 + 0.5 + 1 + 1), rel=0.02)
    versions = {version for (_, workload, version, _) in before if workload == "shop-canary"}
    assert versions == {"2.0.0", "3.0.0"}  # the old version's series stays, at its last total


def test_a_bad_version_answers_errors_and_a_good_one_almost_never() -> None:
    cluster = Cluster({"a": canary_at(50, "2.0.0-bad")})
    traffic = exporter(cluster, error_images=("*:*-bad*",))
    cluster.now += 100
    totals, _ = scrape(traffic)
    errors, everything = by_workload(totals, "503"), by_workload(totals)
    assert errors["shop-canary"] / everything["shop-canary"] == pytest.approx(0.6, abs=0.02)
    assert errors.get("shop", 0) / everything["shop"] == pytest.approx(0.001, abs=0.001)
    assert by_workload(totals, "200")["shop-canary"] == pytest.approx(0.4 * 2500, rel=0.03)


def test_the_scenario_s_failing_images_answer_errors_too_and_the_options_change_at_run_time() -> None:
    cluster = Cluster({"a": canary_at(50, "2.0.0")})
    failing: list[str] = []
    traffic = TrafficSimulator(cluster.read, failing=lambda: failing, clock=cluster.clock)
    scrape(traffic)
    failing.append("*:2.0.0")  # the Argo CD simulator's fail_images, read at each look
    scrape(traffic)
    cluster.now += 50
    totals, _ = scrape(traffic)
    assert by_workload(totals, "503")["shop-canary"] == pytest.approx(0.6 * 1250, rel=0.03)

    traffic.set_options(follow_scenario=False, error_code=500, error_ratio=1.0)
    cluster.now += 50
    later, _ = scrape(traffic)
    assert by_workload(later, "503")["shop-canary"] == by_workload(totals, "503")["shop-canary"]  # frozen
    assert by_workload(later, "500").get("shop-canary", 0) == pytest.approx(1.25, abs=2)  # baseline only
    with pytest.raises(ValueError, match="error_ratio"):
        traffic.set_options(error_ratio=2)


def test_a_slow_version_is_ten_times_slower() -> None:
    cluster = Cluster({"a": canary_at(50, "2.0.0-slow")})
    traffic = exporter(cluster, slow_images=("*-slow",))
    cluster.now += 60
    _, histogram = scrape(traffic)
    good, slow = histogram["shop/200"], histogram["shop-canary/200"]

    def mean(series: dict[tuple[str, str], float]) -> float:
        return (
            series[("istio_request_duration_milliseconds_sum", "")]
            / series[("istio_request_duration_milliseconds_count", "")]
        )

    assert 25 <= mean(good) <= 40
    assert mean(slow) == pytest.approx(10 * mean(good), rel=0.05)
    # Nearly all good requests between 10 and 50 ms; none of the slow ones within 100 ms.
    count = good[("istio_request_duration_milliseconds_count", "")]
    assert (
        good[("istio_request_duration_milliseconds_bucket", "50")]
        - good[("istio_request_duration_milliseconds_bucket", "10")]
        >= 0.98 * count
    )
    assert slow[("istio_request_duration_milliseconds_bucket", "100")] == 0


def test_the_exposition_is_istio_s() -> None:
    cluster = Cluster({"a": canary_at(50)})
    traffic = exporter(cluster)
    cluster.now += 10
    families = {f.name: f for f in text_string_to_metric_families(traffic.exposition().decode())}
    assert families["istio_requests"].type == "counter"
    assert families["istio_request_duration_milliseconds"].type == "histogram"
    requests = families["istio_requests"].samples
    assert {s.labels["reporter"] for s in requests} == {"source", "destination"}
    assert all(set(s.labels) >= ISTIO_LABELS for s in requests)
    canary = next(s.labels for s in requests if s.labels["destination_workload"] == "shop-canary")
    assert canary["destination_service"] == "shop-canary.staging.svc.cluster.local"
    assert (canary["destination_service_name"], canary["destination_service_namespace"]) == ("shop-canary", "staging")
    assert (canary["destination_version"], canary["destination_app"]) == ("2.0.0", "shop")
    histogram = families["istio_request_duration_milliseconds"].samples
    bounds = {s.labels["le"] for s in histogram if s.name.endswith("_bucket")}
    assert bounds == {*(f"{b:g}" for b in BUCKETS_MS), "+Inf"}  # as Go writes floats, like Istio
    for series in {
        (s.labels["destination_workload"], s.labels["response_code"], s.labels["reporter"]) for s in histogram
    }:
        buckets = [
            s
            for s in histogram
            if s.name.endswith("_bucket")
            and (s.labels["destination_workload"], s.labels["response_code"], s.labels["reporter"]) == series
        ]
        values = [s.value for s in sorted(buckets, key=lambda s: float(s.labels["le"]))]
        assert values == sorted(values) and all(math.isfinite(v) for v in values)
    text = traffic.exposition().decode()
    assert 'le="3.6e+06"' in text and 'le="0.5"' in text  # Go's float format, like Istio's proxies


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="rate"):
        Options(rate=-1)
    with pytest.raises(ValueError, match="jitter"):
        Options(jitter=1)


def test_it_serves_metrics_and_its_state_over_http() -> None:
    cluster = Cluster({"a": canary_at(25)})
    with exporter(cluster) as traffic:
        assert traffic.target == traffic.url.removeprefix("http://")
        cluster.now += 5
        with httpx.Client(base_url=traffic.url, timeout=5) as client:
            metrics = client.get("/metrics")
            assert metrics.status_code == 200
            assert metrics.headers["content-type"] == CONTENT_TYPE
            assert "istio_requests_total{" in metrics.text
            state = client.get("/_sim/traffic").json()
            assert client.get("/nothing").status_code == 404
    flows = {flow["workload"]: flow for flow in state["flows"]}
    assert {w: (f["share"], f["per_second"], f["version"]) for w, f in flows.items()} == {
        "shop": (0.75, 37.5, "1.0.0"),
        "shop-canary": (0.25, 12.5, "2.0.0"),
    }
    assert state["options"]["rate"] == 50.0
    with pytest.raises(RuntimeError, match="not started"):
        _ = traffic.url
