"""What ``promoter sandbox up`` tells the person who started it, as ``#`` lines for stderr.

Which Applications the Argo CD simulator found and in which files (and, when none, why: what it reads, and
what only Argo CD itself could), and the people's tokens, to approve and comment as someone other than the bot.
Purely computational: values in, lines out; the command prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from promoter.sandbox.argocd.applications import Catalog
from promoter.sandbox.github.accounts import User

LIMIT = 10  # files listed, and Applications listed per file, before "and N more"
_READS = (
    "# note: it reads the repo as `promoter apps` does: Application manifests, what app-of-apps roots deploy "
    "(folders, kustomize builds, Helm charts in Git whose templates stay in the Go subset) and ApplicationSets; "
    "children only Argo CD can render (charts from Helm repositories, plugins, templates beyond the subset) "
    "are among the problems"
)


def applications(catalog: Catalog, branch: str, limit: int = LIMIT) -> list[str]:
    """The Applications by file, one line when few; with none, warnings saying why."""
    by_file: dict[str, list[str]] = {}
    for app in catalog.applications.values():
        by_file.setdefault(app.file, []).append(app.name)
    groups = [(file, sorted(names)) for file, names in sorted(by_file.items())]
    count = len(catalog.applications)
    if count == 0:
        return _none_found(catalog, branch, limit)
    if count <= limit:
        listed = ", ".join(f"{', '.join(names)} ({file})" for file, names in groups)
        lines = [f"# Argo CD simulator: {_plural(count, 'Application')}: {listed}"]
    else:
        lines = [f"# Argo CD simulator: {_plural(count, 'Application')} in {_plural(len(groups), 'file')}:"]
        lines += [f"#   {file}: {_names(names, limit)}" for file, names in groups[:limit]]
        rest = groups[limit:]
        if rest:
            more = sum(len(names) for _, names in rest)
            lines.append(f"#   and {_plural(len(rest), 'more file')} ({_plural(more, 'Application')})")
    if catalog.problems:
        lines.append(f"# Argo CD simulator: {_unreadable(catalog.problems, limit)}")
    return lines


def people(users: Iterable[User]) -> str:
    """Each person's role and token: the bot's token is the exported ``PROMOTER_GITHUB_TOKEN``."""
    listed = ", ".join(f"{user.login} ({user.role.role_name}) token {user.token}" for user in users)
    return f"# people: {listed}"


def _none_found(catalog: Catalog, branch: str, limit: int) -> list[str]:
    lines = [
        f"# warning: the Argo CD simulator found no Applications in the YAML files of the default branch ({branch})"
    ]
    if catalog.problems:
        lines.append(f"# warning: {_unreadable(catalog.problems, limit)}")
    if catalog.application_sets:
        names = [str((s.get("metadata") or {}).get("name") or "?") for s in catalog.application_sets]
        found = _plural(len(names), "ApplicationSet")
        lines.append(f"# warning: {found} found, generating no Application: {_names(names, limit)}")
    if not catalog.problems and not catalog.application_sets:
        lines.append(f"# warning: no file on {branch} mentions argoproj.io/")
    lines.append(_READS)
    return lines


def _unreadable(problems: Sequence[str], limit: int) -> str:
    """What in the files that mention Argo CD was not taken as an Application, each naming its file."""
    shown = "; ".join(problems[:limit])
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{_plural(len(problems), 'problem')} in files that mention Argo CD: {shown}{more}"


def _names(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
