"""Whether a stage's Applications ignore what its plan changes (``spec.ignoreDifferences``), read from Git.

Argo CD leaves an Application Synced when a commit changes only fields it ignores, and applies nothing: a
weight, a replica count or an image promoter writes there would silently do nothing, and promoter would
"verify" a step that never happened. The stage's Applications are looked for as manifests in the config repo
at the base head (``kind: Application`` wherever they are); one defined only in the cluster (a Helm chart's
child, say) cannot be judged here. The judgement itself is :mod:`promoter.gitops.ignores`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from promoter.core import plan as plans
from promoter.core.model import Stage
from promoter.engine.runtime import Runtime
from promoter.gitops import applications, ignores, manifests


@dataclasses.dataclass(frozen=True)
class Ignored:
    """A change of the plan that an Application's ignoreDifferences hides (``sure``) or may hide."""

    application: str
    file: str  # the Application's manifest, and the line of the rule
    line: int
    message: str
    sure: bool  # False: the rule could not be judged from Git (a jq form, managed fields): a warning

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


Diff = tuple[str, str, str]  # (path, before, after)


def judge(rt: Runtime, stage: Stage, base: str, diffs: Sequence[tuple[plans.Change, Sequence[Diff]]]) -> list[Ignored]:
    """Each rule of the stage's Applications that hides (or may hide) a field the plan's changes edit: one
    finding per rule, naming the first field it hides and every change it would swallow.

    A change that also edits a field the Application does not ignore makes it OutOfSync, and the sync applies
    the whole manifest, ignored fields included, unless the Application sets ``RespectIgnoreDifferences=true``:
    only a change whose every edit is hidden (or any, with that option) is swallowed."""
    found = _applications(rt, stage.applications, base)
    if not any(entries for _, entries in found.values()):
        return []
    hits: dict[tuple[str, ignores.Ignore], list[tuple[plans.Change, str, ignores.Verdict]]] = {}
    for change, files in diffs:
        changed = [(path, *resource) for path, before, after in files for resource in _changed(path, before, after)]
        for name, (app, entries) in found.items():
            covered: list[tuple[str, ignores.Verdict]] = []
            applied = False  # some edit of the change is not hidden: the app goes OutOfSync and syncs
            for path, key, document, paths in changed:
                what = f"{key.kind}/{key.name} in {path}"
                resource = dataclasses.replace(key, namespace=key.namespace or app.destination_namespace)
                verdicts = ignores.judge(entries, resource, document, paths)
                hidden = {v.path for v in verdicts if isinstance(v, ignores.Covered)}
                applied = applied or any(p not in hidden for p in paths)
                for verdict in verdicts:
                    if isinstance(verdict, ignores.Unsure):
                        hits.setdefault((name, verdict.ignore), []).append((change, what, verdict))
                    else:
                        covered.append((what, verdict))
            if applied and not _respects_ignores(app):
                continue
            for what, verdict in covered:
                hits.setdefault((name, verdict.ignore), []).append((change, what, verdict))
    return [_ignored(name, rule, listed) for (name, rule), listed in hits.items()]


def _respects_ignores(app: applications.Application) -> bool:
    policy = app.spec.get("syncPolicy")
    options = policy.get("syncOptions") if isinstance(policy, dict) else None
    return isinstance(options, list) and "RespectIgnoreDifferences=true" in options


def _applications(
    rt: Runtime, names: Iterable[str], base: str
) -> dict[str, tuple[applications.Application, list[ignores.Entry]]]:
    """The named Applications whose manifests are in the repo, with their ignoreDifferences entries."""
    wanted = set(names)
    found: dict[str, tuple[applications.Application, list[ignores.Entry]]] = {}
    files = sorted({f for name in wanted for f in rt.repo.candidates(base, name)})
    for file in files:
        text = rt.repo.read(file, base)
        if text is None or "ignoreDifferences" not in text:
            continue
        try:
            entries = ignores.application_ignores(text, file)
            documents = manifests.load_documents(text, file)
        except manifests.ManifestError:
            continue  # not a plain manifest (a Helm template): Argo CD does not read it as an Application either
        for document in documents:
            app = applications.parse(document, file) if document.get("kind") == "Application" else None
            if app is not None and app.name in wanted and app.name not in found:
                found[app.name] = (app, entries.get(app.name, []))
    return found


def _changed(
    path: str, before: str, after: str
) -> list[tuple[manifests.ResourceKey, dict[str, Any], list[ignores.Path]]]:
    """Each resource of the file that the change edits: its key, its new document, the leaf paths it changes."""
    try:
        old = manifests.load_documents(before, path)
        new = manifests.load_documents(after, path)
    except manifests.ManifestError:
        return []
    changed = []
    for was, now in zip(old, new, strict=False):
        paths = ignores.changed_paths(was, now)
        if paths:
            changed.append((manifests.ResourceKey.of(now), now, paths))
    return changed


def _ignored(
    application: str, rule: ignores.Ignore, hits: Sequence[tuple[plans.Change, str, ignores.Verdict]]
) -> Ignored:
    _, what, first = hits[0]
    labels = ", ".join(repr(label) for label in dict.fromkeys(change.label for change, _, _ in hits))
    if isinstance(first, ignores.Covered):
        message = (
            f"Application {application} ignores {ignores.pointer(first.path)} of {what} ({rule.rule}): "
            f"promoter's {labels} would leave it Synced and never be applied; "
            "remove that rule, or let promoter edit another field"
        )
        return Ignored(application, rule.file, rule.line, message, sure=True)
    message = (
        f"Application {application} may ignore what {labels} change in {what} ({rule.rule}: {first.reason}); "
        "check it does not cover the fields promoter edits"
    )
    return Ignored(application, rule.file, rule.line, message, sure=False)
