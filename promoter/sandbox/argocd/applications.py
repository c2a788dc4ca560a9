"""The Argo CD Applications a config repo declares: plain ``kind: Application`` manifests, wherever they are.

Real Argo CD learns its Applications from the cluster; the simulator reads them from the repository's
default branch instead (every YAML file, re-read whenever that branch moves), so an app-of-apps root that
gains a child in Git shows the child through the API. ``repoURL`` is not followed: every source reads the
simulator's one repository. How one manifest reads is :mod:`promoter.gitops.applications`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from promoter.gitops import applications, manifests
from promoter.gitops.applications import Application
from promoter.sandbox.argocd.gitrepo import Snapshot


@dataclasses.dataclass(frozen=True)
class Catalog:
    """What one commit of the default branch declares."""

    applications: Mapping[str, Application]
    application_sets: tuple[manifests.Manifest, ...]
    problems: tuple[str, ...]  # files that mention Argo CD but do not parse, and duplicate names


def scan(snapshot: Snapshot) -> Catalog:
    """Every Application (and ApplicationSet) manifest in the commit; the first of two same-named apps wins."""
    apps: dict[str, Application] = {}
    application_sets: list[manifests.Manifest] = []
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
            elif document.get("kind") == "Application":
                app = applications.parse(document, path)
                if app is None:
                    problems.append(f"{path}: an Application without metadata.name")
                elif app.name in apps:
                    problems.append(f"{path}: a second Application named {app.name!r} (the first is kept)")
                else:
                    apps[app.name] = app
    return Catalog(apps, tuple(application_sets), tuple(problems))
