"""The Argo CD documents a Helm chart in Git renders: an app-of-apps root that is a chart (the "apps" chart
pattern), its ``templates/`` that mention ``argoproj.io`` rendered with the merged values (:func:`.helm.values`)
by the Go subset of :mod:`.gotemplate` (``.Values``, ``.Release``, ``.Chart``, ``.Template``). What is outside
that subset (a template that fails, Applications only in helpers or subcharts) is left to Argo CD: pending.

Pure: the checkout's files in, documents with the template file and line they come from out.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping
from typing import Any

from promoter.gitops import applications, documents, gofunctions, gotemplate, helm, manifests
from promoter.gitops.applications import Application, Source
from promoter.gitops.appsets import Checkout
from promoter.gitops.files import Tree, join, under
from promoter.gitops.found import Location, Pending
from promoter.gitops.manifests import Manifest, ManifestError


@dataclasses.dataclass(frozen=True)
class Rendered:
    documents: tuple[tuple[Manifest, Location], ...]  # each Argo CD document, at its template's line
    pending: tuple[Pending, ...]  # what only Argo CD can render, and why


def rendered(checkout: Checkout, files: Tree, parent: str, app: Application, source: Source, path: str) -> Rendered:
    """What the chart at ``path``, a source of the Application ``parent``, renders of Argo CD's kinds."""
    templates = [
        file
        for file in under(files, join(path, "templates"))
        if file.endswith((".yaml", ".yml")) and not posixpath.basename(file).startswith("_")
    ]
    relevant = [file for file in templates if applications.API_GROUP in (checkout.text(file) or "")]
    others = [file for file in under(files, path) if file not in relevant and file.endswith(".tpl")]
    pending: list[Pending] = []
    if any(applications.API_GROUP in (checkout.text(file) or "") for file in others):
        pending.append(Pending(parent, f"{path}: Applications come from named templates (helpers)"))
    subcharts = sorted(
        {
            file[len(path) + 1 :].split("/")[1]
            for file in under(files, join(path, "charts"))
            if "/templates/" in file and applications.API_GROUP in (checkout.text(file) or "")
        }
    )
    if subcharts:
        names = ", ".join(f"charts/{sub}" for sub in subcharts)
        pending.append(Pending(parent, f"{path}: subcharts render Applications ({names}), not read here"))
    if not relevant:
        return Rendered((), tuple(pending))
    refs = {s.ref: files for s in app.sources if s.ref and checkout.reads(s.repo_url)}
    try:
        context = _context(files, path, app, source, refs)
    except ManifestError as exc:
        return Rendered((), (*pending, Pending(parent, f"{path}: {exc}")))
    found: list[tuple[Manifest, Location]] = []
    for file in relevant:
        source_text = checkout.text(file) or ""
        chart_name = str(context["Chart"].get("Name") or posixpath.basename(path))
        context["Template"] = {"Name": f"{chart_name}/{file[len(path) + 1 :]}", "BasePath": f"{chart_name}/templates"}
        try:
            out = gotemplate.render(source_text, context, gofunctions.HELM, "zero").replace(gotemplate.NO_VALUE, "")
            docs = documents.of(out, file)
        except (gotemplate.TemplateError, ManifestError) as exc:
            pending.append(Pending(parent, f"{file}: {exc}"))
            continue
        lines = _template_lines(source_text)
        argo = [(line, document) for line, document in docs if applications.is_argo(document)]
        for position, (line, document) in enumerate(argo):
            at = lines[position] if len(lines) == len(argo) else lines[0] if lines else line
            found.append((document, Location(file, at)))
    return Rendered(tuple(found), tuple(pending))


def _context(files: Tree, path: str, app: Application, source: Source, refs: Mapping[str, Tree]) -> dict[str, Any]:
    """What a chart's templates see: ``.Values`` merged as Argo CD passes them, ``.Release``, ``.Chart``."""
    options = source.option("helm")
    values = helm.values(files, path, options, refs, helm.build_env(app.name, app.destination_namespace, source))
    chart_text = files.text(join(path, "Chart.yaml")) or ""
    loaded = manifests.load_documents(chart_text, join(path, "Chart.yaml"))
    chart = loaded[0] if loaded else {}
    return {
        "Values": values,
        "Release": {
            "Name": str(options.get("releaseName") or app.name),
            "Namespace": app.destination_namespace or app.namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
            "Revision": 1,
        },
        "Chart": {key[:1].upper() + key[1:]: value for key, value in chart.items()},
    }


def _template_lines(text: str) -> list[int]:
    """Where a template's Argo CD documents start: the rendered documents map to these in order when there
    are as many, else (a range, a condition) all to the first."""
    return [start for start, chunk in documents.chunks(text) if start and applications.API_GROUP in chunk]
