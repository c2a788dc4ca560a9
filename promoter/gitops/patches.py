"""Patching manifests as kustomize does: strategic merge (lists of named items merged by name) and JSON 6902."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from promoter.gitops.manifests import Manifest, ManifestError

# Kubernetes' patchMergeKey for the lists a patch usually touches; other lists are replaced whole.
_MERGE_KEYS = {"ports": "containerPort", "volumeMounts": "mountPath"}


def merge_patch(target: Any, patch: Any) -> Any:
    """A JSON merge patch (RFC 7386): mappings merge key by key, null removes a key, anything else (lists
    included) replaces. ``target`` is left as it was."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def strategic_merge(base: Manifest, patch: Manifest) -> Manifest:
    """``base`` with ``patch`` merged in: mappings recursively, ``null`` deletes, keyed lists item by item."""
    merged = _merge(base, patch, "")
    return merged if isinstance(merged, dict) else base


def _merge(base: Any, patch: Any, key: str) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        merged = dict(base)
        for name, value in patch.items():
            if name.startswith("$"):
                continue
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = _merge(base.get(name), value, name) if name in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list):
        return _merge_list(base, patch, _MERGE_KEYS.get(key, "name"))
    return patch


def _merge_list(base: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    keyed = all(isinstance(item, dict) and merge_key in item for item in [*base, *patch])
    if not keyed or not patch:
        return patch
    merged = list(base)
    for item in patch:
        index = next((i for i, old in enumerate(merged) if old[merge_key] == item[merge_key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(item)
        else:
            merged[index] = _merge(merged[index], item, "")
    return merged


def json6902(base: Manifest, operations: Sequence[Any], where: str) -> Manifest:
    """``base`` after the ``add``/``replace``/``remove`` operations of a JSON patch."""
    document: Any = copy.deepcopy(base)
    for operation in operations:
        if not isinstance(operation, dict) or operation.get("op") not in ("add", "replace", "remove"):
            raise ManifestError(f"{where}: unsupported JSON patch operation {operation!r}")
        steps = [p.replace("~1", "/").replace("~0", "~") for p in str(operation.get("path", "")).split("/")[1:]]
        if not steps:
            raise ManifestError(f"{where}: a JSON patch path must not be empty")
        parent = document
        for step in steps[:-1]:
            parent = _child(parent, step, where)
        _apply(parent, steps[-1], operation, where)
    return document  # type: ignore[no-any-return]


def _child(node: Any, step: str, where: str) -> Any:
    try:
        return node[int(step)] if isinstance(node, list) else node[step]
    except (KeyError, IndexError, ValueError, TypeError):
        raise ManifestError(f"{where}: JSON patch path step {step!r} not found") from None


def _apply(parent: Any, last: str, operation: dict[str, Any], where: str) -> None:
    op, value = operation["op"], operation.get("value")
    try:
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if op == "add":
                parent.insert(index, value)
            elif op == "replace":
                parent[index] = value
            else:
                del parent[index]
        elif isinstance(parent, dict):
            if op != "add" and last not in parent:
                raise KeyError(last)  # replace and remove need the key to exist
            if op == "remove":
                del parent[last]
            else:
                parent[last] = value
        else:
            raise TypeError(last)
    except (KeyError, IndexError, ValueError, TypeError):
        raise ManifestError(f"{where}: JSON patch {op} at {operation.get('path')!r} does not apply") from None
