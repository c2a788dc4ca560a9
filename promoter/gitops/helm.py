"""The images a Helm source deploys, read from its values (templates are not rendered).

Values are merged as ``helm template`` would: the chart's ``values.yaml``, then ``valueFiles`` in order
(``$ref/...`` names a file in another source of a multi-source Application), then inline ``values`` /
``valuesObject``, then ``parameters``. Images are every ``image:`` of the merged values, either a string or
a mapping ``{registry, repository, tag, digest}`` (an empty tag falls back to the chart's ``appVersion``).

Which files of the repository a chart in Git reads (for deciding which Applications a changed file concerns)
is :func:`chart_reads` and :func:`value_file`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from promoter.gitops import manifests
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


def is_chart(files: Files, directory: str) -> bool:
    return files.text(join(directory, "Chart.yaml")) is not None


def images(files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files]) -> list[str]:
    """Every image the chart's merged values name."""
    chart = _document(files, join(directory, "Chart.yaml"))
    app_version = chart.get("appVersion")
    return sorted(
        set(_images(values(files, directory, options, refs), None if app_version is None else str(app_version)))
    )


def inputs(files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files]) -> dict[str, Any]:
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
    return {"values": values(files, directory, options, refs), "chart": chart, "options": settings}


def values(files: Files, directory: str, options: Mapping[str, Any], refs: Mapping[str, Files]) -> dict[str, Any]:
    merged = _document(files, join(directory, "values.yaml"))
    ignore_missing = bool(options.get("ignoreMissingValueFiles"))
    for entry in options.get("valueFiles") or []:
        source, path = _locate(files, directory, str(entry), refs)
        text = source.text(path)
        if text is None:
            if ignore_missing:
                continue
            raise ManifestError(f"{directory}: value file {entry!r} not found")
        merged = _deep_merge(merged, _parse(text, path))
    if isinstance(options.get("values"), str):
        merged = _deep_merge(merged, _parse(options["values"], "helm.values"))
    if isinstance(options.get("valuesObject"), dict):
        merged = _deep_merge(merged, options["valuesObject"])
    for parameter in options.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name"):
            merged = _set(merged, str(parameter["name"]), parameter.get("value"))
    return merged


def _locate(files: Files, directory: str, entry: str, refs: Mapping[str, Files]) -> tuple[Files, str]:
    if entry.startswith("$"):
        name, _, rest = entry[1:].partition("/")
        if name not in refs:
            raise ManifestError(f"{directory}: value file {entry!r} names no source with ref {name!r}")
        return refs[name], join(".", rest)
    try:
        return files, join(directory, entry)
    except ValueError as exc:
        raise ManifestError(f"{directory}: value file {entry!r}: {exc}") from None


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
    documents = manifests.load_documents(text, where)
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


def value_file(entry: str, directory: str | None) -> tuple[str | None, str] | None:
    """Where a ``valueFiles`` entry points, as Argo CD resolves it: ``(ref, path)`` for ``$ref/path`` (a path
    from the root of the source with that ``ref``), ``(None, path)`` for a path relative to the chart's
    ``directory``; None for a URL, for a path outside the repository, and for a relative entry of a chart
    from a Helm repository (``directory`` None: the file is in the chart's package, not in Git)."""
    try:
        if entry.startswith("$"):
            name, _, rest = entry[1:].partition("/")
            return name, join(".", rest)
        if "://" in entry or directory is None:
            return None
        return None, join(directory, entry)
    except ValueError:
        return None
