"""How Argo CD judges what an Application deploys: each resource by its kind, the Application as the worst.

Purely computational: the simulated controller calls it at every comparison with the time, the scenario's
outcome for each workload's images and when that workload last changed.

A *workload* runs images: Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Job, CronJob, Argo Rollouts'
``Rollout`` and Knative's ``Service``. Its health follows Argo CD's check for its kind (gitops-engine's
built-in checks, argo-cd's ``resource_customizations`` for the others):

1. ``spec.paused`` on a Deployment or a Rollout: Suspended (``Deployment is paused``);
2. scaled to zero (``spec.replicas: 0`` where the kind has replicas): Healthy, whatever its images;
3. images the scenario calls stuck: Progressing for ever;
4. for ``progressing_seconds`` after the deployment that gave it its present spec: Progressing (a deployment
   that leaves a workload as it was, say one that only moves a VirtualService's weights, rolls nothing out);
5. then, failing images: Degraded for kinds whose check has a failed state (Deployment and Rollout past
   their progress deadline, Pod, Job, CronJob, Knative Service); StatefulSet, DaemonSet and ReplicaSet have
   none (Argo CD waits for their pods for ever): Progressing;
6. paused images: Suspended for the kinds that pause (a Rollout at a pause step, a paused Deployment);
   the others run them: Healthy;
7. otherwise Healthy.

Other kinds Argo CD has a health check for (Service, Ingress, PersistentVolumeClaim, HPA, PodDisruptionBudget,
OpenShift Route, Gateway API routes, ...) are Healthy once applied. The rest carry no health and do not
count: ConfigMap, Secret, RBAC, Istio VirtualService and DestinationRule, SMI TrafficSplit, child
Applications (Argo CD keeps no health for those unless configured to: it does not roll up).

The Application's health is the worst of its workloads' in Argo CD's order (gitops-engine ``IsWorse``):
Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any, assert_never

from promoter.core.appstatus import Health
from promoter.gitops import manifests
from promoter.gitops.manifests import Manifest, ResourceKey
from promoter.sandbox.argocd.scenario import Outcome

ORDER = (Health.HEALTHY, Health.SUSPENDED, Health.PROGRESSING, Health.MISSING, Health.DEGRADED, Health.UNKNOWN)


@dataclasses.dataclass(frozen=True)
class _Check:
    """What Argo CD's health check for one workload kind makes of a rollout."""

    waiting: str  # the Progressing message ({name} and {replicas} filled in)
    failing: str | None  # why a failing image is Degraded; None: the check has no failed state
    pauses: bool = False  # a paused rollout reports Suspended
    scales: bool = False  # has ``spec.replicas`` (1 when left out)


_DEPLOYMENT = _Check(
    "Waiting for rollout to finish: 0 of {replicas} updated replicas are available...",
    "the rollout exceeded its progress deadline",
    pauses=True,
    scales=True,
)
_STATEFUL_SET = _Check("Waiting for {replicas} pods to be ready...", None, scales=True)
_REPLICA_SET = _Check(
    "Waiting for rollout to finish: 0 out of {replicas} new replicas are available...", None, scales=True
)
_DAEMON_SET = _Check('Waiting for daemon set "{name}" rollout to finish: 0 of 1 updated pods are available...', None)
_CHECKS = {
    ("apps", "Deployment"): _DEPLOYMENT,
    ("extensions", "Deployment"): _DEPLOYMENT,
    ("apps", "StatefulSet"): _STATEFUL_SET,
    ("apps", "ReplicaSet"): _REPLICA_SET,
    ("extensions", "ReplicaSet"): _REPLICA_SET,
    ("apps", "DaemonSet"): _DAEMON_SET,
    ("extensions", "DaemonSet"): _DAEMON_SET,
    ("", "Pod"): _Check("Pending", "back-off restarting failed container"),
    ("batch", "Job"): _Check("Job is running", "Job has reached the specified backoff limit"),
    ("batch", "CronJob"): _Check("CronJob has active jobs", "CronJob has not run successfully"),
    ("argoproj.io", "Rollout"): _Check(
        "Waiting for roll out to finish: updated replicas are still becoming available",
        "the rollout exceeded its progress deadline",
        pauses=True,
        scales=True,
    ),
    ("serving.knative.dev", "Service"): _Check("Waiting for status update.", "the revision failed to become ready"),
}
_IMPLIED = _Check(_DEPLOYMENT.waiting, _DEPLOYMENT.failing, pauses=True)  # images whose workload is not known

# Kinds besides the workloads that Argo CD has a health check for: Healthy once applied in the simulator
# (a load balancer address for Services and Ingresses, a bound volume, a route the gateway accepted).
_CHECKED = frozenset(
    {
        ("", "Service"),
        ("", "PersistentVolumeClaim"),
        ("networking.k8s.io", "Ingress"),
        ("extensions", "Ingress"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("policy", "PodDisruptionBudget"),
        ("apiregistration.k8s.io", "APIService"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("route.openshift.io", "Route"),
        ("gateway.networking.k8s.io", "Gateway"),
        ("gateway.networking.k8s.io", "HTTPRoute"),
        ("gateway.networking.k8s.io", "GRPCRoute"),
        ("gateway.networking.k8s.io", "TLSRoute"),
    }
)


@dataclasses.dataclass(frozen=True)
class Workload:
    """What of a workload's manifest its health depends on."""

    key: ResourceKey | None  # None: images known without their resource (a Helm chart's values)
    images: tuple[str, ...]
    replicas: int | None = None  # for the kinds that have ``spec.replicas``
    paused: bool = False  # ``spec.paused`` of a kind that pauses
    spec: str = ""  # the spec as JSON: when it changes, the workload rolls out again


@dataclasses.dataclass(frozen=True)
class Assessment:
    """One workload's health at one comparison; ``until``: when it changes by itself (its rollout's end)."""

    key: ResourceKey | None
    status: Health
    message: str | None = None
    until: dt.datetime | None = None


def workloads(resources: Iterable[Manifest]) -> tuple[Workload, ...]:
    """The workloads among ``resources``, in their order."""
    found = []
    for resource in resources:
        key = ResourceKey.of(resource)
        check = _CHECKS.get((key.group, key.kind))
        if check is None:
            continue
        spec: dict[str, Any] = resource["spec"] if isinstance(resource.get("spec"), dict) else {}
        replicas = _replicas(spec.get("replicas")) if check.scales else None
        paused = check.pauses and spec.get("paused") is True
        images = tuple(manifests.images(resource))
        found.append(Workload(key, images, replicas, paused, json.dumps(spec, sort_keys=True, default=str)))
    return tuple(found)


def implied(images: Sequence[str]) -> tuple[Workload, ...]:
    """Images deployed by resources the simulator does not see (Helm templates are not rendered): one workload."""
    return (Workload(None, tuple(images)),) if images else ()


def has_check(key: ResourceKey) -> bool:
    """Whether Argo CD keeps a health for resources of this kind."""
    return (key.group, key.kind) in _CHECKS or (key.group, key.kind) in _CHECKED


def assess(
    workload: Workload, outcome: Outcome, culprit: str | None, rolled_out: dt.datetime, now: dt.datetime
) -> Assessment:
    """One workload's health at ``now``: ``outcome`` is the scenario's for its images (``culprit`` the image that
    causes it), ``rolled_out`` the end of the rollout that its last change started."""
    key = workload.key
    check = _IMPLIED if key is None else _CHECKS[(key.group, key.kind)]
    if workload.paused and key is not None:
        return Assessment(key, Health.SUSPENDED, f"{key.kind} is paused")
    if workload.replicas == 0:
        return Assessment(key, Health.HEALTHY)
    waiting = check.waiting.format(name=key.name if key else "", replicas=workload.replicas or 1)
    if outcome is Outcome.STUCK:
        return Assessment(key, Health.PROGRESSING, waiting)
    if now < rolled_out:
        return Assessment(key, Health.PROGRESSING, waiting, rolled_out)
    match outcome:
        case Outcome.DEGRADED if check.failing is None:
            return Assessment(key, Health.PROGRESSING, waiting)  # no failed state: Argo CD waits for the pods
        case Outcome.DEGRADED:
            return Assessment(key, Health.DEGRADED, f"image {culprit} failing: {check.failing}")
        case Outcome.SUSPENDED if check.pauses:
            return Assessment(key, Health.SUSPENDED, f"image {culprit}: the rollout is paused")
        case Outcome.SUSPENDED | Outcome.HEALTHY:
            return Assessment(key, Health.HEALTHY)
        case _:
            assert_never(outcome)


def overall(assessed: Sequence[Assessment]) -> tuple[Health, str | None]:
    """The Application's health: the worst of its workloads' (Healthy without any), with the first worst
    workload's message when that is Degraded or Suspended."""
    if not assessed:
        return Health.HEALTHY, None
    worst = max(assessed, key=lambda assessment: ORDER.index(assessment.status))
    if worst.status not in (Health.DEGRADED, Health.SUSPENDED) or not worst.message:
        return worst.status, None
    if worst.key is None:
        return worst.status, worst.message
    return worst.status, f"{worst.key.kind}/{worst.key.name}: {worst.message}"


def _replicas(value: object) -> int:
    """``spec.replicas``; 1 when left out (or not a number: the API server would refuse it anyway)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1
