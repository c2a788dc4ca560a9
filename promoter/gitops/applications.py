"""What an Argo CD Application manifest declares: its sources, destination and sync policy, as plain data.

Pure: a parsed manifest in, a frozen :class:`Application` out. Where the manifests come from (the cluster
for real Argo CD, a Git commit for the simulator) is the caller's business.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping
from typing import Any

from promoter.gitops import manifests

API_GROUP = "argoproj.io/"  # the apiVersion prefix of Argo CD's own kinds (Application, ApplicationSet, ...)
KINDS = ("Application", "ApplicationSet")  # the kinds that make Applications
_METADATA = frozenset({"name", "namespace", "labels", "annotations", "finalizers"})
_SOURCE_STRINGS = ("repoURL", "path", "targetRevision", "chart", "ref", "name")


@dataclasses.dataclass(frozen=True)
class Source:
    """One entry of ``spec.source`` / ``spec.sources``; ``spec`` is the entry as written (JSON-safe)."""

    spec: Mapping[str, Any]

    @property
    def target_revision(self) -> str:
        return str(self.spec.get("targetRevision") or "HEAD")

    @property
    def path(self) -> str | None:
        path = self.spec.get("path")
        return None if path is None else posixpath.normpath(str(path).strip("/") or ".")

    @property
    def path_error(self) -> str | None:
        """Why Argo CD refuses the path (it renders nothing then): an absolute one, as its repo-server does."""
        path = self.spec.get("path")
        return f"{path}: app path is absolute" if isinstance(path, str) and path.startswith("/") else None

    @property
    def repo_url(self) -> str | None:
        return _text(self.spec.get("repoURL"))

    @property
    def chart(self) -> str | None:
        return _text(self.spec.get("chart"))

    @property
    def ref(self) -> str | None:
        return _text(self.spec.get("ref"))

    def option(self, tool: str) -> Mapping[str, Any]:
        """``helm``, ``kustomize`` or ``directory`` options of the source ({} when absent)."""
        value = self.spec.get(tool)
        return value if isinstance(value, dict) else {}


@dataclasses.dataclass(frozen=True)
class Hydrator:
    """``spec.sourceHydrator``: Argo CD renders ``dry`` and commits the manifests to a branch; the app syncs
    ``sync`` (the dry source's repoURL, ``syncSource.targetBranch`` as its revision, ``syncSource.path``)."""

    dry: Source
    sync: Source


@dataclasses.dataclass(frozen=True)
class Application:
    name: str
    manifest: manifests.Manifest  # apiVersion, kind, metadata and spec as written
    sources: tuple[Source, ...]
    multi_source: bool
    file: str

    @property
    def metadata(self) -> Mapping[str, Any]:
        return _mapping(self.manifest.get("metadata"))

    @property
    def spec(self) -> Mapping[str, Any]:
        return _mapping(self.manifest.get("spec"))

    @property
    def labels(self) -> Mapping[str, str]:
        return {str(k): str(v) for k, v in _mapping(self.metadata.get("labels")).items()}

    @property
    def annotations(self) -> Mapping[str, str]:
        return {str(k): str(v) for k, v in _mapping(self.metadata.get("annotations")).items()}

    @property
    def hydrator(self) -> Hydrator | None:
        """The source hydrator, when the app has one (it then has no ``spec.source``)."""
        hydrator = _mapping(self.spec.get("sourceHydrator"))
        dry = _mapping(hydrator.get("drySource"))
        if not dry:
            return None
        sync = _mapping(hydrator.get("syncSource"))
        synced = {"repoURL": dry.get("repoURL"), "targetRevision": sync.get("targetBranch"), "path": sync.get("path")}
        return Hydrator(Source(dry), Source({k: v for k, v in synced.items() if v is not None}))

    @property
    def project(self) -> str:
        return str(self.spec.get("project") or "default")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "argocd")

    @property
    def destination_namespace(self) -> str:
        return str(_mapping(self.spec.get("destination")).get("namespace") or "")

    @property
    def automated(self) -> bool:
        """Whether ``syncPolicy.automated`` is on (present, and not ``enabled: false``)."""
        automated = _mapping(self.spec.get("syncPolicy")).get("automated")
        return isinstance(automated, dict) and automated.get("enabled", True) is not False


def is_argo(document: manifests.Manifest) -> bool:
    """Whether a document is an Argo CD Application or ApplicationSet."""
    return str(document.get("apiVersion", "")).startswith(API_GROUP) and document.get("kind") in KINDS


def parse(document: manifests.Manifest, file: str) -> Application | None:
    """An Application manifest as the simulator reads it; None without a name."""
    tidied = tidy(document)
    name = _text(_mapping(tidied.get("metadata")).get("name"))
    if name is None:
        return None
    spec = _mapping(tidied.get("spec"))
    listed = spec.get("sources")
    if isinstance(listed, list) and listed:
        sources = tuple(Source(_mapping(entry)) for entry in listed)
        return Application(name, tidied, sources, True, file)
    return Application(name, tidied, (Source(_mapping(spec.get("source"))),), False, file)


def tidy(document: manifests.Manifest) -> manifests.Manifest:
    """Only the fields the API serves back, with the source fields Argo CD stores as strings made strings.

    Public because the simulator serves ApplicationSets tidied the same way."""
    spec = _mapping(document.get("spec"))
    tidy_spec = dict(spec)
    if isinstance(spec.get("source"), dict):
        tidy_spec["source"] = _tidy_source(spec["source"])
    if isinstance(spec.get("sources"), list):
        tidy_spec["sources"] = [_tidy_source(entry) for entry in spec["sources"] if isinstance(entry, dict)]
    metadata = {k: v for k, v in _mapping(document.get("metadata")).items() if k in _METADATA}
    for key in ("labels", "annotations"):
        if key in metadata:
            metadata[key] = {str(k): str(v) for k, v in _mapping(metadata[key]).items()}
    return {
        "apiVersion": document.get("apiVersion"),
        "kind": document.get("kind"),
        "metadata": metadata,
        "spec": tidy_spec,
    }


def _tidy_source(source: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if k in _SOURCE_STRINGS and v is not None else v) for k, v in source.items()}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
