"""The Argo CD Applications a config repo declares, read as the product reads a checkout.

Real Argo CD learns its Applications from the cluster; the simulator reads them from the repository instead,
by :func:`promoter.gitops.discovery.discover` (the model ``promoter apps`` and the bot use): Application
manifests, the children app-of-apps roots deploy (folders of manifests, kustomize builds, Helm charts in Git
rendered in the Go subset), and what ApplicationSets generate (git generators read the simulator's
repository; a cluster generator sees only the local cluster; a generator only the controller can answer
generates nothing, a problem). The roots (Applications no other one deploys) come from the default branch,
re-read whenever it moves; a child of an app-of-apps from the revision its parent has synced, so that it
appears, changes and goes as the parent syncs (:class:`Catalog` ``parents``). ``repoURL`` is not followed:
every source reads the simulator's one repository.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from promoter.gitops import applications, appsets, discovery, manifests
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
    """What the commit declares, as the product reads a checkout (:func:`promoter.gitops.discovery.discover`):
    the Application manifests, the children app-of-apps roots deploy (folders of manifests, kustomize builds,
    Helm charts' templates in the Go subset) and what the ApplicationSets generate; the first of two same-named
    apps wins. Each child's parent is the Application deploying it (a generated one's: the one deploying its
    ApplicationSet)."""
    mentions = frozenset(snapshot.repo.grep(snapshot.commit, applications.API_GROUP))
    snapshot.prefetch(mentions)
    found = discovery.discover(appsets.Checkout(_Files(snapshot), argocd_files=mentions), clusters=CLUSTERS)
    set_parents = {s.name: s.parent for s in found.application_sets}
    parents: dict[str, str] = {}
    for app in found.applications:
        parent = set_parents.get(app.application_set) if app.application_set else app.parent
        if parent is not None:
            parents[app.name] = parent
    problems = [str(problem) for problem in found.problems]
    problems += [f"{item.parent}: only Argo CD knows its children: {item.reason}" for item in found.pending]
    return Catalog(
        {app.name: app.application for app in found.applications},
        tuple(s.manifest for s in found.application_sets),
        tuple(problems),
        parents,
    )


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
