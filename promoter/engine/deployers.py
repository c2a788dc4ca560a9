"""Which Argo CD Applications deploy the files a stage's plan edits (the shell's half of it).

The config repo at the base head is read once (every manifest-like file), its Applications discovered as Argo
CD would find them (plain manifests, app-of-apps trees, ApplicationSets: :mod:`promoter.gitops.discovery`)
and each edited file mapped to the Applications that deploy it (:mod:`promoter.gitops.mapping`). A stage
that names no Applications waits on exactly these; one that names them is warned about any it misses, the
cause of promotions verified on too few Applications; a file deployed by Applications of two stages is
refused, since promoting one stage would change the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from promoter.core.model import Stage
from promoter.engine.runtime import Runtime
from promoter.gitops import appsets, discovery, mapping


@dataclasses.dataclass(frozen=True)
class Deployed:
    """Each edited file's deployers (Application names) and what discovery could not read."""

    by_file: Mapping[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()
    # what discovery could not resolve (children only Argo CD knows, ApplicationSets it cannot expand):
    # any of them may deploy an edited file too
    unresolved: tuple[str, ...] = ()

    @property
    def applications(self) -> tuple[str, ...]:
        return tuple(sorted({a for apps in self.by_file.values() for a in apps}))  # stable, whatever the order found


class Reader:
    """The repo's Applications at one commit, discovered once and asked about any files."""

    def __init__(self, rt: Runtime, commit: str) -> None:
        self._files = rt.repo.files(commit)
        found = discovery.discover(appsets.Checkout(self._files))
        self._apps = [f.application for f in found.applications]
        self._problems = tuple(f"{p.file}:{p.line}: {p.message}" for p in found.problems)
        self._unresolved = tuple(f"{p.parent}: {p.reason}" for p in found.pending)

    def deployers(self, changed: Sequence[str]) -> Deployed:
        mapped = mapping.deployers(self._files, self._apps, list(dict.fromkeys(changed)))
        by_file = {path: tuple(dict.fromkeys(r.application for r in reasons)) for path, reasons in mapped.items()}
        return Deployed(by_file, self._problems, self._unresolved)


def derived(deployed: Deployed, stage: Stage) -> tuple[str, ...] | str:
    """The Applications a stage that names none waits on, or why there are none; never from a repo whose
    Applications are not all known (too few would be waited on: a promotion without evidence)."""
    unknown = [*deployed.unresolved, *deployed.problems]
    if unknown:
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        return (
            f"the Applications deploying the files {stage.name} edits cannot be derived: not every Application "
            f"of the repo is known ({unknown[0]}{more}); name them in the stage's applications"
        )
    if deployed.applications:
        return deployed.applications
    files = ", ".join(sorted(deployed.by_file)) or "nothing"
    return f"no Argo CD Application in the repo deploys the files {stage.name} edits ({files})"


def missing(deployed: Deployed, stage: Stage) -> list[str]:
    """What a stage that names its Applications misses: each deployer of an edited file not in its list."""
    named = set(stage.applications)
    found = [
        f"{app} deploys {path} but is not among {stage.name}'s applications: promoter would not wait for it"
        for path, apps in deployed.by_file.items()
        for app in apps
        if app not in named
    ]
    unknown = [*deployed.unresolved, *deployed.problems]
    if unknown:
        found.append(f"not every Application of the repo is known ({unknown[0]}): others may deploy its files too")
    return found
