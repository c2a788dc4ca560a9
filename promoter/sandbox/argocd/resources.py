"""The Kubernetes resources of an Application as the API shows them: statuses, the resource tree, diffs.

Live resources are those rendered at the deployed revisions, target resources those at the branch heads.
Each live workload reports the health the controller assessed at its last comparison (:mod:`.health`); the
other kinds Argo CD checks are Healthy, the rest carry no health; a resource not deployed yet is Missing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from promoter.core.appstatus import Health
from promoter.gitops import manifests
from promoter.gitops.manifests import Manifest, ResourceKey
from promoter.sandbox.argocd import health
from promoter.sandbox.argocd.health import Assessment


def by_key(resources: tuple[Manifest, ...]) -> dict[ResourceKey, Manifest]:
    return {ResourceKey.of(resource): resource for resource in resources}


def health_of(
    key: ResourceKey, live: Manifest | None, assessed: Mapping[ResourceKey, Assessment]
) -> dict[str, str] | None:
    """``{"status": ..., "message": ...}`` for one resource; None for kinds Argo CD keeps no health for."""
    if live is None:
        return {"status": Health.MISSING.value}
    if not health.has_check(key):
        return None
    found = assessed.get(key)
    if found is None:  # deployed since the controller last looked: its health is not known yet
        return {"status": Health.HEALTHY.value}
    return {"status": found.status.value, **({"message": found.message} if found.message else {})}


def statuses(
    target: tuple[Manifest, ...], live: tuple[Manifest, ...], assessed: Sequence[Assessment]
) -> list[dict[str, Any]]:
    """``status.resources``: each resource's sync status (target vs. live) and health."""
    wanted, running, healths = by_key(target), by_key(live), _by_key(assessed)
    listed = []
    for key in sorted(wanted.keys() | running.keys()):
        entry: dict[str, Any] = ref(key)
        entry["status"] = "Synced" if wanted.get(key) == running.get(key) else "OutOfSync"
        if key not in wanted:
            entry["requiresPruning"] = True
        found = health_of(key, running.get(key), healths)
        if found is not None:
            entry["health"] = found
        listed.append(entry)
    return listed


def tree(app: str, live: tuple[Manifest, ...], assessed: Sequence[Assessment], created_at: str) -> dict[str, Any]:
    """``GET .../resource-tree``: one node per live resource (no ReplicaSets or Pods beneath them)."""
    nodes, healths = [], _by_key(assessed)
    for key, resource in sorted(by_key(live).items()):
        node: dict[str, Any] = {**ref(key), "uid": uid(app, key), "resourceVersion": "1", "createdAt": created_at}
        found = health_of(key, resource, healths)
        if found is not None:
            node["health"] = found
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


def _by_key(assessed: Sequence[Assessment]) -> dict[ResourceKey, Assessment]:
    return {assessment.key: assessment for assessment in assessed if assessment.key is not None}


def _json(resource: Mapping[str, Any] | None) -> str:
    return "null" if resource is None else json.dumps(resource, sort_keys=True)
