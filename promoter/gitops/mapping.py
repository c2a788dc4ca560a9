"""Which Applications deploy a file of the config repo, and why. Pure: the checkout in, reasons out.

``files`` is the whole checkout at one revision (path -> text); a changed path need not be in it (a commit
may delete it): every rule is about paths, so a deleted file maps like the file it was.

**Which sources read this checkout.** The checkout is one repository. With ``repo_url``, a source reads it
when its ``repoURL`` names the same repository (compared without scheme, user, ``.git`` suffix, trailing
``/`` and case: ``git@github.com:o/r.git`` and ``https://github.com/o/r`` are one repository); without it,
every Git source does. A source with ``chart`` comes from a Helm repository and reads none of it. The
sources' ``targetRevision`` is not compared: the caller knows which branch it checked out.

**Rules**, for each source that reads the checkout (its type as :func:`.render.source_type` decides):

- Directory: a file under the source ``path`` that Argo CD reads as a manifest (``.yaml``, ``.yml``,
  ``.json``, ``.jsonnet``), in the top directory unless ``directory.recurse``, selected by
  ``directory.include`` / ``exclude`` (:func:`.render.selected`).
- Kustomize: the kustomization and everything it reaches (:func:`.kustomize.inputs`).
- Helm, a chart in Git: the files of the chart ``helm template`` reads (:class:`.helm.ChartReads`).
- Config management plugin: every file under the source path (the plugin gets the whole directory).
- Any type: ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml`` in the source path (Argo CD merges
  them into the source's parameters).
- Helm ``valueFiles`` and ``fileParameters`` (of a chart in Git or from a Helm repository): relative to the
  chart's path, or ``$ref/path`` from the root of the source with that ``ref``, credited to that source.
- The ``argocd.argoproj.io/manifest-generate-paths`` annotation, as Argo CD reads it: ``;``-separated,
  each entry trimmed; ``/x`` from the repository root, any other entry from each source's path (``.`` is
  the path itself; a source without a path, a ``ref`` source, counts from the root); a file counts when it
  is an entry, lies beneath one, or matches one as a glob (:func:`.globs.path_match`). A file covered only
  by the annotation still belongs: a commit touching it refreshes the app, and that is what promoter waits on.
- ``spec.sourceHydrator``: the dry source is read by the rules above; the hydrated ``syncSource.path`` (on
  its branch) as a plain directory; both are source 0, the only source such an app reports.

A file no rule covers belongs to nobody. :attr:`Reason.source` is the index of the source whose revision
carries the file (for a ``$ref/`` value file, the source with that ref: its ``status.sync.revisions``
entry is the one to watch); each source of an app gives at most one reason, the first rule that applies.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from promoter.gitops import globs, helm, kustomize, render
from promoter.gitops.applications import Application, Source
from promoter.gitops.files import Files, Tree, inside, join
from promoter.gitops.manifests import ManifestError

ANNOTATION = "argocd.argoproj.io/manifest-generate-paths"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
Rule = Callable[[str], str | None]  # a changed path -> why the source deploys it, or None


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why an Application deploys a file, for people: ``under its source path envs/prod (recurse)``."""

    application: str
    source: int
    why: str


def deployers(
    files: Mapping[str, str], apps: Sequence[Application], changed: Sequence[str], repo_url: str | None = None
) -> dict[str, tuple[Reason, ...]]:
    """For each changed path: every Application (and source) that deploys it, with why; apps in the given
    order, sources by index; an empty tuple for a file nobody deploys."""
    tree = Tree(files)
    claims = [(at, app, index, rule) for at, app in enumerate(apps) for index, rule in _claims(tree, app, repo_url)]
    found: dict[str, tuple[Reason, ...]] = {}
    for path in changed:
        reasons: dict[tuple[int, int], Reason] = {}  # (app's position, source) -> the first rule's reason
        for at, app, index, rule in claims:
            if (at, index) not in reasons and (why := rule(path)) is not None:
                reasons[(at, index)] = Reason(app.name, index, why)
        found[path] = tuple(reasons[key] for key in sorted(reasons))
    return found


def same_repository(one: str | None, other: str | None) -> bool:
    """Whether two repoURLs name one repository (scheme, user, ``.git``, trailing ``/`` and case aside)."""
    return one is not None and other is not None and _repository(one) == _repository(other)


def _repository(url: str) -> str:
    text = _SCHEME.sub("", url.strip().lower()).rstrip("/").removesuffix(".git")
    host, at, rest = text.partition("@")
    text = rest if at and "/" not in host else text  # drop a user (git@host...)
    host, colon, rest = text.partition(":")
    if colon and "/" not in host and not rest.split("/", 1)[0].isdigit():
        text = f"{host}/{rest}"  # scp-like host:path (a port is host:22/...)
    return text


def _claims(files: Files, app: Application, repo_url: str | None) -> Iterator[tuple[int, Rule]]:
    """Every rule by which a source of ``app`` reads the checkout, in order of precedence."""
    here = [_reads_checkout(source, repo_url) for source in app.sources]
    hydrator = app.hydrator
    if hydrator is not None:
        if _reads_checkout(hydrator.dry, repo_url):
            yield from ((0, _prefixed("hydrator dry source: ", r)) for r in _source_rules(files, app, hydrator.dry))
            dry_files = (
                _prefixed("hydrator dry source: ", rule) for _, rule in _value_file_rules(app, hydrator.dry, 0, {}, 0)
            )
            yield from ((0, rule) for rule in dry_files)
            yield from ((0, rule) for rule in _annotation_rules(app, hydrator.dry))
        if _reads_checkout(hydrator.sync, repo_url) and hydrator.sync.path is not None:
            branch = hydrator.sync.target_revision
            yield 0, _directory(hydrator.sync.path, {}, f"hydrated manifests under {hydrator.sync.path} ({branch})")
        return
    refs = {source.ref: index for index, source in enumerate(app.sources) if source.ref and here[index]}
    for index, written in enumerate(app.sources):
        if written.path_error:
            continue  # Argo CD renders nothing of it: neither its files nor its value files
        try:
            source = render.overridden(written, files, app.name)  # its path's .argocd-source*.yaml merged in
        except ManifestError:
            source = written  # (Argo CD fails to render it; the override file itself is still the app's)
        if here[index]:
            yield from ((index, rule) for rule in _source_rules(files, app, source))
        yield from _value_file_rules(app, source, index, refs, index if here[index] else None)
    for index, source in enumerate(app.sources):
        if here[index]:
            yield from ((index, rule) for rule in _annotation_rules(app, source))


def _reads_checkout(source: Source, repo_url: str | None) -> bool:
    if source.chart is not None:
        return False  # a Helm repository
    return repo_url is None or same_repository(source.repo_url, repo_url)


def _source_rules(files: Files, app: Application, source: Source) -> Iterator[Rule]:
    """What the source's path holds, by its type (nothing for a source without a path)."""
    path = source.path
    if path is None:
        return
    try:
        kind = render.source_type(source, files, path)
    except ManifestError:
        kind = None  # several types named: Argo CD renders nothing
    match kind:
        case render.SourceType.DIRECTORY:
            options = source.option("directory")
            yield _directory(path, options, f"under its source path {path}" + _recurse(options))
        case render.SourceType.KUSTOMIZE:
            components = [str(c) for c in source.option("kustomize").get("components") or []]
            yield _kustomization(path, kustomize.inputs(files, path, components))
        case render.SourceType.HELM:
            yield helm.chart_reads(files, path).why
        case render.SourceType.PLUGIN:
            yield _under(path, f"under its source path {path} (config management plugin)")
        case None:
            pass
    overrides = {_at(path, ".argocd-source.yaml"), _at(path, f".argocd-source-{app.name}.yaml")}
    yield lambda changed: f"Argo CD parameter override in {path}" if changed in overrides else None


def _directory(path: str, options: Mapping[str, object], why: str) -> Rule:
    def rule(changed: str) -> str | None:
        if not _beneath(changed, path):
            return None
        relative = changed if path == "." else changed[len(path) + 1 :]
        return why if render.selected(relative, options) else None

    return rule


def _recurse(options: Mapping[str, object]) -> str:
    return " (recurse)" if options.get("recurse") is True else ""


def _kustomization(path: str, read: Mapping[str, kustomize.Input]) -> Rule:
    def rule(changed: str) -> str | None:
        found = read.get(changed)
        if found is None:
            return None
        via = f" via {' -> '.join(found.via)}" if found.via else ""
        if found.role == "kustomization":
            return f"kustomization of {path}{via}"
        return f"kustomize {found.role} of {path}{via}"

    return rule


def _value_file_rules(
    app: Application, source: Source, index: int, refs: Mapping[str, int], own: int | None
) -> Iterator[tuple[int, Rule]]:
    """Helm ``valueFiles`` and ``fileParameters``: a ``$ref/`` one credited to the source with that ref (when
    it reads the checkout), a relative one to ``own`` (the source itself, None when it reads another repo)."""
    options = source.option("helm")
    directory = source.path if source.chart is None else None
    named = [(str(entry), f"Helm value file of source {index} ({entry})") for entry in _list(options.get("valueFiles"))]
    for parameter in _list(options.get("fileParameters")):
        if isinstance(parameter, dict) and parameter.get("path"):
            what = f"Helm file parameter {parameter.get('name')} of source {index} ({parameter['path']})"
            named.append((str(parameter["path"]), what))
    names = {s.ref for s in app.sources if s.ref}  # (a ref of another repository is still a ref)
    env = helm.build_env(app.name, app.destination_namespace, source)
    for entry, why in named:
        located = helm.value_file(entry, directory, names, env)
        if located is None:
            continue
        ref, path = located
        credited = own if ref is None else refs.get(ref)
        if credited is not None:
            yield credited, _exactly(path, why)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _annotation_rules(app: Application, source: Source) -> Iterator[Rule]:
    base = source.path or "."
    for written in app.annotations.get(ANNOTATION, "").split(";"):
        item = written.strip()
        if not item:
            continue
        resolved = posixpath.normpath(item[1:] or ".") if item.startswith("/") else _at(base, item)
        if resolved is not None:
            yield _annotated(resolved, f"manifest-generate-paths {item}")


def _annotated(entry: str, why: str) -> Rule:
    def rule(changed: str) -> str | None:
        return why if inside(changed, entry) or globs.path_match(entry, changed) else None

    return rule


def _under(directory: str, why: str) -> Rule:
    return lambda changed: why if _beneath(changed, directory) else None


def _exactly(path: str, why: str) -> Rule:
    return lambda changed: why if changed == path else None


def _prefixed(prefix: str, rule: Rule) -> Rule:
    def prefixed(changed: str) -> str | None:
        why = rule(changed)
        return None if why is None else prefix + why

    return prefixed


def _beneath(path: str, directory: str) -> bool:
    return path != directory and inside(path, directory)


def _at(directory: str, relative: str) -> str | None:
    try:
        return join(directory, relative)
    except ValueError:
        return None
