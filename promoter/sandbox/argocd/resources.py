"""The Kubernetes resources of an Application as the API shows them: statuses, the resource tree, diffs.

Live resources are those rendered at the deployed revisions, target resources those at the branch heads.
A workload's health follows the Application's (it is the workloads that make it Progressing or Degraded);
a workload whose images the scenario does not blame is Healthy once the app's rollout time is over.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from promoter.core.appstatus import Health
from promoter.sandbox.argocd import manifests
from promoter.sandbox.argocd.manifests import Manifest, ResourceKey
from promoter.sandbox.argocd.scenario import Scenario, first_match

WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob", "Rollout"})
# Argo CD keeps no health for these (nor for child Applications, unless configured to: it does not roll up)
_NO_HEALTH = frozenset({"ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "Application"})


def by_key(resources: tuple[Manifest, ...]) -> dict[ResourceKey, Manifest]:
    return {ResourceKey.of(resource): resource for resource in resources}


def health_of(
    resource: Manifest | None, app_health: Health, app_message: str | None, scenario: Scenario
) -> dict[str, str] | None:
    """``{"status": ...}`` for one resource; None for kinds Argo CD keeps no health for."""
    if resource is None:
        return {"status": Health.MISSING.value}
    kind = str(resource.get("kind") or "")
    if kind in _NO_HEALTH:
        return None
    if kind not in WORKLOADS or app_health in (Health.HEALTHY, Health.MISSING):
        return {"status": Health.HEALTHY.value}
    if app_health is Health.PROGRESSING:
        return {
            "status": app_health.value,
            "message": "Waiting for rollout to finish: 0 of 1 updated replicas are available...",
        }
    images = manifests.images(resource)
    blamed = first_match((*scenario.fail_images, *scenario.stuck_images, *scenario.suspend_images), images)
    if blamed is None:
        return {"status": Health.HEALTHY.value}
    status = {"status": app_health.value}
    if app_message:
        status["message"] = app_message
    return status


def statuses(
    target: tuple[Manifest, ...],
    live: tuple[Manifest, ...],
    app_health: Health,
    app_message: str | None,
    scenario: Scenario,
) -> list[dict[str, Any]]:
    """``status.resources``: each resource's sync status (target vs. live) and health."""
    wanted, running = by_key(target), by_key(live)
    listed = []
    for key in sorted(wanted.keys() | running.keys()):
        entry: dict[str, Any] = ref(key)
        entry["status"] = "Synced" if wanted.get(key) == running.get(key) else "OutOfSync"
        if key not in wanted:
            entry["requiresPruning"] = True
        health = health_of(running.get(key), app_health, app_message, scenario)
        if health is not None:
            entry["health"] = health
        listed.append(entry)
    return listed


def tree(
    app: str,
    live: tuple[Manifest, ...],
    app_health: Health,
    app_message: str | None,
    scenario: Scenario,
    created_at: str,
) -> dict[str, Any]:
    """``GET .../resource-tree``: one node per live resource (no ReplicaSets or Pods beneath them)."""
    nodes = []
    for key, resource in sorted(by_key(live).items()):
        node: dict[str, Any] = {**ref(key), "uid": uid(app, key), "resourceVersion": "1", "createdAt": created_at}
        health = health_of(resource, app_health, app_message, scenario)
        if health is not None:
            node["health"] = health
        if images := manifests.images(resource):
            node["images"] = images
        nodes.append(node)
    return {"nodes": nodes}


def managed(target: tuple[Manifest, ...], live: tuple[Manifest, ...]) -> dict[str, Any]:
    """``GET .../managed-resources``: target and live state of each resource, as JSON text."""
    wanted, running = by_key(target), by_key(live)
    items = []
    for key in sorted(wanted.keys() | running.keys()):
        target_state, live_state = _json(wanted.get(key)), _json(running.get(key))
        item = {k: v for k, v in ref(key).items() if k != "version"}
        item.update(
            targetState=target_state,
            liveState=live_state,
            normalizedLiveState=live_state,
            predictedLiveState=target_state,
            modified=target_state != live_state,
            hook=False,
        )
        items.append(item)
    return {"items": items}


def uid(app: str, key: ResourceKey) -> str:
    """A stable uid, so repeated reads of the tree agree."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"argocd-simulator/{app}/{key.kind}/{key.namespace}/{key.name}"))


def ref(key: ResourceKey) -> dict[str, Any]:
    ref = {"group": key.group, "version": key.version, "kind": key.kind, "namespace": key.namespace, "name": key.name}
    return {k: v for k, v in ref.items() if v or k == "version"}  # Argo CD omits an empty group (core kinds)


def _json(resource: Mapping[str, Any] | None) -> str:
    return "null" if resource is None else json.dumps(resource, sort_keys=True)
