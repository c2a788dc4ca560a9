"""kustomize's ``replacements``: a field of one resource copied into fields of others, after the other
transformations of the kustomization (so an app-of-apps overlay can set each child's source path).

A replacement names its ``source`` (``kind``/``name``/``namespace``/``group``/``version``, ``fieldPath``,
``metadata.name`` by default; ``options.delimiter``/``index`` take a part of the value) and ``targets``
(``select``/``reject`` by the same fields, ``fieldPaths``; ``options.delimiter``/``index`` replace a part,
``options.create`` makes missing fields). A field path is dotted: ``spec.source.path``,
``spec.containers.[name=web].image``, ``spec.sources.0.path``, ``*`` for every item or key there. A
resource is selected by its current name or its name before this kustomization's prefix and suffix.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from promoter.gitops import manifests
from promoter.gitops.manifests import Manifest, ManifestError

_SEGMENT = re.compile(r"\[[^\]]*\]|[^.\[]+")


def apply(
    resources: list[Manifest], replacements: Sequence[Mapping[str, Any]], where: str, renamed: tuple[str, str]
) -> list[Manifest]:
    """``resources`` with each replacement done in order; ``renamed``: this kustomization's (prefix, suffix)."""
    resources = copy.deepcopy(resources)
    for index, replacement in enumerate(replacements):
        at = f"{where}: replacements[{index}]"
        value = _source_value(resources, _mapping(replacement.get("source"), f"{at}.source"), at, renamed)
        for target in replacement.get("targets") or []:
            _replace(resources, _mapping(target, f"{at}.targets"), value, at, renamed)
    return resources


def _source_value(resources: list[Manifest], source: Mapping[str, Any], at: str, renamed: tuple[str, str]) -> Any:
    found = [r for r in resources if _selected(r, source, renamed)]
    if len(found) != 1:
        raise ManifestError(f"{at}.source: selects {len(found)} resources, kustomize wants exactly one")
    path = str(source.get("fieldPath") or "metadata.name")
    values = list(_lookup(found[0], _segments(path, at)))
    if len(values) != 1:
        raise ManifestError(f"{at}.source: fieldPath {path!r} is not one field of {_named(found[0])}")
    value = values[0]
    options = _mapping(source.get("options"), f"{at}.source.options")
    if options.get("delimiter") and isinstance(value, str):
        parts = value.split(str(options["delimiter"]))
        position = int(options.get("index") or 0)
        if not -len(parts) <= position < len(parts):
            raise ManifestError(f"{at}.source: options.index {position} is out of range of {value!r}")
        value = parts[position]
    return value


def _replace(
    resources: list[Manifest], target: Mapping[str, Any], value: Any, at: str, renamed: tuple[str, str]
) -> None:
    select = _mapping(target.get("select"), f"{at}.targets.select")
    rejects = [_mapping(r, f"{at}.targets.reject") for r in target.get("reject") or []]
    options = _mapping(target.get("options"), f"{at}.targets.options")
    for resource in resources:
        if not _selected(resource, select, renamed) or any(_selected(resource, r, renamed) for r in rejects):
            continue
        for path in target.get("fieldPaths") or []:
            _set(resource, _segments(str(path), at), value, options, at)


def _set(node: Any, segments: list[str], value: Any, options: Mapping[str, Any], at: str) -> None:
    head, rest = segments[0], segments[1:]
    create = bool(options.get("create"))  # (else a field that is not there is left out, as kustomize does)
    for key, holder in list(_children(node, head, create)):
        if rest:
            if holder[key] is None and create:
                holder[key] = {}
            _set(holder[key], rest, value, options, at)
        else:
            holder[key] = _with_part(holder[key], value, options)


def _with_part(current: Any, value: Any, options: Mapping[str, Any]) -> Any:
    delimiter = options.get("delimiter")
    if not delimiter or not isinstance(current, str):
        return copy.deepcopy(value)
    parts = current.split(str(delimiter))
    position = int(options.get("index") or 0)
    if 0 <= position < len(parts):
        parts[position] = str(value)
    elif position >= len(parts):
        parts.append(str(value))
    else:
        parts.insert(0, str(value))
    return str(delimiter).join(parts)


def _lookup(node: Any, segments: list[str]) -> Iterator[Any]:
    if not segments:
        yield node
        return
    for key, holder in _children(node, segments[0], create=False):
        yield from _lookup(holder[key], segments[1:])


def _children(node: Any, segment: str, create: bool) -> Iterator[tuple[Any, Any]]:
    """(key, holder) of what ``segment`` names in ``node``: a key, an index, ``[k=v]`` items, or ``*``."""
    if isinstance(node, dict):
        if segment == "*":
            yield from ((key, node) for key in list(node))
        elif segment in node:
            yield segment, node
        elif create and _plain(segment):
            node[segment] = {}
            yield segment, node
    elif isinstance(node, list):
        if segment == "*":
            yield from ((i, node) for i in range(len(node)))
        elif segment.isdigit() and int(segment) < len(node):
            yield int(segment), node
        elif segment.startswith("[") and "=" in segment:
            key, _, wanted = segment[1:-1].partition("=")
            yield from (
                (i, node) for i, item in enumerate(node) if isinstance(item, dict) and str(item.get(key)) == wanted
            )


def _plain(segment: str) -> bool:
    return segment != "*" and not segment.startswith("[")


def _segments(path: str, at: str) -> list[str]:
    segments = [s.strip("[]") if s.startswith("[") and "=" not in s else s for s in _SEGMENT.findall(path)]
    if not segments:
        raise ManifestError(f"{at}: an empty fieldPath")
    return segments


def _selected(resource: Manifest, selector: Mapping[str, Any], renamed: tuple[str, str]) -> bool:
    if not selector:
        return False
    key = manifests.ResourceKey.of(resource)
    prefix, suffix = renamed
    names = {key.name}
    if key.name.startswith(prefix) and key.name.endswith(suffix) and len(key.name) > len(prefix) + len(suffix):
        names.add(key.name[len(prefix) : len(key.name) - len(suffix)])
    fields = {"group": [key.group], "version": [key.version], "kind": [key.kind], "namespace": [key.namespace]}
    fields["name"] = sorted(names)
    return all(
        any(fnmatch.fnmatchcase(candidate, str(selector[field])) for candidate in fields[field])
        for field in fields
        if field in selector
    )


def _named(resource: Manifest) -> str:
    key = manifests.ResourceKey.of(resource)
    return f"{key.kind}/{key.name}"


def _mapping(value: Any, at: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError(f"{at} must be a mapping")
    return value
