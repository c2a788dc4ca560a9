"""The checks before the first push, for every stage (DESIGN.md: validate before the first push).

For each stage: the base branch exists, the stage's resources are found (by file, or by kind and name), its
plan can be built from them, every change of the plan applies (each on top of the ones before it, as they
will be merged), no Application of the stage ignores (``ignoreDifferences``) a field the plan changes, Argo CD
knows each named Application, and each analysis' queries can be made ready (every argument has a value).
``promoter start``, ``promoter plan`` and the bot (before a promotion leaves Pending) all run these, so a wrong
Application name in prod or a missing prod file is found before staging is touched. ``promoter plan`` prints
the very diffs computed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core import analysis, edits
from promoter.core import plan as plans
from promoter.core.actions import FileChange
from promoter.core.model import Pipeline, Stage
from promoter.core.resources import Found
from promoter.core.snapshot import Preflight
from promoter.core.strategies import BlueGreen, Canary, ResourceRef
from promoter.engine import deployers, ignored, locate
from promoter.engine.runtime import Runtime
from promoter.errors import CredentialError, PermanentError, TemporaryError
from promoter.yamledit.errors import EditError

Loc = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem, with where it is in the pipeline's config (for ``file:line`` in the command line)."""

    stage: str | None  # None: the pipeline itself (its base branch)
    loc: Loc  # under the pipeline's mapping: ("stages", 1, "targets", 0, "file"), ("base_branch",)
    message: str

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}" if self.stage else self.message


@dataclasses.dataclass(frozen=True)
class Preview:
    """A stage's plan at the base head, with each change's files before and after (what ``plan`` shows)."""

    plan: plans.StagePlan | None
    diffs: tuple[tuple[plans.Change, tuple[tuple[str, str, str], ...]], ...] = ()  # (change, (path, before, after))


@dataclasses.dataclass(frozen=True)
class Checked:
    findings: tuple[Finding, ...]
    unavailable: str | None  # a system that could not be asked: nothing is pushed, ask again later
    previews: dict[str, Preview]  # by stage name
    warnings: tuple[Finding, ...] = ()  # what may be wrong but cannot be judged from Git: said, not refused
    derived: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # stages naming none: found

    def preflight(self) -> Preflight:
        """What the decision judges; a system that could not be asked stops the pass instead (nothing pushed)."""
        if self.unavailable is not None:
            raise TemporaryError(f"cannot check the stages before the first push: {self.unavailable}")
        return Preflight(tuple(str(f) for f in self.findings))


def check(rt: Runtime, pipeline: Pipeline, version: str) -> Checked:
    """Every stage's problems. A refused token is raised (:class:`CredentialError`): a person must fix it."""
    try:
        base = rt.repo.fetch(pipeline.base_branch)
    except TemporaryError as exc:
        return Checked((), f"git: {exc}", {})
    except PermanentError as exc:
        return Checked((Finding(None, ("base_branch",), str(exc)),), None, {})
    findings: list[Finding] = []
    warnings: list[Finding] = []
    unavailable: list[str] = []
    previews: dict[str, Preview] = {}
    derived: dict[str, tuple[str, ...]] = {}
    deployed_by: dict[int, deployers.Deployed] = {}  # each stage's edited files and their deployers
    reader: deployers.Reader | None = None
    serving: dict[int, tuple[str, ...]] = {}
    for index, stage in enumerate(pipeline.stages):
        preview, problems = _stage(rt, stage, index, version, base)
        previews[stage.name] = preview
        findings += problems
        reader = reader or deployers.Reader(rt, base)
        deployed = deployed_by[index] = reader.deployers(_changed(preview))
        if plans.derives(stage):
            found = deployers.derived(deployed, stage)
            if isinstance(found, str):
                findings.append(Finding(stage.name, ("stages", index), found))
                continue
            stage = dataclasses.replace(stage, applications=found)  # noqa: PLW2901 - the stage as it will run
            derived[stage.name] = found
        else:
            named: Loc = ("stages", index, "applications")
            warnings += [Finding(stage.name, named, text) for text in deployers.missing(deployed, stage)]
        serving[index] = stage.applications
        for hidden in ignored.judge(rt, stage, base, preview.diffs):
            at = ("stages", index, "applications", stage.applications.index(hidden.application))
            (findings if hidden.sure else warnings).append(Finding(stage.name, at, str(hidden)))
        missing, down = applications(rt, stage)
        findings += [Finding(stage.name, ("stages", index, "applications", i), text) for i, text in missing]
        unavailable += down
    findings += _shared(pipeline, deployed_by, serving)
    return Checked(tuple(findings), "; ".join(unavailable) or None, previews, tuple(warnings), derived)


def derived_at_start(rt: Runtime, stage: Stage, index: int, version: str, base: str) -> tuple[str, ...] | str:
    """For a stage that names no Applications, as it starts: those deploying the files its plan edits (the
    same plan and mapping the checks before the first push used), or why there are none."""
    preview, problems = _stage(rt, stage, index, version, base)
    if problems:
        return str(problems[0])
    return deployers.derived(deployers.Reader(rt, base).deployers(_changed(preview)), stage)


def _changed(preview: Preview) -> list[str]:
    return [path for _, diff in preview.diffs for path, _, _ in diff]


def _shared(
    pipeline: Pipeline, deployed_by: dict[int, deployers.Deployed], serving: dict[int, tuple[str, ...]]
) -> list[Finding]:
    """A file a stage edits that an Application of another stage deploys: promoting one would change both."""
    owner = {app: index for index, apps in serving.items() for app in apps}
    found = []
    for index, deployed in deployed_by.items():
        for path, apps in deployed.by_file.items():
            for app in apps:
                other = owner.get(app)
                if other is not None and other != index:
                    stage, theirs = pipeline.stage(index), pipeline.stage(other)
                    found.append(
                        Finding(
                            stage.name,
                            ("stages", index),
                            f"{path} is deployed by {app} of {theirs.name} too: promoting {stage.name} would "
                            f"change {theirs.name} at the same time",
                        )
                    )
    return found


def _stage(rt: Runtime, stage: Stage, index: int, version: str, base: str) -> tuple[Preview, list[Finding]]:
    """The stage's plan at ``base`` and its changes applied in order, or what stops them."""
    where = f"the base branch at {base[:12]}"
    facts_found = locate.locate(rt, plans.fact_refs(stage), base, where)
    problems = [
        Finding(stage.name, _loc(stage, index, ref), where)
        for ref, where in facts_found.items()
        if isinstance(where, str)
    ]
    if problems:
        return Preview(None), problems
    facts = plans.read_facts(stage, {ref: w for ref, w in facts_found.items() if isinstance(w, Found)})
    try:
        walked = plans.build(stage, version, facts)
    except plans.PlanError as exc:
        return Preview(None), [Finding(stage.name, ("stages", index, "strategy"), str(exc))]
    found = locate.locate(rt, walked.refs(), base, where)
    problems = [
        Finding(stage.name, _loc(stage, index, ref), where) for ref, where in found.items() if isinstance(where, str)
    ]
    problems += _analyses(stage, index, walked)
    if problems:
        return Preview(walked), problems
    current = {ref: where for ref, where in found.items() if isinstance(where, Found)}
    diffs: list[tuple[plans.Change, tuple[tuple[str, str, str], ...]]] = []
    for item in walked.items:
        if not isinstance(item, plans.Change):
            continue
        try:
            written = edits.apply_all(item.edits, current)
        except EditError as exc:
            refs = [edits.ref(e) for e in item.edits]
            return Preview(walked, tuple(diffs)), [
                Finding(stage.name, _loc(stage, index, refs[0]), f"{item.label}: cannot edit {exc.reason}")
            ]
        before = {w.path: w.text for w in current.values()}
        diffs.append(
            (item, tuple((path, before[path], text) for path, text in written.items() if text != before[path]))
        )
        current = {ref: Found(w.path, written.get(w.path, w.text), w.doc) for ref, w in current.items()}
    return Preview(walked, tuple(diffs)), []


def _analyses(stage: Stage, index: int, walked: plans.StagePlan) -> list[Finding]:
    """Each analysis' queries can be made ready: every argument has a value, every range can be read."""
    runs = [(i.analysis, i.values) for i in walked.items if isinstance(i, plans.Gate) and i.analysis is not None]
    if walked.background is not None:
        runs.append((walked.background.analysis, walked.background.values))
    problems = []
    for used, values in runs:
        try:
            analysis.lookback(used, dict(values))
            analysis.state(used, "preflight", dict(values), (), started=_EPOCH, ready=_EPOCH)
        except analysis.AnalysisError as exc:
            problems.append(Finding(stage.name, ("stages", index, "strategy"), f"{used.label}: {exc}"))
    return problems


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def changes(preview: Preview, item: plans.Change) -> tuple[FileChange, ...]:
    return next((tuple(FileChange(p, after) for p, _, after in d) for c, d in preview.diffs if c is item), ())


def _loc(stage: Stage, index: int, ref: ResourceRef) -> Loc:
    """Where the resource is named in the stage's config (the target, or the strategy's field)."""
    for i, target in enumerate(stage.targets):
        if target.ref == ref:
            return ("stages", index, "targets", i, "file" if ref.file else "resource")
    strategy = stage.strategy
    if isinstance(strategy, Canary):
        for i, target in enumerate(strategy.canary):
            if target.ref == ref:
                return ("stages", index, "strategy", "canary", "canaryTargets", i)
        return ("stages", index, "strategy", "canary")
    if isinstance(strategy, BlueGreen):
        return ("stages", index, "strategy", "blueGreen")
    return ("stages", index, "targets")


def applications(rt: Runtime, stage: Stage) -> tuple[list[tuple[int, str]], list[str]]:
    """(the Applications Argo CD does not have, by index, and why; why Argo CD could not be asked)."""
    missing: list[tuple[int, str]] = []
    down: list[str] = []
    for index, name in enumerate(stage.applications):
        try:
            rt.deployments.app_status(name, refresh=False)
        except CredentialError:
            raise
        except PermanentError as exc:
            missing.append((index, f"Argo CD: {exc}"))
        except TemporaryError as exc:
            down.append(f"Argo CD: {exc}")
            break  # the others would time out the same way
    return missing, down
