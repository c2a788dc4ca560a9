"""What an Application deploys at given revisions: its resources, the images they run, its workloads.

This stands in for Argo CD's repo-server. A source is Helm when its path holds ``Chart.yaml`` (images come
from the values, templates are not rendered: the images count as one workload of unknown kind), Kustomize
when it holds a kustomization, and a plain directory otherwise (``.yaml``/``.yml``/``.json`` files;
sub-directories only with ``directory.recurse``). A source that cannot be rendered gives an error, which the
API shows as a ``ComparisonError`` condition.

Each rendering carries a ``digest`` of the manifests it stands for, which the controller compares to decide
Synced or OutOfSync: the resources for a directory or a kustomization; for a Helm chart in Git (whose
templates are not rendered) what ``helm template`` would read: the merged values and the chart's own files;
for a chart from a Helm repository its name, version and options.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from promoter.gitops import manifests
from promoter.gitops.applications import Source
from promoter.gitops.manifests import Manifest, ManifestError
from promoter.sandbox.argocd import health, helm, kustomize
from promoter.sandbox.argocd.files import Files, is_directory, under

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclasses.dataclass(frozen=True)
class Rendered:
    source_types: tuple[str, ...] = ()
    resources: tuple[Manifest, ...] = ()
    images: tuple[str, ...] = ()  # sorted, each once
    error: str | None = None
    workloads: tuple[health.Workload, ...] = ()  # what the Application's health is made of
    digest: str = ""  # of what it deploys: equal digests, the same manifests (empty: nothing rendered)

    @classmethod
    def combine(cls, parts: Sequence[Rendered]) -> Rendered:
        """One Application's rendering from its sources' (a multi-source app deploys them all)."""
        errors = [part.error for part in parts if part.error]
        return cls(
            tuple(t for part in parts for t in part.source_types),
            tuple(r for part in parts for r in part.resources),
            tuple(sorted({image for part in parts for image in part.images})),
            "; ".join(errors) or None,
            tuple(w for part in parts for w in part.workloads),
            digest([part.digest for part in parts]),
        )


def render(source: Source, files: Files | None, refs: Mapping[str, Files], namespace: str) -> Rendered:
    """One source at one revision; ``refs`` are the other sources' files by ``ref`` name (for ``$ref/``)."""
    if source.chart is not None:  # a chart from a Helm repository, not from Git: nothing to read here
        return Rendered(("Helm",), digest=digest({"chart": source.spec}))
    if source.path is None or files is None:
        return Rendered()  # a multi-source ``ref`` entry only lends its files to the others
    path = source.path
    kind = "Directory"
    try:
        if path != "." and not is_directory(files, path):
            raise ManifestError(f"{path}: app path does not exist")
        if helm.is_chart(files, path):
            kind = "Helm"
            options = source.option("helm")
            values = tuple(helm.images(files, path, options, refs))
            read = digest({"helm": helm.inputs(files, path, options, refs), "namespace": namespace})
            return Rendered((kind,), (), values, workloads=health.implied(values), digest=read)
        if kustomize.kustomization_in(files, path) is not None:
            kind = "Kustomize"
            resources = _kustomized(kustomize.build(files, path), source.option("kustomize"))
        else:
            resources = _directory(files, path, source.option("directory"))
    except ManifestError as exc:
        return Rendered((kind,), error=str(exc), digest=digest({"error": str(exc)}))
    placed = tuple(_in_namespace(resource, namespace) for resource in resources)
    found = {image for resource in placed for image in manifests.images(resource)}
    applied = sorted(json.dumps(resource, sort_keys=True, default=str) for resource in placed)  # in any order
    return Rendered((kind,), placed, tuple(sorted(found)), workloads=health.workloads(placed), digest=digest(applied))


def digest(value: Any) -> str:
    """A digest of JSON-like data, the same for equal data whatever the order of its mappings' keys."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _kustomized(resources: list[Manifest], options: Mapping[str, Any]) -> list[Manifest]:
    """The Application's own ``kustomize.replicas`` and ``kustomize.images``, applied after the kustomization's."""
    resources = kustomize.scale(resources, options.get("replicas") or [], "the Application's kustomize.replicas")
    entries = [kustomize.override(str(text)) for text in options.get("images") or []]
    if not entries:
        return resources
    return [manifests.rewrite_images(r, lambda image: kustomize.set_image(image, entries)) for r in resources]


def _directory(files: Files, path: str, options: Mapping[str, Any]) -> list[Manifest]:
    prefix = "" if path == "." else path + "/"
    include, exclude = _globs(options.get("include")), _globs(options.get("exclude"))
    resources: list[Manifest] = []
    for file in under(files, path, recurse=options.get("recurse") is True):
        relative = file[len(prefix) :]
        if not file.endswith(_MANIFEST_SUFFIXES):
            continue
        if (include and not _matches(relative, include)) or _matches(relative, exclude):
            continue
        resources += manifests.load_documents(files.text(file) or "", file)
    return resources


def _globs(value: Any) -> tuple[str, ...]:
    """Argo CD's include/exclude: one glob, or ``{a,b}`` for several."""
    text = str(value or "").strip()
    if text.startswith("{") and text.endswith("}"):
        return tuple(part.strip() for part in text[1:-1].split(",") if part.strip())
    return (text,) if text else ()


def _matches(relative: str, globs: tuple[str, ...]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relative, g) or fnmatch.fnmatchcase(name, g) for g in globs)


def _in_namespace(resource: Manifest, namespace: str) -> Manifest:
    """Namespaced resources without a namespace land in the Application's destination namespace."""
    metadata = resource.get("metadata")
    if resource.get("kind") in manifests.CLUSTER_SCOPED or not namespace or not isinstance(metadata, dict):
        return resource
    if metadata.get("namespace"):
        return resource
    return {**resource, "metadata": {**metadata, "namespace": namespace}}
