"""The Argo CD Applications a config repo declares: plain ``kind: Application`` manifests, wherever they are,
and the Applications its ApplicationSets generate.

Real Argo CD learns its Applications from the cluster; the simulator reads them from the repository instead:
the roots (Applications no other one deploys) from the default branch, re-read whenever it moves; a child of
an app-of-apps from the revision its parent has synced, so that it appears, changes and goes as the parent
syncs (:class:`Catalog` ``parents``, by the product's mapping of files to the Applications deploying them).
``repoURL`` is not followed: every source reads the simulator's one repository. How one manifest reads is
:mod:`promoter.gitops.applications`; what an ApplicationSet generates is
:func:`promoter.gitops.appsets.expand`, against the same commit (as the ApplicationSet controller would: git
generators read the simulator's repository; a cluster generator sees only the local cluster; a generator only
the controller can answer generates nothing, a problem).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from promoter.gitops import applications, appsets, manifests, mapping
from promoter.gitops.applications import Application
from promoter.sandbox.argocd.gitrepo import Snapshot


@dataclasses.dataclass(frozen=True)
class Catalog:
    """What one commit of the default branch declares."""

    applications: Mapping[str, Application]
    application_sets: tuple[manifests.Manifest, ...]
    problems: tuple[str, ...]  # files that mention Argo CD but do not parse, duplicate names, unexpandable sets
    # child -> parent: the Application whose sources deploy the child's manifest (its ApplicationSet's, for a
    # generated one), by the product's mapping; the others are roots, created in Argo CD by hand
    parents: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def roots(self) -> list[str]:
        return sorted(name for name in self.applications if name not in self.parents)

    def children(self, parent: str) -> list[str]:
        return sorted(child for child, p in self.parents.items() if p == parent)


CLUSTERS = ({"name": "in-cluster", "server": appsets.IN_CLUSTER},)  # the simulator's one cluster, as Argo CD lists it


def scan(snapshot: Snapshot) -> Catalog:
    """Every Application (and ApplicationSet) manifest in the commit; the first of two same-named apps wins.
    Then what the ApplicationSets generate, unless a manifest (or an earlier set) has the name already."""
    apps: dict[str, Application] = {}
    application_sets: list[manifests.Manifest] = []
    set_files: list[str] = []
    problems: list[str] = []
    found = sorted(snapshot.repo.grep(snapshot.commit, applications.API_GROUP))
    snapshot.prefetch(found)
    for path in found:
        text = snapshot.text(path)
        if text is None:
            continue
        try:
            documents = manifests.load_documents(text, path)
        except manifests.ManifestError as exc:
            problems.append(str(exc))  # often a Helm template: not a plain manifest, so not an Application
            continue
        for document in documents:
            if not str(document.get("apiVersion", "")).startswith(applications.API_GROUP):
                continue
            if document.get("kind") == "ApplicationSet":
                application_sets.append(applications.tidy(document))
                set_files.append(path)
            elif document.get("kind") == "Application":
                app = applications.parse(document, path)
                if app is None:
                    problems.append(f"{path}: an Application without metadata.name")
                elif app.name in apps:
                    problems.append(f"{path}: a second Application named {app.name!r} (the first is kept)")
                else:
                    apps[app.name] = app
    if application_sets:  # only then: most commits have none, and a scan runs on every push
        _generate(snapshot, list(zip(set_files, application_sets, strict=True)), apps, problems)
    return Catalog(apps, tuple(application_sets), tuple(problems), _parents(snapshot, apps))


def _parents(snapshot: Snapshot, apps: Mapping[str, Application]) -> dict[str, str]:
    """Each Application whose manifest another one deploys, and that one (the first, in name order)."""
    if len(apps) < 2:
        return {}
    ordered = [apps[name] for name in sorted(apps)]
    files = sorted({app.file for app in ordered})
    reasons = mapping.deployers(_Files(snapshot), ordered, files)
    parents = {}
    for app in ordered:
        parent = next((r.application for r in reasons[app.file] if r.application != app.name), None)
        if parent is not None:
            parents[app.name] = parent
    return parents


def _generate(
    snapshot: Snapshot,
    found: list[tuple[str, manifests.Manifest]],
    apps: dict[str, Application],
    problems: list[str],
) -> None:
    """Add the Applications each ApplicationSet generates whose names are free (a clash is a problem)."""
    checkout = appsets.Checkout(_Files(snapshot))
    for path, appset in found:
        try:
            expansion = appsets.expand(appset, checkout, path, clusters=CLUSTERS)
        except appsets.AppSetError as exc:  # the controller would generate nothing either
            problems.append(str(exc))
            continue
        for generated in expansion.applications:
            app = generated.application
            if app.name in apps:
                problems.append(
                    f"{path}: ApplicationSet {expansion.name!r} generates an Application named {app.name!r}, "
                    f"which exists already (in {apps[app.name].file}; that one is kept)"
                )
            else:
                apps[app.name] = app


class _Files(Mapping[str, str]):
    """A commit's files as ``path -> text`` for :class:`~promoter.gitops.appsets.Checkout`: listing the paths
    reads no file; a text is read (through the snapshot's cache) only when asked for. Binary files are absent
    from the values (``get`` gives None) but not from the paths."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._paths = snapshot.repo.files(snapshot.commit)

    def __getitem__(self, path: str) -> str:
        text = self._snapshot.text(path) if path in self._paths else None
        if text is None:
            raise KeyError(path)
        return text

    def __contains__(self, path: object) -> bool:
        return path in self._paths  # without reading the file

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
