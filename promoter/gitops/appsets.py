"""What an ApplicationSet generates, resolved against a checkout as Argo CD's ApplicationSet controller would.

Pure: the ApplicationSet manifest and a :class:`Checkout` (file paths and texts) in, an :class:`Expansion`
out: the generated Applications, each remembering the ApplicationSet and the parameters that made it.

Generators:

- ``list``: ``elements`` (and ``elementsYaml``). Without ``goTemplate`` every value must be a string, as
  Argo CD demands, and a ``values`` mapping becomes ``values.<key>``.
- ``git`` ``directories``: every directory of the checkout (none inside a ``.``-named one), matched whole
  with Go's ``path.Match``: ``*`` is one level and ``**`` is no more than ``*`` (``apps/*`` is the directories
  directly under ``apps``). A directory that any ``exclude: true`` entry matches is dropped. Parameters:
  ``path``, ``path.basename``, ``path.basenameNormalized``, ``path[n]`` (goTemplate: ``.path.path``,
  ``.path.basename``, ``.path.basenameNormalized``, ``.path.segments``).
- ``git`` ``files``: by default Argo CD's greedy ``git ls-files`` pathspec (``*`` crosses ``/``:
  ``config/*.json`` also matches ``config/a/b.json``); with ``new_file_globbing`` (Argo CD's
  ``--enable-new-git-file-globbing``) doublestar globs (``*`` one level, ``**`` any, ``{a,b}``). Each file
  is a YAML/JSON object or a list of them; its keys flattened with dots (``a.b``, lists as ``a.0``) or kept
  as they are (goTemplate), plus ``path`` (the file's directory), ``path.basename``, ``path.filename``,
  ``path.basenameNormalized``, ``path.filenameNormalized``, ``path[n]`` (goTemplate: ``.path.*`` and
  ``.path.segments``). ``pathParamPrefix`` and ``values`` are honoured for both git generators.
- ``clusters``: from the clusters given (the items of Argo CD's ``GET /api/v1/clusters``): ``name``,
  ``nameNormalized``, ``server``, ``project``, ``metadata.labels.<k>``/``metadata.annotations.<k>``
  (goTemplate: ``.metadata.labels``...), ``values``; its ``selector`` matches the cluster's labels, and the
  local cluster (``https://kubernetes.default.svc`` without labels: it has no secret) only without one.
  Without clusters the generator is :class:`Unresolved`.
- ``matrix`` (exactly two children; the second is first templated with the first one's parameters, its list
  ``elements`` too) and ``merge`` (``mergeKeys``, unique in every child; each later generator overrides the
  parameters of the base's sets with the same merge-key values); either nests one level only, as in Argo CD.
- a generator's ``selector`` (``matchLabels``, ``matchExpressions``) on its parameters flattened (``a.b``,
  each value as Go's ``%v`` prints it: ``enabled: true`` matches ``"true"``), at every level of a matrix or
  merge (Argo CD 3 ignores ``applyNestedSelectors``: nested selectors always apply); a top generator's own
  ``template`` over the spec's. goTemplate parameters merge as Argo CD's mergo does: in a matrix the first
  child's win, in a merge the later generator's, empty values included.

Templates: every string of the template is rendered alone, as Argo CD does. ``goTemplate: true`` uses the Go
subset of :mod:`promoter.gitops.gotemplate` (``goTemplateOptions: [missingkey=error]`` honoured); otherwise
fasttemplate: ``{{name}}``, ``{{ path.basename }}``, ``{{path[0]}}`` replaced by string parameters, unknown
tags left as written. Generated Applications live in the ApplicationSet's namespace and get Argo CD's
resources finalizer unless the template has finalizers or ``preserveResourcesOnDeletion`` is set.

``templatePatch`` is rendered with each parameter set (in either template style) and merged into the
rendered Application as Argo CD's strategic merge patch merges it (mappings key by key, lists replaced, null
removing a key).

Left out: the ``scmProvider``,
``pullRequest``, ``clusterDecisionResource`` and ``plugin`` generators, and git generators reading another
repository (:class:`Unresolved`: only the controller can answer); a git generator's ``revision`` (the
checkout stands for it); the order of a merge's results (Go's map order is random; the base's is kept).
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import functools
import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any

from promoter.gitops import applications, globs, gofunctions, gotemplate, manifests, mapping, patches
from promoter.gitops.applications import Application
from promoter.gitops.manifests import Manifest

IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
_CONTROLLER_ONLY = {
    "scmProvider": "an SCM provider for its repositories",
    "pullRequest": "an SCM provider for its pull requests",
    "clusterDecisionResource": "a cluster resource for its decisions",
    "plugin": "a plugin service",
}
_KINDS = ("list", "clusters", "git", "matrix", "merge", *_CONTROLLER_ONLY)
_TEMPLATED = re.compile(r"\{\{.*\}\}")  # fasttemplate only looks at strings with a tag on one line


class AppSetError(ValueError):
    """An ApplicationSet Argo CD would refuse (or that this code cannot read); names file, set and generator."""


class Unresolved(AppSetError):
    """What the ApplicationSet generates is known only to Argo CD's controller (a cluster list not given, an
    SCM provider, a plugin, another repository)."""


@dataclasses.dataclass(frozen=True)
class Checkout:
    """A config repo checkout as data: ``files`` maps every path to its text (it may read lazily: only the
    files asked for are read); ``repo_urls`` are the checkout's remotes (none: every ``repoURL`` is taken to
    be this checkout, as the simulator does)."""

    files: Mapping[str, str]
    repo_urls: tuple[str, ...] = ()
    # The files that may hold Argo CD documents (those naming ``argoproj.io/``), when the caller knows them
    # cheaper than reading every file (``git grep``); None: every YAML or JSON file is read to find out.
    argocd_files: frozenset[str] | None = None

    @functools.cached_property
    def all_paths(self) -> tuple[str, ...]:
        return tuple(sorted(self.files))

    @functools.cached_property
    def directories(self) -> tuple[str, ...]:
        """Every directory holding a file, as Argo CD's repo-server walks them: none under a ``.`` name."""
        found: set[str] = set()
        for path in self.all_paths:
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                if parts[depth - 1].startswith("."):
                    break
                found.add("/".join(parts[:depth]))
        return tuple(sorted(found, key=lambda d: d.split("/")))

    def text(self, path: str) -> str | None:
        return self.files.get(path)

    def reads(self, repo_url: str | None) -> bool:
        """Whether a source or generator with this ``repoURL`` reads this checkout."""
        if not self.repo_urls or not repo_url:
            return True
        return any(mapping.same_repository(repo_url, mine) for mine in self.repo_urls)


@dataclasses.dataclass(frozen=True)
class Generated:
    application: Application
    application_set: str
    params: Mapping[str, Any]  # the generator's parameters for this Application (JSON-safe)


@dataclasses.dataclass(frozen=True)
class Expansion:
    name: str
    namespace: str
    generators: tuple[str, ...]  # one description per top generator: "list", "matrix(git directories, list)"
    applications: tuple[Generated, ...]
    notes: tuple[str, ...] = ()  # what was left out


@dataclasses.dataclass(frozen=True)
class _Context:
    checkout: Checkout
    clusters: Sequence[Mapping[str, Any]] | None
    go: bool
    strict: bool  # goTemplateOptions: missingkey=error
    new_file_globbing: bool
    where: str  # "FILE:LINE: ApplicationSet 'name'"
    template_patch: str | None = None  # spec.templatePatch: rendered with each parameter set, merged in


def expand(
    appset: Manifest,
    checkout: Checkout,
    file: str,
    line: int = 0,
    clusters: Sequence[Mapping[str, Any]] | None = None,
    new_file_globbing: bool = False,
) -> Expansion:
    """The Applications ``appset`` generates from ``checkout``; ``clusters`` for the cluster generator."""
    metadata, spec = _mapping(appset.get("metadata")), _mapping(appset.get("spec"))
    place = f"{file}:{line}" if line else file
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise AppSetError(f"{place}: an ApplicationSet without metadata.name")
    options = spec.get("goTemplateOptions") or []
    context = _Context(
        checkout,
        clusters,
        spec.get("goTemplate") is True,
        isinstance(options, list) and "missingkey=error" in options,
        new_file_globbing,
        f"{place}: ApplicationSet {name!r}",
    )
    patch = spec.get("templatePatch")
    if patch is not None and not isinstance(patch, str):
        raise AppSetError(f"{context.where}: spec.templatePatch must be a string (a YAML document, templated)")
    context = dataclasses.replace(context, template_patch=patch or None)
    generators = spec.get("generators") or []
    if not isinstance(generators, list):
        raise AppSetError(f"{context.where}: spec.generators must be a list")
    notes: tuple[str, ...] = ()
    namespace = str(metadata.get("namespace") or "argocd")
    preserve = _mapping(spec.get("syncPolicy")).get("preserveResourcesOnDeletion") is True
    generated: list[Generated] = []
    names: set[str] = set()
    for index, generator in enumerate(generators):
        at = f"spec.generators[{index}]"
        kind = _kind(generator, context, at)
        own = _mapping(_mapping(generator[kind]).get("template"))
        template = _over(own, _mapping(spec.get("template")))
        for params in _params(generator, context, at, depth=0):
            app = _application(template, params, context, at, file, namespace, preserve)
            if app.name in names:
                raise AppSetError(f"{context.where}: generates two Applications named {app.name!r}")
            names.add(app.name)
            generated.append(Generated(app, name, params))
    described = tuple(_describe(g) for g in generators if isinstance(g, dict))
    return Expansion(name, namespace, described, tuple(generated), notes)


# --- generators -----------------------------------------------------------------------------------------


def _kind(generator: Any, context: _Context, at: str) -> str:
    if not isinstance(generator, dict):
        raise AppSetError(f"{context.where}: {at}: a generator must be a mapping")
    kinds = [kind for kind in _KINDS if kind in generator]
    if len(kinds) != 1:
        known = ", ".join(_KINDS)
        found = ", ".join(k for k in generator if k not in ("selector", "template")) or "none"
        raise AppSetError(f"{context.where}: {at}: a generator has one of {known} (found: {found})")
    return kinds[0]


def _params(generator: Any, context: _Context, at: str, depth: int) -> list[dict[str, Any]]:
    kind = _kind(generator, context, at)
    body = _mapping(generator[kind])
    here = f"{at}.{kind}"
    if kind in _CONTROLLER_ONLY:
        raise Unresolved(f"{context.where}: {here}: asks {_CONTROLLER_ONLY[kind]}; only Argo CD's controller knows")
    if kind == "list":
        found = _list(body, context, here)
    elif kind == "clusters":
        found = _clusters(body, context, here)
    elif kind == "git":
        found = _git(body, context, here)
    elif kind == "matrix":
        found = _matrix(body, context, here, depth)
    else:
        found = _merge(body, context, here, depth)
    selector = generator.get("selector")
    if isinstance(selector, dict):  # at every level (Argo CD 3 ignores applyNestedSelectors: always on)
        found = [params for params in found if _selected(_flatten(params), selector, context, at)]
    return found


def _list(body: Mapping[str, Any], context: _Context, at: str) -> list[dict[str, Any]]:
    elements = body.get("elements") or []
    if not isinstance(elements, list):
        raise AppSetError(f"{context.where}: {at}.elements must be a list")
    found: list[dict[str, Any]] = []
    for index, element in enumerate(elements):
        where = f"{at}.elements[{index}]"
        if not isinstance(element, dict):
            raise AppSetError(f"{context.where}: {where}: an element must be a mapping")
        if context.go:
            found.append(copy.deepcopy(element))
            continue
        params: dict[str, Any] = {}
        for key, value in element.items():
            if key == "values" and isinstance(value, dict):
                for name, item in value.items():
                    params[f"values.{name}"] = _string_param(item, f"{where}.values.{name}", context)
            else:
                params[key] = _string_param(value, f"{where}.{key}", context)
        found.append(params)
    text = body.get("elementsYaml")
    if text:
        try:
            listed = manifests.load_value(str(text), f"{context.where}: {at}.elementsYaml", manifests.GO_YAML)
        except manifests.ManifestError as exc:
            raise AppSetError(str(exc)) from None
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            raise AppSetError(f"{context.where}: {at}.elementsYaml must be a list of mappings")
        found += listed
    return found


def _string_param(value: Any, where: str, context: _Context) -> str:
    if not isinstance(value, str):
        kind = "null" if value is None else type(value).__name__
        raise AppSetError(f"{context.where}: {where} is a {kind}: without goTemplate, list values must be strings")
    return value


def _clusters(body: Mapping[str, Any], context: _Context, at: str) -> list[dict[str, Any]]:
    if context.clusters is None:
        raise Unresolved(f"{context.where}: {at}: lists Argo CD's clusters, which were not given (Argo CD not asked)")
    selector = _mapping(body.get("selector"))
    selective = bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    found: list[dict[str, Any]] = []
    for cluster in context.clusters:
        labels = {str(k): str(v) for k, v in _mapping(cluster.get("labels")).items()}
        annotations = {str(k): str(v) for k, v in _mapping(cluster.get("annotations")).items()}
        server, name = str(cluster.get("server") or ""), str(cluster.get("name") or "")
        params: dict[str, Any] = {"name": name, "nameNormalized": gofunctions.normalize(name), "server": server}
        if server == IN_CLUSTER and not labels and not annotations:  # the local cluster: no secret, no labels
            if selective:
                continue
        else:
            if selective and not _selected(labels, selector, context, f"{at}.selector"):
                continue
            params["project"] = str(cluster.get("project") or "")
            if context.go:
                params["metadata"] = {
                    **({"annotations": annotations} if annotations else {}),
                    **({"labels": labels} if labels else {}),
                }
            else:
                params.update({f"metadata.annotations.{k}": v for k, v in annotations.items()})
                params.update({f"metadata.labels.{k}": v for k, v in labels.items()})
        found.append(_with_values(params, body, context, at))
    return found


def _git(body: Mapping[str, Any], context: _Context, at: str) -> list[dict[str, Any]]:
    repo = body.get("repoURL")
    if not context.checkout.reads(str(repo) if repo else None):
        raise Unresolved(f"{context.where}: {at}: reads {repo}, not this checkout")
    prefix = str(body.get("pathParamPrefix") or "")
    directories, files = body.get("directories"), body.get("files")
    if directories:
        return [
            _with_values(_directory_params(path, prefix, context.go), body, context, at)
            for path in _matching_directories(_entries(directories, context, f"{at}.directories"), context)
        ]
    if files:
        return _file_params(_entries(files, context, f"{at}.files"), prefix, body, context, at)
    raise AppSetError(f"{context.where}: {at}: a git generator needs directories or files")


def _entries(value: Any, context: _Context, at: str) -> list[tuple[str, bool]]:
    if not isinstance(value, list):
        raise AppSetError(f"{context.where}: {at} must be a list of {{path, exclude}}")
    entries = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise AppSetError(f"{context.where}: {at}[{index}]: needs a path")
        entries.append((entry["path"], entry.get("exclude") is True))
    return entries


def _matching_directories(entries: list[tuple[str, bool]], context: _Context) -> list[str]:
    chosen = []
    for directory in context.checkout.directories:
        matched = [exclude for pattern, exclude in entries if globs.path_match(pattern, directory)]
        if matched and not any(matched):
            chosen.append(directory)
    return chosen


def _directory_params(path: str, prefix: str, go: bool) -> dict[str, Any]:
    base = posixpath.basename(path)
    if go:
        fields: dict[str, Any] = {"path": path, "basename": base, "basenameNormalized": gofunctions.normalize(base)}
        fields["segments"] = path.split("/")
        return {prefix: {"path": fields}} if prefix else {"path": fields}
    name = f"{prefix}.path" if prefix else "path"
    params = {name: path, f"{name}.basename": base, f"{name}.basenameNormalized": gofunctions.normalize(base)}
    params.update({f"{name}[{i}]": segment for i, segment in enumerate(path.split("/")) if segment})
    return params


def _file_params(
    entries: list[tuple[str, bool]], prefix: str, body: Mapping[str, Any], context: _Context, at: str
) -> list[dict[str, Any]]:
    match = _doublestar if context.new_file_globbing else _pathspec
    chosen = [
        path
        for path in context.checkout.all_paths
        if any(match(p, path) for p, exclude in entries if not exclude)
        and not any(match(p, path) for p, exclude in entries if exclude)
    ]
    found: list[dict[str, Any]] = []
    for path in chosen:
        text = context.checkout.text(path)
        if text is None:
            raise AppSetError(f"{context.where}: {at}: {path} could not be read")
        try:
            loaded = manifests.load_value(text, path, manifests.GO_YAML)  # (sigs.k8s.io/yaml: YAML 1.1)
        except manifests.ManifestError as exc:
            raise AppSetError(f"{context.where}: {at}: {exc}") from None
        objects = [{}] if loaded is None else loaded if isinstance(loaded, list) else [loaded]
        for item in objects:
            if not isinstance(item, dict):
                raise AppSetError(f"{context.where}: {at}: {path} must hold a mapping or a list of mappings")
            params = copy.deepcopy(item) if context.go else _flatten(item)
            params.update(_file_path_params(path, prefix, context.go))
            found.append(_with_values(params, body, context, at))
    return found


def _file_path_params(path: str, prefix: str, go: bool) -> dict[str, Any]:
    directory = posixpath.dirname(path) or "."
    base, filename = posixpath.basename(directory), posixpath.basename(path)
    normal = {"basenameNormalized": gofunctions.normalize(base), "filenameNormalized": gofunctions.normalize(filename)}
    if go:
        fields: dict[str, Any] = {"path": directory, "basename": base, "filename": filename, **normal}
        fields["segments"] = directory.split("/")
        return {prefix: {"path": fields}} if prefix else {"path": fields}
    name = f"{prefix}.path" if prefix else "path"
    params = {name: directory, f"{name}.basename": base, f"{name}.filename": filename}
    params.update({f"{name}.{key}": value for key, value in normal.items()})
    params.update({f"{name}[{i}]": segment for i, segment in enumerate(directory.split("/")) if segment})
    return params


def _flatten(value: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested keys as ``a.b`` and list items as ``a.0``, each value as Go's ``%v`` prints it."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    else:
        out[prefix] = gofunctions.format_value(value)
    return out


def _with_values(params: dict[str, Any], body: Mapping[str, Any], context: _Context, at: str) -> dict[str, Any]:
    """A generator's ``values``, each templated with the generator's own parameters."""
    values = _mapping(body.get("values"))
    if not values:
        return params
    rendered = {str(k): _render_string(str(v), params, context, f"{at}.values.{k}") for k, v in values.items()}
    if context.go:
        return {**params, "values": rendered}
    return {**params, **{f"values.{k}": v for k, v in rendered.items()}}


def _matrix(body: Mapping[str, Any], context: _Context, at: str, depth: int) -> list[dict[str, Any]]:
    _nests_once(depth, context, at)
    children = body.get("generators")
    if not isinstance(children, list) or len(children) != 2:
        raise AppSetError(f"{context.where}: {at}: a matrix combines exactly two generators")
    found = _params(children[0], context, f"{at}.generators[0]", depth + 1)
    for index, child in enumerate(children[1:], start=1):
        combined: list[dict[str, Any]] = []
        for earlier in found:
            templated = _interpolate(child, earlier, context, f"{at}.generators[{index}]") if earlier else child
            for later in _params(templated, context, f"{at}.generators[{index}]", depth + 1):
                # (Argo CD merges the second child's into an empty map, then the first's over it: the first wins)
                merge = _mergo(later, earlier, override=True) if context.go else _combine(earlier, later, context, at)
                combined.append(merge)
        found = combined
    return found


def _merge(body: Mapping[str, Any], context: _Context, at: str, depth: int) -> list[dict[str, Any]]:
    _nests_once(depth, context, at)
    children = body.get("generators")
    keys = body.get("mergeKeys")
    if not isinstance(children, list) or len(children) < 2:
        raise AppSetError(f"{context.where}: {at}: a merge needs two generators")
    if not isinstance(keys, list) or not keys:
        raise AppSetError(f"{context.where}: {at}: a merge needs mergeKeys")
    unique = sorted({str(k) for k in keys})

    def key_of(params: Mapping[str, Any]) -> str:
        return json.dumps({k: params.get(k) for k in unique}, sort_keys=True, default=str)

    def by_keys(sets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for params in sets:
            key = key_of(params)
            if key in found:  # the base's too: Argo CD then generates nothing
                raise AppSetError(f"{context.where}: {at}: two parameter sets share the merge keys {key}")
            found[key] = params
        return found

    sets = [_params(child, context, f"{at}.generators[{i}]", depth + 1) for i, child in enumerate(children)]
    base = sets[0]
    by_keys(base)
    for later in sets[1:]:
        by_key = by_keys(later)
        merged = []
        for params in base:
            over = by_key.get(key_of(params))
            if over is None:
                merged.append(params)
            else:
                merged.append(_mergo(params, over, override=True) if context.go else {**params, **over})
        base = merged
    return base


def _nests_once(depth: int, context: _Context, at: str) -> None:
    """Argo CD's combination generators nest one level only: a matrix or merge inside one, no deeper."""
    if depth >= 2:
        raise AppSetError(f"{context.where}: {at}: a matrix or merge nests only once (inside one, not deeper)")


def _combine(first: Mapping[str, Any], second: Mapping[str, Any], context: _Context, at: str) -> dict[str, Any]:
    for key, value in second.items():
        if key in first and first[key] != value:
            raise AppSetError(
                f"{context.where}: {at}: the matrix's generators both set {key!r} ({first[key]!r}, {value!r})"
            )
    return {**first, **second}


def _mergo(base: Mapping[str, Any], other: Mapping[str, Any], override: bool = False) -> dict[str, Any]:
    """``mergo.Merge(&base, other)``: nested mappings merged; otherwise the base keeps its non-empty values
    (a template's fields), or with ``override`` (``mergo.WithOverride`` on parameter maps, whose elements are
    interfaces) takes every value of ``other``, an empty one (``false``, ``""``, ``null``) too."""
    merged = copy.deepcopy(dict(base))
    for key, value in other.items():
        mine = merged.get(key)
        if isinstance(mine, dict) and isinstance(value, dict):
            merged[key] = _mergo(mine, value, override)
        elif override or key not in merged or gofunctions.empty(mine):
            merged[key] = copy.deepcopy(value)
    return merged


def _interpolate(generator: Mapping[str, Any], params: Mapping[str, Any], context: _Context, at: str) -> Any:
    """A matrix child templated with an earlier child's parameters, its list elements too (its template is
    the Applications', left as it is)."""

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            return _render_string(value, params, context, at)
        if isinstance(value, list):
            return [walk(item, path) for item in value]
        if isinstance(value, dict):
            return {k: (v if not path and k == "template" else walk(v, (*path, k))) for k, v in value.items()}
        return value

    return walk(generator, ())


def _selected(labels: Mapping[str, str], selector: Mapping[str, Any], context: _Context, at: str) -> bool:
    """A Kubernetes label selector (``matchLabels``, ``matchExpressions`` with In/NotIn/Exists/DoesNotExist)."""
    for key, value in _mapping(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for entry in selector.get("matchExpressions") or []:
        expression = _mapping(entry)
        key, operator = str(expression.get("key")), expression.get("operator")
        values = [str(v) for v in expression.get("values") or []]
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise AppSetError(f"{context.where}: {at}: unknown selector operator {operator!r}")
        if not ok:
            return False
    return True


# --- templates ------------------------------------------------------------------------------------------


def _application(
    template: Mapping[str, Any],
    params: Mapping[str, Any],
    context: _Context,
    at: str,
    file: str,
    namespace: str,
    preserve: bool,
) -> Application:
    rendered = _render(template, params, context, at)
    if context.template_patch is not None:
        project = _mapping(rendered.get("spec")).get("project")
        # (an Application's lists have no merge keys: its strategic merge patch is a JSON merge patch)
        rendered = patches.merge_patch(rendered, _template_patch(context.template_patch, params, context))
        if project is not None:  # Argo CD keeps the template's project, whatever a patch says
            rendered = {**rendered, "spec": {**_mapping(rendered.get("spec")), "project": project}}
    metadata = dict(_mapping(rendered.get("metadata")))
    if not metadata.get("name"):
        shown = json.dumps(params, sort_keys=True, default=str)
        raise AppSetError(f"{context.where}: {at}: the template gives no metadata.name for parameters {shown}")
    metadata["namespace"] = namespace  # the controller puts them beside the ApplicationSet
    if not metadata.get("finalizers") and not preserve:
        metadata["finalizers"] = [FINALIZER]
    document = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": _mapping(rendered.get("spec")),
    }
    app = applications.parse(document, file)
    assert app is not None  # the name was checked above
    return app


def _template_patch(text: str, params: Mapping[str, Any], context: _Context) -> dict[str, Any]:
    """``spec.templatePatch`` rendered with the parameters (as the template's strings are), then read as YAML."""
    rendered = _render_string(text, params, context, "spec.templatePatch")
    try:
        patch = manifests.load_value(rendered, f"{context.where}: spec.templatePatch", manifests.GO_YAML)
    except manifests.ManifestError as exc:
        raise AppSetError(str(exc)) from None
    if patch is None:
        return {}
    if not isinstance(patch, dict):
        raise AppSetError(f"{context.where}: spec.templatePatch renders to a {type(patch).__name__}, not a mapping")
    return patch


def _render(value: Any, params: Mapping[str, Any], context: _Context, at: str) -> Any:
    if isinstance(value, str):
        return _render_string(value, params, context, at)
    if isinstance(value, list):
        return [_render(item, params, context, at) for item in value]
    if isinstance(value, dict):  # keys too, as Argo CD renders them (a templated label or annotation key)
        return {_render(key, params, context, at): _render(item, params, context, at) for key, item in value.items()}
    return value


def _render_string(text: str, params: Mapping[str, Any], context: _Context, at: str) -> str:
    if "{{" not in text:
        return text
    if not context.go:
        return fasttemplate(text, params)
    try:
        return gotemplate.render(text, params, gofunctions.ARGOCD, "error" if context.strict else "default")
    except gotemplate.TemplateError as exc:
        raise AppSetError(f"{context.where}: {at}: {exc}") from None


def fasttemplate(text: str, params: Mapping[str, Any]) -> str:
    """Argo CD's default template style: each ``{{ key }}`` whose key is a string parameter is replaced;
    any other tag stays as written."""
    if not _TEMPLATED.search(text):
        return text
    out: list[str] = []
    position = 0
    while (start := text.find("{{", position)) >= 0 and (end := text.find("}}", start + 2)) >= 0:
        out.append(text[position:start])
        tag = text[start + 2 : end]
        value = params.get(tag.strip())
        out.append(value if tag.strip() and isinstance(value, str) else "{{" + tag + "}}")
        position = end + 2
    out.append(text[position:])
    return "".join(out)


def _over(own: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """A generator's template over the spec's: its own non-empty fields win (``mergo.Merge``)."""
    return _mergo(own, base)


def _describe(generator: Mapping[str, Any]) -> str:
    kind = next((k for k in _KINDS if k in generator), "unknown")
    body = _mapping(generator.get(kind))
    if kind == "git":
        return "git directories" if body.get("directories") else "git files"
    if kind == "clusters":
        return "cluster"
    if kind in ("matrix", "merge"):
        children = body.get("generators") or []
        inner = ", ".join(_describe(c) for c in children if isinstance(c, dict))
        return f"{kind}({inner})"
    return kind


# --- globs ----------------------------------------------------------------------------------------------


def _pathspec(pattern: str, path: str) -> bool:
    """``git ls-files -- PATTERN``: the path itself, a directory above it, or a glob whose ``*`` crosses ``/``."""
    cleaned = posixpath.normpath(pattern).removeprefix("./")
    if cleaned in (".", path) or path.startswith(cleaned.rstrip("/") + "/"):
        return True
    return fnmatch.fnmatchcase(path, cleaned)


@functools.lru_cache(maxsize=512)
def _doublestar_glob(pattern: str) -> re.Pattern[str]:
    out = []
    parts = posixpath.normpath(pattern).split("/")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out.append("(?:.*/)?" if not last else ".*")
            continue
        piece = re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        piece = re.sub(r"\\\{([^}]*)\\\}", lambda m: "(?:" + "|".join(m.group(1).split(",")) + ")", piece)
        out.append(piece + ("" if last else "/"))
    return re.compile("".join(out))


def _doublestar(pattern: str, path: str) -> bool:
    return _doublestar_glob(pattern).fullmatch(path) is not None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
