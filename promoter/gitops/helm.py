"""The images a Helm source deploys, read from its values (templates are not rendered).

Values are merged as ``helm template`` would: the chart's ``values.yaml``, then ``valueFiles`` in order
(``$ref/...`` names a file in another source of a multi-source Application), then inline ``valuesObject``
(or, without it, ``values``: Argo CD passes one of them), then ``parameters`` (as ``--set`` types them;
``forceString`` as ``--set-string``; the build's variables substituted). Images are every ``image:`` of the
merged values, either a string or a mapping ``{registry, repository, tag, digest}`` (an empty tag falls back
to the chart's ``appVersion``).

Which files of the repository a chart in Git reads (for deciding which Applications a changed file concerns)
is :func:`chart_reads` and :func:`value_file`.

A value file's path is resolved as Argo CD's repo-server does: ``$ref/path`` when a source has that ``ref``
(from that source's root), else relative to the chart, or to the repository's root with a leading ``/``;
``$ARGOCD_APP_NAME``-style variables of the build environment (:func:`build_env`) are substituted first
(after the ref, for a ``$ref/`` one), an unknown one reads as empty, and one only the build knows (the
revision, the Kubernetes version) leaves the file unknown.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from promoter.gitops import manifests
from promoter.gitops.applications import Source
from promoter.gitops.files import Files, inside, join, under
from promoter.gitops.manifests import ManifestError

_UNESCAPED_DOT = re.compile(r"(?<!\\)\.")
_CHART_DIRECTORIES = ("templates/", "charts/", "crds/")  # what a chart renders from, besides its values
# What helm reads of a chart whatever its templates do (besides _CHART_DIRECTORIES).
_CHART_FILES = frozenset(
    {
        "Chart.yaml",
        "Chart.lock",
        "requirements.yaml",
        "requirements.lock",
        "values.yaml",
        "values.schema.json",
        ".helmignore",  # it decides which of the chart's files helm loads at all
    }
)
_VALUE_OPTIONS = frozenset({"valueFiles", "ignoreMissingValueFiles", "values", "valuesObject", "parameters"})
# Go's os.Expand, as Argo CD's Envsubst uses it: ${NAME} or $NAME; "$$" is "$"
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))")
# set by the repo-server from the revision it checked out and the cluster: not knowable from the repo
_BUILD_ONLY = frozenset(
    {
        "ARGOCD_APP_REVISION",
        "ARGOCD_APP_REVISION_SHORT",
        "ARGOCD_APP_REVISION_SHORT_8",
        "KUBE_VERSION",
        "KUBE_API_VERSIONS",
    }
)


def build_env(name: str, namespace: str, source: Source) -> dict[str, str]:
    """The variables Argo CD's repo-server sets when it builds ``source`` of the Application ``name``
    (``namespace``: its destination namespace), but for those only the build knows."""
    return {
        "ARGOCD_APP_NAME": name,
        "ARGOCD_APP_NAMESPACE": namespace,
        "ARGOCD_APP_SOURCE_PATH": source.path or "",
        "ARGOCD_APP_SOURCE_REPO_URL": source.repo_url or "",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": source.target_revision,
    }


def expand(text: str, env: Mapping[str, str]) -> str | None:
    """``text`` with the build's variables substituted; None when it names one only the build knows."""
    if "$" not in text:
        return text
    unknowable = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknowable
        if match.group(3):
            return "$"
        name = match.group(1) if match.group(1) is not None else match.group(2)
        unknowable = unknowable or name in _BUILD_ONLY
        return env.get(name, "")

    expanded = _VARIABLE.sub(value, text)
    return None if unknowable else expanded


def is_chart(files: Files, directory: str) -> bool:
    return files.text(join(directory, "Chart.yaml")) is not None


def images(
    files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files], env: Mapping[str, str]
) -> list[str]:
    """Every image the chart's merged values name."""
    chart = _document(files, join(directory, "Chart.yaml"))
    app_version = chart.get("appVersion")
    merged = values(files, directory, options, refs, env)
    return sorted(set(_images(merged, None if app_version is None else str(app_version))))


def inputs(
    files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files], env: Mapping[str, str]
) -> dict[str, Any]:
    """What ``helm template`` reads, as data: the merged values and the chart's own files (``Chart.yaml``,
    ``templates/``, ``charts/``, ``crds/``, by path in the chart). The value files count only through the
    merged values, so a change to another environment's values file next to them changes nothing."""
    prefix = "" if directory == "." else directory.rstrip("/") + "/"
    chart = {}
    for path in under(files, directory):
        relative = path[len(prefix) :]
        if relative == "Chart.yaml" or relative.startswith(_CHART_DIRECTORIES):
            chart[relative] = files.text(path)
    settings = {key: value for key, value in options.items() if key not in _VALUE_OPTIONS}  # releaseName, ...
    return {"values": values(files, directory, options, refs, env), "chart": chart, "options": settings}


def values(
    files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files], env: Mapping[str, str]
) -> dict[str, Any]:
    merged = _document(files, join(directory, "values.yaml"))
    ignore_missing = bool(options.get("ignoreMissingValueFiles"))
    for entry in options.get("valueFiles") or []:
        source, path = _locate(files, directory, str(entry), refs, env)
        text = source.text(path)
        if text is None:
            if ignore_missing:
                continue
            raise ManifestError(f"{directory}: value file {entry!r} not found")
        merged = _deep_merge(merged, _parse(text, path))
    if isinstance(options.get("valuesObject"), dict) and options["valuesObject"]:
        merged = _deep_merge(merged, options["valuesObject"])  # (Argo CD then ignores ``values``: one or the other)
    elif isinstance(options.get("values"), str):
        merged = _deep_merge(merged, _parse(options["values"], "helm.values"))
    for parameter in options.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name"):
            name, written = str(parameter["name"]), str(parameter.get("value") or "")
            value = expand(written, env)
            if value is None:
                raise ManifestError(f"{directory}: parameter {name} names the revision or the Kubernetes version")
            merged = _set(merged, name, value if parameter.get("forceString") is True else _typed(value))
    return merged


def _typed(value: str) -> Any:
    """A ``--set`` value as Helm types it (``--set-string`` keeps it a string): true/false, null, and
    integers without a leading zero."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.lower() == "null":
        return None
    if value == "0" or (value[:1] != "0" and re.fullmatch(r"[-+]?[0-9]+", value) and value[:2] not in ("-0", "+0")):
        return int(value)
    return value


def _locate(
    files: Files, directory: str, entry: str, refs: Mapping[str, Files], env: Mapping[str, str]
) -> tuple[Files, str]:
    located = value_file(entry, directory, refs.keys(), env)
    if located is None:
        raise ManifestError(
            f"{directory}: value file {entry!r} is a URL, outside the repository, or names the revision or the "
            "Kubernetes version (known only when Argo CD builds it)"
        )
    ref, path = located
    return (files if ref is None else refs[ref]), path


def _images(value: Any, app_version: str | None) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _images(item, app_version)
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key == "image" and isinstance(item, str) and item:
            yield item
        elif key == "image" and isinstance(item, dict) and item.get("repository"):
            yield _reference(item, app_version)
        else:
            yield from _images(item, app_version)


def _reference(image: Mapping[str, Any], app_version: str | None) -> str:
    name = str(image["repository"])
    if image.get("registry"):
        name = f"{image['registry']}/{name}"
    if image.get("digest"):
        return f"{name}@{image['digest']}"
    tag = image.get("tag") or app_version
    return f"{name}:{tag}" if tag else name


def _set(values: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """``--set a.b.c=value`` (dots escaped with a backslash stay in the key)."""
    keys = [key.replace("\\.", ".") for key in _UNESCAPED_DOT.split(dotted)]
    patch: Any = value
    for key in reversed(keys):
        patch = {key: patch}
    return _deep_merge(values, patch)


def _deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: mappings merge, anything else (lists too) replaces, ``null`` removes a key."""
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _document(files: Files, path: str) -> dict[str, Any]:
    text = files.text(path)
    return {} if text is None else _parse(text, path)


def _parse(text: str, where: str) -> dict[str, Any]:
    documents = manifests.load_documents(text, where, manifests.GO_YAML)  # (Helm reads values as Go does)
    return documents[0] if documents else {}


@dataclasses.dataclass(frozen=True)
class ChartReads:
    """The files of the repository ``helm template`` reads for a chart in Git, as path rules (so a file the
    commit deletes still matches): ``Chart.yaml``, ``Chart.lock``, ``requirements.*``, ``values.yaml``,
    ``values.schema.json``, ``.helmignore``, ``templates/``, ``charts/``, ``crds/``; any other file of the
    chart only when a template reads files (``.Files``); the same for each local (``file://``) dependency,
    transitively. Other environments' value files beside the chart are not read unless an Application
    names them."""

    charts: tuple[tuple[str, bool], ...]  # (directory, any file may be read), the chart first

    def why(self, path: str) -> str | None:
        for index, (directory, any_file) in enumerate(self.charts):
            if path == directory or not inside(path, directory):
                continue
            relative = path if directory == "." else path[len(directory) + 1 :]
            if any_file or relative in _CHART_FILES or relative.startswith(_CHART_DIRECTORIES):
                return f"in the Helm chart at {directory}" if index == 0 else f"in its local dependency {directory}"
        return None


def chart_reads(files: Files, directory: str) -> ChartReads:
    charts: list[tuple[str, bool]] = []
    pending, seen = [directory], set()
    while pending:
        chart = pending.pop(0)
        if chart in seen:
            continue
        seen.add(chart)
        templates = under(files, join(chart, "templates"))
        charts.append((chart, any(".Files" in (files.text(path) or "") for path in templates)))
        for name in ("Chart.yaml", "requirements.yaml"):
            try:
                dependencies = _document(files, join(chart, name)).get("dependencies")
            except ManifestError:
                continue
            for dependency in dependencies if isinstance(dependencies, list) else []:
                repository = str(dependency.get("repository") or "") if isinstance(dependency, dict) else ""
                if repository.startswith("file://"):
                    with contextlib.suppress(ValueError):
                        pending.append(join(chart, repository.removeprefix("file://")))
    return ChartReads(tuple(charts))


def value_file(
    entry: str, directory: str | None, refs: Collection[str], env: Mapping[str, str]
) -> tuple[str | None, str] | None:
    """Where a ``valueFiles`` entry points, as Argo CD resolves it: ``(ref, path)`` for ``$ref/path`` when
    ``ref`` is in ``refs`` (a path from the root of the source with that ``ref``), ``(None, path)`` for a
    path relative to the chart's ``directory`` (to the repository's root with a leading ``/``); None for a
    URL, for a path outside the repository, for a relative entry of a chart from a Helm repository
    (``directory`` None: the file is in the chart's package, not in Git), and for one that names a
    variable only the build knows."""
    try:
        if entry.startswith("$"):
            name, _, rest = entry[1:].partition("/")
            if name in refs:
                expanded = expand(rest, env)
                return None if expanded is None else (name, join(".", expanded.lstrip("/")))
        expanded = expand(entry, env)
        if expanded is None or "://" in expanded or directory is None:
            return None
        if expanded.startswith("/"):
            return None, join(".", expanded.lstrip("/"))
        return None, join(directory, expanded)
    except ValueError:
        return None
