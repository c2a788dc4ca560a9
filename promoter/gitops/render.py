"""What one source of an Application deploys at one revision: its resources and the images they run.

This is Argo CD's repo-server, in the small. A source's type is the one its options name (``helm``,
``kustomize``, ``directory`` or ``plugin``), else what its path holds: a kustomization (Kustomize, which
wins over a ``Chart.yaml`` beside it, as in Argo CD's discovery), a ``Chart.yaml`` (Helm), or neither
(Directory). Helm templates are not rendered: images come from the merged values (:mod:`.helm`), and no
resources are known. Directories take ``.yaml``/``.yml``/``.json`` files (sub-directories only with
``directory.recurse``) that ``directory.include`` / ``exclude`` select (:func:`selected`); Argo CD would
also evaluate ``.jsonnet`` files, which are not rendered here. A config management plugin renders nothing.
A source that cannot be rendered gives an error naming the file.

Each rendering carries a ``digest`` of the manifests it stands for: the resources for a directory or a
kustomization; for a Helm chart in Git what ``helm template`` would read (the merged values and the chart's
own files); for a chart from a Helm repository its name, version and options.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from promoter.gitops import globs, helm, kustomize, manifests, patches
from promoter.gitops.applications import Source
from promoter.gitops.files import Files, is_directory, under
from promoter.gitops.manifests import Manifest, ManifestError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".jsonnet")  # what a directory source reads (Argo CD's list)
_RENDERED_SUFFIXES = (".yaml", ".yml", ".json")  # jsonnet is read by Argo CD, not evaluated here
Glob = Callable[[str, str], bool]  # (pattern, path relative to the source path) -> matches


class SourceType(enum.Enum):
    DIRECTORY = "Directory"
    KUSTOMIZE = "Kustomize"
    HELM = "Helm"
    PLUGIN = "Plugin"


@dataclasses.dataclass(frozen=True)
class Rendered:
    source_types: tuple[str, ...] = ()
    resources: tuple[Manifest, ...] = ()
    images: tuple[str, ...] = ()  # sorted, each once
    error: str | None = None
    digest: str = ""  # of what it deploys: equal digests, the same manifests (empty: nothing rendered)
    from_values: bool = False  # a Helm chart: the images are read from values, its resources are not known

    @classmethod
    def combine(cls, parts: Sequence[Rendered]) -> Self:
        """One Application's rendering from its sources' (a multi-source app deploys them all)."""
        errors = [part.error for part in parts if part.error]
        return cls(
            tuple(t for part in parts for t in part.source_types),
            tuple(r for part in parts for r in part.resources),
            tuple(sorted({image for part in parts for image in part.images})),
            "; ".join(errors) or None,
            digest([part.digest for part in parts]),
            any(part.from_values for part in parts),
        )


def source_type(source: Source, files: Files, path: str) -> SourceType:
    """How Argo CD reads ``path`` for ``source``: the type its options name, else the files it holds;
    ``ManifestError`` when the options name several (Argo CD refuses such a source)."""
    named = [kind for kind, option in _OPTIONS if isinstance(source.spec.get(option), dict)]
    if len(named) > 1:
        raise ManifestError(f"{path}: multiple application sources defined: {','.join(k.value for k in named)}")
    if named:
        return named[0]
    if kustomize.kustomization_in(files, path) is not None:
        return SourceType.KUSTOMIZE
    if helm.is_chart(files, path):
        return SourceType.HELM
    return SourceType.DIRECTORY


_OPTIONS = (  # in the order Argo CD's message names them
    (SourceType.KUSTOMIZE, "kustomize"),
    (SourceType.HELM, "helm"),
    (SourceType.DIRECTORY, "directory"),
    (SourceType.PLUGIN, "plugin"),
)


# What Argo CD merges into a source from its path before deciding how to render it ("Store overrides in Git").
_OVERRIDES = (".argocd-source.yaml", ".argocd-source-{app}.yaml")
_KEPT = ("chart", "path", "repoURL", "targetRevision")  # which repository and folder: the overrides cannot move it


def overridden(source: Source, files: Files, app: str) -> Source:
    """``source`` with its path's ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml`` merged in, as
    Argo CD's repo-server does (a JSON merge patch each, in that order; its repository, path and revision
    kept); ``ManifestError`` when one does not parse."""
    path = source.path
    if path is None or source.chart is not None:
        return source
    spec: Any = dict(source.spec)
    for name in _OVERRIDES:
        file = posixpath.normpath(posixpath.join(path, name.format(app=app)))
        text = files.text(file)
        if text is None:
            continue
        patch = manifests.load_value(text, file)
        if patch is not None and not isinstance(patch, dict):
            raise ManifestError(f"{file}: an override must be a mapping of source fields")
        spec = patches.merge_patch(spec, patch or {})
    if spec == source.spec:
        return source
    for key in _KEPT:
        spec.pop(key, None)
        if key in source.spec:
            spec[key] = source.spec[key]
    return Source(spec)


def source(
    source: Source,
    files: Files | None,
    refs: Mapping[str, Files],
    namespace: str,
    app: str,
    glob: Glob = globs.match,
) -> Rendered:
    """One source of the Application ``app`` at one revision; ``refs`` are the other sources' files by
    ``ref`` name (for ``$ref/``); ``namespace`` is its destination namespace.

    ``glob`` matches ``directory.include`` / ``exclude`` (Argo CD's by default)."""
    if source.chart is not None:  # a chart from a Helm repository, not from Git: nothing to read here
        return Rendered(("Helm",), digest=digest({"chart": source.spec}), from_values=True)
    if source.path is None or files is None:
        return Rendered()  # a multi-source ``ref`` entry only lends its files to the others
    if source.path_error:
        return Rendered(error=source.path_error)
    path = source.path
    try:
        source = overridden(source, files, app)
    except ManifestError as exc:
        return Rendered(error=str(exc))
    kind = SourceType.DIRECTORY
    try:
        if path != "." and not is_directory(files, path):
            raise ManifestError(f"{path}: app path does not exist")
        kind = source_type(source, files, path)
        match kind:
            case SourceType.HELM:
                if not helm.is_chart(files, path):
                    raise ManifestError(f"{path}: Chart.yaml not found")
                options = source.option("helm")
                env = helm.build_env(app, namespace, source)
                values = tuple(helm.images(files, path, options, refs, env))
                read = digest({"helm": helm.inputs(files, path, options, refs, env), "namespace": namespace})
                return Rendered((kind.value,), (), values, digest=read, from_values=True)
            case SourceType.KUSTOMIZE:
                options = source.option("kustomize")
                resources = _kustomized(kustomize.build(files, path, options=options), options)
            case SourceType.DIRECTORY:
                resources = _directory(files, path, source.option("directory"), glob)
            case SourceType.PLUGIN:
                return Rendered((kind.value,), digest=digest({"plugin": source.spec}))
    except ManifestError as exc:
        return Rendered((kind.value,), error=str(exc), digest=digest({"error": str(exc)}))
    placed = tuple(_in_namespace(resource, namespace) for resource in resources)
    found = {image for resource in placed for image in manifests.images(resource)}
    applied = sorted(json.dumps(resource, sort_keys=True, default=str) for resource in placed)  # in any order
    return Rendered((kind.value,), placed, tuple(sorted(found)), digest=digest(applied))


def digest(value: Any) -> str:
    """A digest of JSON-like data, the same for equal data whatever the order of its mappings' keys."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def selected(relative: str, options: Mapping[str, Any], glob: Glob = globs.match) -> bool:
    """Whether a directory source reads the file at ``relative`` (to its path): a manifest by its name
    (:data:`MANIFEST_SUFFIXES`), in the top directory unless ``recurse``, not ``exclude``-d (which wins),
    and ``include``-d when an include is given. Argo CD matches both globs against the relative path."""
    if not posixpath.basename(relative).endswith(MANIFEST_SUFFIXES):
        return False
    if "/" in relative and options.get("recurse") is not True:
        return False
    include, exclude = str(options.get("include") or ""), str(options.get("exclude") or "")
    if exclude and glob(exclude, relative):
        return False
    return not include or glob(include, relative)


def _kustomized(resources: list[Manifest], options: Mapping[str, Any]) -> list[Manifest]:
    """The Application's own ``kustomize.replicas`` and ``kustomize.images``, applied after the kustomization's."""
    resources = kustomize.scale(resources, options.get("replicas") or [], "the Application's kustomize.replicas")
    entries = [kustomize.override(str(text)) for text in options.get("images") or []]
    if not entries:
        return resources
    return [manifests.rewrite_images(r, lambda image: kustomize.set_image(image, entries)) for r in resources]


def _directory(files: Files, path: str, options: Mapping[str, Any], glob: Glob) -> list[Manifest]:
    prefix = "" if path == "." else path + "/"
    resources: list[Manifest] = []
    for file in under(files, path, recurse=options.get("recurse") is True):
        if file.endswith(_RENDERED_SUFFIXES) and selected(file[len(prefix) :], options, glob):
            resources += manifests.load_documents(files.text(file) or "", file)
    return resources


def _in_namespace(resource: Manifest, namespace: str) -> Manifest:
    """Namespaced resources without a namespace land in the Application's destination namespace."""
    metadata = resource.get("metadata")
    if resource.get("kind") in manifests.CLUSTER_SCOPED or not namespace or not isinstance(metadata, dict):
        return resource
    if metadata.get("namespace"):
        return resource
    return {**resource, "metadata": {**metadata, "namespace": namespace}}
