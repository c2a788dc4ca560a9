"""Kubernetes manifests as plain data: loading YAML documents, naming resources, finding container images."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

Manifest = dict[str, Any]

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
    }
)


class ManifestError(Exception):
    """A file that should hold manifests does not parse; the message names the file."""


@dataclasses.dataclass(frozen=True, order=True)
class ResourceKey:
    group: str
    version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Manifest, default_namespace: str = "") -> ResourceKey:
        api_version = str(manifest.get("apiVersion") or "")
        group, _, version = api_version.rpartition("/")
        metadata = manifest.get("metadata")
        meta = metadata if isinstance(metadata, dict) else {}
        namespace = str(meta.get("namespace") or default_namespace)
        return cls(group, version, str(manifest.get("kind") or ""), namespace, str(meta.get("name") or ""))


_T = TypeVar("_T")


# Go's YAML as sigs.k8s.io/yaml reads it (Helm's values, an ApplicationSet's git files): YAML 1.1, where
# yes/no/on/off are booleans and 0755 is octal.
GO_YAML = (1, 1)


def load_documents(text: str, where: str, version: tuple[int, int] | None = None) -> list[Manifest]:
    """The mapping documents of a YAML (or JSON) file as plain JSON-like data; empty documents are skipped.
    ``version``: the YAML version to resolve scalars by (:data:`GO_YAML` where Go reads the file)."""
    try:
        loaded = _lenient(lambda yaml: list(yaml.load_all(text)), version)
    except YAMLError as exc:
        raise ManifestError(f"{where}: invalid YAML: {describe(exc)}") from None
    return [plain(document) for document in loaded if mapping(document, where)]


def mapping(document: Any, where: str) -> bool:
    """Whether a loaded document counts (False: an empty one); ``ManifestError`` if it is no mapping."""
    if document is not None and not isinstance(document, dict):
        raise ManifestError(f"{where}: a document is a {type(document).__name__}, not a mapping")
    return document is not None


def plain(value: Any) -> Any:
    """JSON-safe data: string keys, dates as RFC 3339 text (what the Kubernetes API would hold)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def images(manifest: Manifest) -> list[str]:
    """Every container ``image:`` of a manifest, at any depth (pods, pod templates, job templates)."""
    found: list[str] = []

    def keep(image: str) -> str:
        found.append(image)
        return image

    rewrite_images(manifest, keep)
    return found


def rewrite_images(value: Any, change: Callable[[str], str]) -> Any:
    """A copy of ``value`` with each container image passed through ``change``."""
    if isinstance(value, list):
        return [rewrite_images(item, change) for item in value]
    if not isinstance(value, dict):
        return value
    copied: dict[str, Any] = {}
    for key, item in value.items():
        if key in _CONTAINER_LISTS and isinstance(item, list):
            copied[key] = [_container(container, change) for container in item]
        else:
            copied[key] = rewrite_images(item, change)
    return copied


def _container(container: Any, change: Callable[[str], str]) -> Any:
    if isinstance(container, dict) and isinstance(container.get("image"), str):
        return {**container, "image": change(container["image"])}
    return container


def describe(exc: YAMLError) -> str:
    """The problem of a YAML error and its 1-based line, on one line (for messages naming the file)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1})"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def load_value(text: str, where: str, version: tuple[int, int] | None = None) -> Any:
    """One YAML document of any shape (a JSON patch is a list), as plain data."""
    try:
        return plain(_lenient(lambda yaml: yaml.load(text), version))
    except YAMLError as exc:
        raise ManifestError(f"{where}: invalid YAML: {describe(exc)}") from None


def _lenient(read: Callable[[YAML], _T], version: tuple[int, int] | None = None) -> _T:
    """Read as Argo CD's Go YAML would accept it: libyaml first (fast, takes a TAB after a value), then the
    pure YAML 1.2 parser, which takes what libyaml's 1.1 rules refuse (``{repoURL: https://...}``)."""
    try:
        return read(_versioned(YAML(typ="safe"), version))
    except YAMLError:
        return read(_versioned(YAML(typ="safe", pure=True), version))


def _versioned(yaml: YAML, version: tuple[int, int] | None) -> YAML:
    if version is not None:
        yaml.version = version
    return yaml
