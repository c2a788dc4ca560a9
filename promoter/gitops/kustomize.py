"""A small ``kustomize build``: enough of it to know which resources and images an overlay deploys.

Covered: ``resources``/``bases`` (files and directories, recursively), ``components``, strategic-merge
patches (``patchesStrategicMerge``, ``patches`` with a patch file or inline text, with or without a
``target``), JSON 6902 patches (``add``, ``replace``, ``remove``), ``namespace``, ``namePrefix``/``nameSuffix``,
``replicas`` (``name``, ``count``), ``images`` (``newName``, ``newTag``, ``digest``) and ``replacements``
(:mod:`.replacements`: an app-of-apps overlay setting its children's sources). Remote bases are skipped:
rendering is offline. Anything else in a kustomization is ignored rather than refused (labels, generators,
the deprecated ``vars``): none changes which images run, how many replicas run them, or which sources the
Applications a build makes read.

:func:`inputs` answers the other question, which files of the repository a build reads (every field that
names a file, followed across directories), for deciding which Applications a changed file concerns.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from promoter.gitops import manifests, patches, replacements
from promoter.gitops.files import Files, is_directory, join, under
from promoter.gitops.manifests import Manifest, ManifestError

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_SCALED_KINDS = frozenset({"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"})  # by ``replicas:``


def kustomization_in(files: Files, directory: str) -> str | None:
    """The kustomization file of ``directory``, if it has one."""
    listed = files.paths()
    present = listed if isinstance(listed, AbstractSet) else set(listed)  # a dict's keys view is a set already
    return next((path for name in NAMES if (path := join(directory, name)) in present), None)


def build(
    files: Files, directory: str, seen: tuple[str, ...] = (), options: Mapping[str, Any] | None = None
) -> list[Manifest]:
    """The resources ``kustomize build directory`` would print, as data; ``options``: an Application's
    ``kustomize`` options, which Argo CD writes into the kustomization before it builds (:func:`edited`)."""
    path = kustomization_in(files, directory)
    if path is None:
        raise ManifestError(f"{directory}: no kustomization.yaml")
    if directory in seen:
        raise ManifestError(f"{path}: a cycle of kustomizations ({' -> '.join((*seen, directory))})")
    kustomization = edited(_load_one(files, path), options or {}, files, directory)
    resources: list[Manifest] = []
    for entry in [*_strings(kustomization, "resources", path), *_strings(kustomization, "bases", path)]:
        resources += _entry(files, directory, entry, path, (*seen, directory))
    for entry in _strings(kustomization, "components", path):
        if is_remote(entry):
            continue  # offline, as remote resources
        component = _at(directory, entry, path)
        component_path = kustomization_in(files, component)
        if component_path is None:
            raise ManifestError(f"{path}: component {entry!r} has no kustomization")
        resources += build(files, component, (*seen, directory))
        resources = transform(resources, _load_one(files, component_path), files, component, component_path)
    return transform(resources, kustomization, files, directory, path)


def edited(kustomization: Manifest, options: Mapping[str, Any], files: Files, directory: str) -> Manifest:
    """The kustomization as Argo CD edits it for an Application's options (``kustomize edit set nameprefix``,
    ``namesuffix``, ``namespace``; its ``patches`` appended; ``kustomize edit add component`` for its
    ``components``, a missing one skipped with ``ignoreMissingComponents``). Its ``images`` and ``replicas``
    are applied after the build (the same result, as they only rename images and set counts)."""
    if not options:
        return kustomization
    changed = dict(kustomization)
    for field in ("namePrefix", "nameSuffix", "namespace"):  # (``kustomize edit set`` replaces the file's)
        if options.get(field):
            changed[field] = str(options[field])
    if isinstance(options.get("patches"), list) and options["patches"]:
        changed["patches"] = [*_list(kustomization.get("patches")), *options["patches"]]
    components = [str(c) for c in _list(options.get("components"))]
    if options.get("ignoreMissingComponents") is True:  # (a remote one is kustomize's to fetch: kept)
        components = [c for c in components if is_remote(c) or _component_here(files, directory, c)]
    if components:
        changed["components"] = [*_list(kustomization.get("components")), *components]
    return changed


def _component_here(files: Files, directory: str, entry: str) -> bool:
    try:
        return kustomization_in(files, join(directory, entry)) is not None
    except ValueError:  # outside the repository: missing here
        return False


def transform(
    resources: list[Manifest], kustomization: Manifest, files: Files, directory: str, where: str
) -> list[Manifest]:
    """Apply one kustomization's patches, names and images to resources already built."""
    for entry in kustomization.get("patchesStrategicMerge") or []:
        for patch in _patch_documents(files, directory, entry, where):
            resources = [_merge_if_same(resource, patch) for resource in resources]
    for entry in [*(kustomization.get("patches") or []), *(kustomization.get("patchesJson6902") or [])]:
        resources = _patch_entry(resources, files, directory, entry, where)
    namespace = kustomization.get("namespace")
    prefix, suffix = str(kustomization.get("namePrefix") or ""), str(kustomization.get("nameSuffix") or "")
    resources = scale(resources, kustomization.get("replicas") or [], where, prefix, suffix)
    if namespace or prefix or suffix:
        resources = [_rename(r, str(namespace or ""), prefix, suffix) for r in resources]
    images = kustomization.get("images") or []
    if not isinstance(images, list):
        raise ManifestError(f"{where}: images must be a list")
    resources = [manifests.rewrite_images(r, lambda image: set_image(image, images)) for r in resources]
    listed = _replacements(files, directory, kustomization.get("replacements"), where)
    return replacements.apply(resources, listed, where, (prefix, suffix)) if listed else resources


def _replacements(files: Files, directory: str, entries: Any, where: str) -> list[Mapping[str, Any]]:
    """A kustomization's replacements, those in files (``- path: x.yaml``) read in their place."""
    found: list[Mapping[str, Any]] = []
    for entry in _list(entries):
        if isinstance(entry, dict) and "path" in entry and "source" not in entry:
            path = _at(directory, str(entry["path"]), where)
            loaded = _any_yaml(files.text(path) or "", path)
            found += [item for item in (loaded if isinstance(loaded, list) else [loaded]) if isinstance(item, dict)]
        elif isinstance(entry, dict):
            found.append(entry)
        else:
            raise ManifestError(f"{where}: a replacement must be a mapping")
    return found


def set_image(image: str, entries: Iterable[Any]) -> str:
    """``image`` after the first kustomize ``images:`` entry whose ``name`` matches it."""
    name, tag, digest = split_image(image)
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            name = str(entry.get("newName") or name)
            if entry.get("digest"):
                return f"{name}@{entry['digest']}"
            if entry.get("newTag") is not None:
                return f"{name}:{entry['newTag']}"
            return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return image


def scale(resources: list[Manifest], entries: Any, where: str, prefix: str = "", suffix: str = "") -> list[Manifest]:
    """``replicas:`` entries (``{name, count}``) set ``spec.replicas`` of the workloads they name; a name may
    be given before or after this kustomization's ``namePrefix``/``nameSuffix``."""
    if not isinstance(entries, list):
        raise ManifestError(f"{where}: replicas must be a list")
    counts: dict[str, int] = {}
    for entry in entries:
        name, count = (entry.get("name"), entry.get("count")) if isinstance(entry, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
            raise ManifestError(f"{where}: a replicas entry needs a name and an integer count")
        counts[name] = count
    if not counts:
        return resources
    scaled = []
    for resource in resources:
        name = manifests.ResourceKey.of(resource).name
        count = counts.get(name, counts.get(f"{prefix}{name}{suffix}"))
        spec = resource.get("spec")
        if count is None or resource.get("kind") not in _SCALED_KINDS:
            scaled.append(resource)
            continue
        scaled.append({**resource, "spec": {**(spec if isinstance(spec, dict) else {}), "replicas": count}})
    return scaled


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``registry/repo:tag@digest`` as (name, tag, digest); a port in the registry is not a tag."""
    rest, _, digest = image.partition("@")
    head, colon, tag = rest.rpartition(":")
    if colon and "/" not in tag:
        return head, tag, digest or None
    return rest, None, digest or None


def is_remote(entry: str) -> bool:
    """A resource kustomize fetches (a URL, ``github.com/...``, ``git@...``): not a file of this repository."""
    return "://" in entry or entry.startswith(("github.com/", "git@"))


def _entry(files: Files, directory: str, entry: str, where: str, seen: tuple[str, ...]) -> list[Manifest]:
    if is_remote(entry):
        return []  # cannot be fetched here
    target = _at(directory, entry, where)
    text = files.text(target)
    if text is not None:
        return manifests.load_documents(text, target)
    if is_directory(files, target):
        return build(files, target, seen)
    raise ManifestError(f"{where}: resource {entry!r} not found")


def _patch_entry(resources: list[Manifest], files: Files, directory: str, entry: Any, where: str) -> list[Manifest]:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: a patch must be a mapping with path or patch")
    if "path" in entry:
        patch_file = _at(directory, str(entry["path"]), where)
        text = files.text(patch_file)
        if text is None:
            raise ManifestError(f"{where}: patch file {entry['path']!r} not found")
        where = patch_file
    else:
        text = str(entry.get("patch") or "")
    selector = entry.get("target") if isinstance(entry.get("target"), dict) else None
    document = _any_yaml(text, where)
    if isinstance(document, list):  # JSON 6902 operations
        if selector is None:
            raise ManifestError(f"{where}: a JSON 6902 patch needs a target")
        return [patches.json6902(r, document, where) if _selected(r, selector) else r for r in resources]
    if not isinstance(document, dict):
        return resources
    if selector is None:
        return [_merge_if_same(resource, document) for resource in resources]
    return [patches.strategic_merge(r, document) if _selected(r, selector) else r for r in resources]


def _is_inline(text: str) -> bool:
    """A ``patchesStrategicMerge`` entry that is the patch itself rather than a file name."""
    return "\n" in text or text.lstrip().startswith(("{", "apiVersion"))


def _patch_documents(files: Files, directory: str, entry: Any, where: str) -> list[Manifest]:
    text = str(entry)
    if not _is_inline(text):
        found = files.text(_at(directory, text, where))
        if found is None:
            raise ManifestError(f"{where}: patch file {text!r} not found")
        text = found
    return manifests.load_documents(text, where)


def _merge_if_same(resource: Manifest, patch: Manifest) -> Manifest:
    mine, theirs = manifests.ResourceKey.of(resource), manifests.ResourceKey.of(patch)
    same = mine.kind == theirs.kind and mine.name == theirs.name
    if same and (not theirs.namespace or theirs.namespace == mine.namespace):
        return patches.strategic_merge(resource, patch)
    return resource


def _selected(resource: Manifest, selector: Mapping[str, Any]) -> bool:
    key = manifests.ResourceKey.of(resource)
    wanted = {"group": key.group, "version": key.version, "kind": key.kind, "name": key.name}
    wanted["namespace"] = key.namespace
    return all(fnmatch.fnmatchcase(wanted[field], str(selector[field])) for field in wanted if field in selector)


def _rename(resource: Manifest, namespace: str, prefix: str, suffix: str) -> Manifest:
    metadata = dict(resource.get("metadata") or {})
    if prefix or suffix:
        metadata["name"] = f"{prefix}{metadata.get('name', '')}{suffix}"
    if namespace and resource.get("kind") not in manifests.CLUSTER_SCOPED:
        metadata["namespace"] = namespace
    return {**resource, "metadata": metadata}


def _load_one(files: Files, path: str) -> Manifest:
    text = files.text(path)
    documents = manifests.load_documents(text or "", path)
    return documents[0] if documents else {}


def _any_yaml(text: str, where: str) -> Any:
    if text.lstrip().startswith(("-", "[")):
        return manifests.load_value(text, where)
    documents = manifests.load_documents(text, where)
    return documents[0] if documents else None


def _strings(kustomization: Manifest, key: str, where: str) -> Sequence[str]:
    value = kustomization.get(key) or []
    if not isinstance(value, list):
        raise ManifestError(f"{where}: {key} must be a list")
    return [str(item) for item in value]


def _at(directory: str, relative: str, where: str) -> str:
    try:
        return join(directory, relative)
    except ValueError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def override(text: str) -> dict[str, str]:
    """An Application's ``kustomize.images`` entry (``[old=]new[:tag|@digest]``) as an ``images:`` entry."""
    old, equals, new = text.partition("=")
    if not equals:
        new = old
    new_name, tag, digest = split_image(new)
    entry = {"name": split_image(old)[0]}
    if equals:
        entry["newName"] = new_name
    if tag:
        entry["newTag"] = tag
    if digest:
        entry["digest"] = digest
    return entry


@dataclasses.dataclass(frozen=True)
class Input:
    """Why a build reads a file: its ``role`` there, and the entries followed from the root to reach it."""

    role: str  # "kustomization", "resource", "component", "patch", "generator input", "CRD", ...
    via: tuple[str, ...] = ()  # e.g. ("../base",): the directories entered, as their kustomizations name them


# Fields naming files (relative to their kustomization), and the role each gives them.
_FILE_LISTS = {
    "crds": "CRD",
    "configurations": "transformer configuration",
}
_PATH_ENTRIES = {  # lists of mappings whose ``path`` names a file
    "patches": "patch",
    "patchesJson6902": "patch",
    "replacements": "replacement",
}
_PLUGIN_LISTS = {  # files, or directories with a kustomization, or inline YAML
    "generators": "generator",
    "transformers": "transformer",
    "validators": "validator",
}


def inputs(files: Files, directory: str, components: Sequence[str] = ()) -> dict[str, Input]:
    """Every repository path ``kustomize build directory`` reads, each with the first reason found.

    Breadth-first from ``directory``: ``resources``/``bases`` (files, and directories holding a kustomization,
    followed), ``components``, path entries of ``patches``/``patchesStrategicMerge``/``patchesJson6902``,
    ``configMapGenerator``/``secretGenerator`` ``files``/``envs``/``env``, ``crds``, ``configurations``,
    ``replacements``, ``openapi.path``, ``generators``/``transformers``/``validators``, and ``helmCharts``
    (their values files and a chart kept under ``helmGlobals.chartHome``). Remote resources are skipped;
    each directory is read once, so a cycle ends; a kustomization that does not parse contributes only
    itself; a named file that is missing still counts (the build reads it, and fails without it).
    ``components``: those an Application's ``kustomize.components`` adds to the first kustomization.
    Empty when ``directory`` holds no kustomization."""
    listed = files.paths()
    present = listed if isinstance(listed, AbstractSet) else set(listed)
    found: dict[str, Input] = {}
    queue: list[tuple[str, str, tuple[str, ...]]] = [(directory, "kustomization", ())]
    entered: set[str] = set()
    while queue:
        folder, role, via = queue.pop(0)
        path = kustomization_in(files, folder)
        if path is None or folder in entered:
            continue
        entered.add(folder)
        found.setdefault(path, Input(role, via))
        try:
            kustomization = _load_one(files, path)
        except ManifestError:
            continue

        def file(entry: Any, role: str, folder: str = folder, via: tuple[str, ...] = via) -> None:
            if isinstance(entry, str) and entry and not is_remote(entry):
                with contextlib.suppress(ValueError):  # outside the repository: kustomize refuses it
                    found.setdefault(join(folder, entry), Input(role, via))

        def nested(entry: Any, role: str, folder: str = folder, via: tuple[str, ...] = via) -> None:
            """A file, or a directory whose kustomization is followed (entered as ``role``)."""
            if not isinstance(entry, str) or not entry or is_remote(entry) or "\n" in entry:
                return
            try:
                target = join(folder, entry)
            except ValueError:
                return
            if target in present:
                found.setdefault(target, Input(role, via))
            elif kustomization_in(files, target) is not None:
                queue.append((target, "kustomization" if role == "resource" else role, (*via, entry)))
            elif not is_directory(files, target):  # missing: the build reads it, and fails without it
                found.setdefault(target, Input(role, via))

        for key in ("resources", "bases"):
            for entry in _list(kustomization.get(key)):
                nested(entry, "resource")
        for entry in [*_list(kustomization.get("components")), *(components if folder == directory else ())]:
            nested(entry, "component")
        for key, plugin_role in _PLUGIN_LISTS.items():
            for entry in _list(kustomization.get(key)):
                nested(entry, plugin_role)
        for entry in _list(kustomization.get("patchesStrategicMerge")):
            if isinstance(entry, str) and not _is_inline(entry):
                file(entry, "patch")
        for key, path_role in _PATH_ENTRIES.items():
            for entry in _list(kustomization.get(key)):
                if isinstance(entry, dict):
                    file(entry.get("path"), path_role)
        for key, list_role in _FILE_LISTS.items():
            for entry in _list(kustomization.get(key)):
                file(entry, list_role)
        for key in ("configMapGenerator", "secretGenerator"):
            for generator in _list(kustomization.get(key)):
                if not isinstance(generator, dict):
                    continue
                for entry in _list(generator.get("files")):
                    file(str(entry).rpartition("=")[2], "generator input")  # ``key=path`` or ``path``
                for entry in [*_list(generator.get("envs")), generator.get("env")]:
                    file(entry, "generator input")
        openapi = kustomization.get("openapi")
        if isinstance(openapi, dict):
            file(openapi.get("path"), "OpenAPI schema")
        _helm_charts(kustomization, files, folder, via, found)
    return found


def _helm_charts(
    kustomization: Manifest, files: Files, folder: str, via: tuple[str, ...], found: dict[str, Input]
) -> None:
    charts = _list(kustomization.get("helmCharts"))
    if not charts:
        return
    helm_globals = kustomization.get("helmGlobals")
    home = str((helm_globals if isinstance(helm_globals, dict) else {}).get("chartHome") or "charts")
    for chart in charts:
        if not isinstance(chart, dict):
            continue
        for entry in [chart.get("valuesFile"), *_list(chart.get("additionalValuesFiles"))]:
            if isinstance(entry, str) and entry and "://" not in entry:
                with contextlib.suppress(ValueError):
                    found.setdefault(join(folder, entry), Input("Helm values", via))
        if chart.get("name"):
            with contextlib.suppress(ValueError):
                for path in under(files, join(folder, posixpath.join(home, str(chart["name"])))):
                    found.setdefault(path, Input("Helm chart", via))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
