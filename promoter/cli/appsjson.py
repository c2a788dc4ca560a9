"""The ``--json`` document of ``promoter apps``: one object, its schema stable (fields may be added, none removed
or renamed)::

    {
      "applications": [{
        "name": str, "namespace": str, "project": str,
        "origin": "manifest" | "app-of-apps" | "applicationset" | "argocd-api",
        "sources": [{"repoURL": str|null, "path": str|null, "chart": str|null, "targetRevision": str,
                     "ref": str|null, "helm": {"valueFiles": [str], ...the helm options}|null,
                     "kustomize": {...}|null, "directory": {...}|null}],
        "multiSource": bool,
        "hydrator": {"drySource": {...}, "syncSource": {...}, "hydrateTo": {...}|null}|null,
        "destination": {"server"|"name": str, "namespace": str},
        "definedIn": {"file": str, "line": int}|null,   # its manifest, or its ApplicationSet's
        "generatedBy": {"applicationSet": str, "params": {...}}|null,
        "parent": str|null                               # the Application that deploys it
      }],
      "applicationSets": [{"name": str, "namespace": str, "definedIn": {...}|null, "parent": str|null,
                           "generators": [str], "applications": [str], "unresolved": str|null,
                           "notes": [str]}],
      "tree": {"<parent>": ["<child>", ...]},       # Applications by name, ApplicationSets as ApplicationSet/<name>
      "pending": [{"parent": str, "reason": str}],  # children only Argo CD knows
      "problems": [{"file": str|null, "line": int|null, "message": str}],
      "files": {"<path>": [{"application": str, "source": int, "why": str}]},  # with --file only
      "images": [{"file": str, "doc": int, "line": int, "path": str, "written": str, "name": str,
                  "tag": str|null, "digest": str|null, "form": str, "overrides": str|null}]   # with --images only
    }

An image's ``doc`` is 0-based (as ``--doc``), ``line`` 1-based, ``path`` the editor's path to it, ``written``
the text as written (or what a Helm mapping's or kustomize entry's fields spell together), ``form`` one of
``container``, ``value``, ``helm``, ``json-patch``, ``kustomize``, ``argocd-kustomize``, ``helm-parameters``,
and ``overrides`` the image a kustomize override replaces. A file the image scan cannot read is a problem.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from promoter.gitops import mapping, scan
from promoter.gitops.applications import Application, Source
from promoter.gitops.found import Discovery, Found, Location


def document(
    found: Discovery,
    deployed: Mapping[str, Sequence[mapping.Reason]] | None = None,
    scanned: scan.Scan | None = None,
) -> dict[str, Any]:
    """The ``--json`` object (schema in the module docstring)."""
    out: dict[str, Any] = {
        "applications": [_application(f) for f in found.applications],
        "applicationSets": [
            {
                "name": s.name,
                "namespace": s.namespace,
                "definedIn": _location(s.defined_in),
                "parent": s.parent,
                "generators": list(s.generators),
                "applications": list(s.applications),
                "unresolved": s.unresolved,
                "notes": list(s.notes),
            }
            for s in found.application_sets
        ],
        "tree": {parent: list(children) for parent, children in found.tree.items()},
        "pending": [{"parent": p.parent, "reason": p.reason} for p in found.pending],
        "problems": problems(found),
    }
    if deployed is not None:
        out["files"] = {path: [dataclasses.asdict(reason) for reason in reasons] for path, reasons in deployed.items()}
    if scanned is not None:
        out["images"] = images(scanned.images)
    return out


def problems(found: Discovery) -> list[dict[str, Any]]:
    return [{"file": p.file, "line": p.line, "message": p.message} for p in found.problems]


class Written(str):
    """A member's JSON, written already: put as it is."""

    __slots__ = ()


def images(refs: Sequence[scan.ImageRef]) -> Written:
    """The images' member, one line each, as :func:`dumps` writes a list of objects (the same text: a test
    holds them equal), but a third of the time: thousands of flat objects of known fields."""
    if not refs:
        return Written("[]")

    def text(value: str | None) -> str:
        return "null" if value is None else quoted(value)

    quoted = encode_basestring_ascii  # json.dumps's own for a string
    lines = ",\n".join(
        f'    {{"file": {quoted(r.file)}, "doc": {r.doc:d}, "line": {r.line:d}, "path": {quoted(r.path)}, '
        f'"written": {quoted(r.written)}, "name": {quoted(r.name)}, "tag": {text(r.tag)}, '
        f'"digest": {text(r.digest)}, "form": {quoted(r.form.value)}, "overrides": {text(r.overrides)}}}'
        for r in refs
    )
    return Written(f"[\n{lines}\n  ]")


def dumps(out: Mapping[str, Any]) -> str:
    """The object with one line per item of its lists and per key of its mappings: as readable as an indented
    dump for a repo of hundreds of apps and thousands of images, and written by the C encoder (an indented
    dump is Python's, some ten times slower)."""
    return "{\n" + ",\n".join(f"  {json.dumps(key)}: {member(value)}" for key, value in out.items()) + "\n}"


def member(value: Any) -> str:
    """A member's value as :func:`dumps` writes it."""
    if isinstance(value, Written):
        return value
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"    {json.dumps(item)}" for item in value) + "\n  ]"
    if isinstance(value, dict) and value:
        return "{\n" + ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()) + "\n  }"
    return json.dumps(value)


def _application(found: Found) -> dict[str, Any]:
    app = found.application
    hydrator = _hydrator(app)
    destination = app.spec.get("destination")
    return {
        "name": app.name,
        "namespace": app.namespace,
        "project": app.project,
        "origin": found.origin.value,
        "sources": [_source(source) for source in sources(app)],
        "multiSource": app.multi_source,
        "hydrator": hydrator,
        "destination": destination if isinstance(destination, dict) else {},
        "definedIn": _location(found.defined_in),
        "generatedBy": None
        if found.application_set is None
        else {"applicationSet": found.application_set, "params": dict(found.params or {})},
        "parent": found.parent,
    }


def sources(app: Application) -> tuple[Source, ...]:
    hydrator = app.hydrator
    if hydrator is not None and not app.spec.get("source") and not app.spec.get("sources"):
        return (hydrator.dry,)
    return app.sources


def _hydrator(app: Application) -> dict[str, Any] | None:
    if app.hydrator is None:
        return None
    spec = app.spec.get("sourceHydrator")
    assert isinstance(spec, dict)
    return {key: spec.get(key) for key in ("drySource", "syncSource", "hydrateTo")}


def _source(source: Source) -> dict[str, Any]:
    helm = source.spec.get("helm")
    return {
        "repoURL": source.repo_url,
        "path": source.path,
        "chart": source.chart,
        "targetRevision": source.target_revision,
        "ref": source.ref,
        "helm": {"valueFiles": [], **helm} if isinstance(helm, dict) else None,
        "kustomize": source.spec.get("kustomize") if isinstance(source.spec.get("kustomize"), dict) else None,
        "directory": source.spec.get("directory") if isinstance(source.spec.get("directory"), dict) else None,
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"file": location.file, "line": location.line}
