"""The checks before the first push, for every stage: the base branch, each target file and edit, each
Application (DESIGN.md: validate before the first push). ``promoter start``, ``promoter plan`` and the bot
(before a promotion leaves Pending) all run these, so a wrong Application name in prod or a missing prod file
is found before staging is touched, not after it was merged.
"""

from __future__ import annotations

import dataclasses

from promoter.core.model import Pipeline, Stage
from promoter.core.snapshot import Preflight, Proposal
from promoter.engine import proposals
from promoter.engine.runtime import Runtime
from promoter.errors import CredentialError, PermanentError, TemporaryError

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
class Checked:
    findings: tuple[Finding, ...]
    unavailable: str | None  # a system that could not be asked: nothing is pushed, ask again later
    proposals: dict[str, Proposal]  # by stage name, for ``plan`` to show the diffs

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
    unavailable: list[str] = []
    found: dict[str, Proposal] = {}
    for index, stage in enumerate(pipeline.stages):
        proposal = proposals.propose(rt.repo, stage, version, base)
        found[stage.name] = proposal
        if proposal.error is not None:
            target: Loc = ("targets", proposal.target, "file") if proposal.target is not None else ("targets",)
            findings.append(Finding(stage.name, ("stages", index, *target), proposal.error))
        missing, down = applications(rt, stage)
        findings += [Finding(stage.name, ("stages", index, "applications", i), text) for i, text in missing]
        unavailable += down
    return Checked(tuple(findings), "; ".join(unavailable) or None, found)


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
