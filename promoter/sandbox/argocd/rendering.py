"""What an Application deploys at given revisions, with the workloads its health is made of.

How a source reads is the product's model (:mod:`promoter.gitops.render`); this adds what the simulated
controller needs besides: the workloads among the resources (:mod:`.health`), or, for a Helm chart, whose
templates are not rendered, its images as one workload of unknown kind. A source that cannot be rendered
gives an error, which the API shows as a ``ComparisonError`` condition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from promoter.gitops import render as model
from promoter.gitops.applications import Source
from promoter.gitops.files import Files
from promoter.sandbox.argocd import health


@dataclasses.dataclass(frozen=True)
class Rendered(model.Rendered):
    workloads: tuple[health.Workload, ...] = ()  # what the Application's health is made of

    @classmethod
    def combine(cls, parts: Sequence[model.Rendered]) -> Rendered:
        workloads = tuple(w for part in parts if isinstance(part, Rendered) for w in part.workloads)
        return dataclasses.replace(super().combine(parts), workloads=workloads)


def render(source: Source, files: Files | None, refs: Mapping[str, Files], namespace: str, app: str) -> Rendered:
    """One source of the Application ``app`` at one revision; ``refs`` are the other sources' files by
    ``ref`` name (for ``$ref/``)."""
    found = model.source(source, files, refs, namespace, app)
    workloads = health.implied(found.images) if found.from_values else health.workloads(found.resources)
    return Rendered(**{f.name: getattr(found, f.name) for f in dataclasses.fields(found)}, workloads=workloads)
