"""Health as Argo CD judges it, as pure functions: each workload by its kind, images, replicas and last change;
the Application as the worst; the controller timing each workload from the deployment that changed it."""

from __future__ import annotations

import datetime as dt

import pytest

from promoter.core.appstatus import Health, SyncStatus
from promoter.gitops.manifests import ResourceKey, load_documents
from promoter.sandbox.argocd import health, lifecycle
from promoter.sandbox.argocd.health import Assessment, Workload
from promoter.sandbox.argocd.lifecycle import Desired, Inputs
from promoter.sandbox.argocd.scenario import Outcome, Scenario

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
ROLLED_OUT = T0 + dt.timedelta(seconds=10)
GROUPS = {
    "Deployment": "apps",
    "StatefulSet": "apps",
    "DaemonSet": "apps",
    "ReplicaSet": "apps",
    "Pod": "",
    "Job": "batch",
    "CronJob": "batch",
    "Rollout": "argoproj.io",
    "Service": "serving.knative.dev",
}


def key(kind: str, name: str = "web", group: str | None = None) -> ResourceKey:
    return ResourceKey(GROUPS.get(kind, "") if group is None else group, "v1", kind, "shop", name)


def workload(
    kind: str = "Deployment", image: str = "web:1", replicas: int | None = 3, paused: bool = False
) -> Workload:
    return Workload(key(kind), (image,), replicas, paused)


@pytest.mark.parametrize(
    ("subject", "outcome", "seconds", "expected"),
    [
        pytest.param(workload(), Outcome.HEALTHY, 10, Assessment(key("Deployment"), Health.HEALTHY), id="rolled-out"),
        pytest.param(
            workload(),
            Outcome.HEALTHY,
            9,
            Assessment(
                key("Deployment"),
                Health.PROGRESSING,
                "Waiting for rollout to finish: 0 of 3 updated replicas are available...",
                ROLLED_OUT,
            ),
            id="rolling-out",
        ),
        pytest.param(
            workload(image="web:bad-1"),
            Outcome.DEGRADED,
            10,
            Assessment(
                key("Deployment"),
                Health.DEGRADED,
                "image web:bad-1 failing: the rollout exceeded its progress deadline",
            ),
            id="failing-deployment",
        ),
        pytest.param(
            workload(image="web:bad-1", replicas=0),
            Outcome.DEGRADED,
            10,
            Assessment(key("Deployment"), Health.HEALTHY),
            id="failing-at-zero-replicas",
        ),
        pytest.param(
            workload(image="web:bad-1", replicas=0),
            Outcome.DEGRADED,
            0,
            Assessment(key("Deployment"), Health.HEALTHY),
            id="zero-replicas-have-nothing-to-roll-out",
        ),
        pytest.param(
            workload(image="web:stuck"),
            Outcome.STUCK,
            3600,
            Assessment(
                key("Deployment"),
                Health.PROGRESSING,
                "Waiting for rollout to finish: 0 of 3 updated replicas are available...",
            ),
            id="stuck-for-ever",
        ),
        pytest.param(
            workload(image="web:stuck", replicas=0),
            Outcome.STUCK,
            3600,
            Assessment(key("Deployment"), Health.HEALTHY),
            id="stuck-at-zero-replicas",
        ),
        pytest.param(
            workload("Rollout", "web:paused"),
            Outcome.SUSPENDED,
            10,
            Assessment(key("Rollout"), Health.SUSPENDED, "image web:paused: the rollout is paused"),
            id="rollout-at-a-pause-step",
        ),
        pytest.param(
            workload("Rollout", paused=True),
            Outcome.HEALTHY,
            0,
            Assessment(key("Rollout"), Health.SUSPENDED, "Rollout is paused"),
            id="rollout-paused-in-its-spec",
        ),
        pytest.param(
            workload("Rollout", "web:bad-1"),
            Outcome.DEGRADED,
            10,
            Assessment(
                key("Rollout"), Health.DEGRADED, "image web:bad-1 failing: the rollout exceeded its progress deadline"
            ),
            id="failing-rollout",
        ),
        pytest.param(
            workload("StatefulSet", "web:paused"),
            Outcome.SUSPENDED,
            10,
            Assessment(key("StatefulSet"), Health.HEALTHY),
            id="a-statefulset-does-not-pause",
        ),
        pytest.param(
            workload("StatefulSet", "web:bad-1"),
            Outcome.DEGRADED,
            3600,
            Assessment(key("StatefulSet"), Health.PROGRESSING, "Waiting for 3 pods to be ready..."),
            id="failing-statefulset-waits",
        ),
        pytest.param(
            workload("DaemonSet", "web:bad-1", None),
            Outcome.DEGRADED,
            3600,
            Assessment(
                key("DaemonSet"),
                Health.PROGRESSING,
                'Waiting for daemon set "web" rollout to finish: 0 of 1 updated pods are available...',
            ),
            id="failing-daemonset-waits",
        ),
        pytest.param(
            workload("ReplicaSet", "web:bad-1", 2),
            Outcome.DEGRADED,
            3600,
            Assessment(
                key("ReplicaSet"),
                Health.PROGRESSING,
                "Waiting for rollout to finish: 0 out of 2 new replicas are available...",
            ),
            id="failing-replicaset-waits",
        ),
        pytest.param(
            workload("Pod", "web:bad-1", None),
            Outcome.DEGRADED,
            10,
            Assessment(key("Pod"), Health.DEGRADED, "image web:bad-1 failing: back-off restarting failed container"),
            id="failing-pod",
        ),
        pytest.param(
            workload("Job", "web:bad-1", None),
            Outcome.DEGRADED,
            10,
            Assessment(
                key("Job"), Health.DEGRADED, "image web:bad-1 failing: Job has reached the specified backoff limit"
            ),
            id="failing-job",
        ),
        pytest.param(
            workload("CronJob", "web:bad-1", None),
            Outcome.DEGRADED,
            10,
            Assessment(key("CronJob"), Health.DEGRADED, "image web:bad-1 failing: CronJob has not run successfully"),
            id="failing-cronjob",
        ),
        pytest.param(
            workload("Service", "web:bad-1", None),
            Outcome.DEGRADED,
            10,
            Assessment(key("Service"), Health.DEGRADED, "image web:bad-1 failing: the revision failed to become ready"),
            id="failing-knative-service",
        ),
        pytest.param(
            Workload(None, ("web:bad-1",)),
            Outcome.DEGRADED,
            10,
            Assessment(None, Health.DEGRADED, "image web:bad-1 failing: the rollout exceeded its progress deadline"),
            id="failing-helm-images",
        ),
        pytest.param(
            Workload(None, ("web:paused",)),
            Outcome.SUSPENDED,
            10,
            Assessment(None, Health.SUSPENDED, "image web:paused: the rollout is paused"),
            id="paused-helm-images",
        ),
    ],
)
def test_a_workloads_health_follows_argo_cds_check_for_its_kind(
    subject: Workload, outcome: Outcome, seconds: float, expected: Assessment
) -> None:
    culprit = None if outcome is Outcome.HEALTHY else subject.images[0]
    assert health.assess(subject, outcome, culprit, ROLLED_OUT, T0 + dt.timedelta(seconds=seconds)) == expected


def assessment(status: Health, kind: str = "Deployment", name: str = "web", message: str | None = None) -> Assessment:
    return Assessment(key(kind, name), status, message)


@pytest.mark.parametrize(
    ("assessed", "expected"),
    [
        pytest.param((), (Health.HEALTHY, None), id="nothing-to-run"),
        pytest.param(
            (assessment(Health.HEALTHY), assessment(Health.SUSPENDED, "Rollout", "web", "Rollout is paused")),
            (Health.SUSPENDED, "Rollout/web: Rollout is paused"),
            id="suspended-beats-healthy",
        ),
        pytest.param(
            (assessment(Health.SUSPENDED, "Rollout", "web", "paused"), assessment(Health.PROGRESSING, message="wait")),
            (Health.PROGRESSING, None),
            id="progressing-beats-suspended",
        ),
        pytest.param(
            (assessment(Health.MISSING), assessment(Health.PROGRESSING)),
            (Health.MISSING, None),
            id="missing-beats-progressing",
        ),
        pytest.param(
            (
                assessment(Health.PROGRESSING, name="web"),
                assessment(Health.DEGRADED, name="web-canary", message="image x failing"),
                assessment(Health.DEGRADED, name="web-other", message="image y failing"),
            ),
            (Health.DEGRADED, "Deployment/web-canary: image x failing"),
            id="degraded-beats-all-and-names-the-first",
        ),
        pytest.param(
            (assessment(Health.DEGRADED), assessment(Health.UNKNOWN)), (Health.UNKNOWN, None), id="unknown-is-worst"
        ),
    ],
)
def test_the_application_is_as_healthy_as_its_worst_workload(
    assessed: tuple[Assessment, ...], expected: tuple[Health, str | None]
) -> None:
    assert health.overall(assessed) == expected


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template: {spec: {containers: [{name: web, image: 'web:1'}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-canary, namespace: shop}
spec:
  replicas: 0
  template: {spec: {containers: [{name: web, image: 'web:2'}]}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api, namespace: shop}
spec:
  replicas: 4
  paused: true
  template: {spec: {containers: [{name: api, image: 'api:1'}]}}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello, namespace: shop}
spec:
  template: {spec: {containers: [{image: 'hello:1'}]}}
  traffic: [{latestRevision: true, percent: 100}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  jobTemplate: {spec: {template: {spec: {containers: [{name: job, image: 'job:1'}]}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flags, namespace: shop}
data: {canary: 'on'}
"""


def test_workloads_are_found_with_their_images_replicas_and_pause() -> None:
    found = health.workloads(load_documents(MANIFESTS, "m.yaml"))
    assert [(w.key.kind if w.key else None, w.images, w.replicas, w.paused) for w in found] == [
        ("Deployment", ("web:1",), 1, False),  # replicas left out: one
        ("Deployment", ("web:2",), 0, False),
        ("Rollout", ("api:1",), 4, True),
        ("Service", ("hello:1",), None, False),  # Knative: scaled by its autoscaler, not by replicas
        ("CronJob", ("job:1",), None, False),
    ]
    assert health.implied(()) == ()


@pytest.mark.parametrize(
    ("group", "kind", "checked"),
    [
        ("apps", "Deployment", True),
        ("", "Service", True),
        ("serving.knative.dev", "Service", True),
        ("networking.k8s.io", "Ingress", True),
        ("", "PersistentVolumeClaim", True),
        ("route.openshift.io", "Route", True),
        ("gateway.networking.k8s.io", "HTTPRoute", True),
        ("gateway.networking.k8s.io", "GRPCRoute", True),
        ("networking.istio.io", "VirtualService", False),
        ("networking.istio.io", "DestinationRule", False),
        ("split.smi-spec.io", "TrafficSplit", False),
        ("", "ConfigMap", False),
        ("argoproj.io", "Application", False),
        ("example.com", "Deployment", False),
    ],
)
def test_only_kinds_argo_cd_has_a_health_check_for_carry_a_health(group: str, kind: str, checked: bool) -> None:
    assert health.has_check(key(kind, group=group)) is checked


STABLE = Workload(key("Deployment", "guestbook"), ("guestbook:1",), 3)
IDLE_CANARY = Workload(key("Deployment", "guestbook-canary"), ("guestbook:bad-2",), 0)
LIVE_CANARY = Workload(key("Deployment", "guestbook-canary"), ("guestbook:bad-2",), 1)
WORKLOADS = {
    ("a",): (STABLE, IDLE_CANARY),
    ("route",): (STABLE, IDLE_CANARY),  # only a VirtualService's weights changed
    ("scaled",): (STABLE, LIVE_CANARY),
}
QUIET = Scenario(
    fail_images=("*:bad-*",), progressing_seconds=10, sync_seconds=1, settle_seconds=1, sync_interval_seconds=None
)


def inputs(revision: str) -> Inputs:
    def images_of(revisions: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(image for w in WORKLOADS[revisions] for image in w.images)

    return Inputs(Desired((revision,)), images_of, QUIET, True, WORKLOADS.__getitem__)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_only_the_workloads_a_deployment_changes_roll_out_again() -> None:
    state = lifecycle.advance(lifecycle.deployed(("a",), T0, QUIET), inputs("a"), T0)
    settled = state.health_changed_at
    assert (state.health, [a.status for a in state.resource_health]) == (Health.HEALTHY, [Health.HEALTHY] * 2)

    state = lifecycle.reconcile(state, inputs("route"), at(1))  # a refresh: OutOfSync, synced at once
    assert (state.sync, state.running, state.health) == (SyncStatus.OUT_OF_SYNC, True, Health.HEALTHY)
    state = lifecycle.advance(state, inputs("route"), at(3))
    assert (state.sync, state.health, state.recheck_at) == (SyncStatus.SYNCED, Health.HEALTHY, None)
    assert state.health_changed_at == settled  # never Progressing: no workload changed

    state = lifecycle.reconcile(state, inputs("scaled"), at(10))
    state = lifecycle.advance(state, inputs("scaled"), at(12))
    assert (state.health, [a.status for a in state.resource_health]) == (
        Health.PROGRESSING,
        [Health.HEALTHY, Health.PROGRESSING],  # the stable Deployment was left as it was
    )
    state = lifecycle.advance(state, inputs("scaled"), at(21))
    assert (state.health, state.health_message) == (
        Health.DEGRADED,
        "Deployment/guestbook-canary: image guestbook:bad-2 failing: the rollout exceeded its progress deadline",
    )

    state = lifecycle.reconcile(state, inputs("a"), at(30))  # scaled back to zero: the revert
    state = lifecycle.advance(state, inputs("a"), at(32))
    assert (state.sync, state.health, state.health_message) == (SyncStatus.SYNCED, Health.HEALTHY, None)
