"""An analysis as a Rollout writes it: ``{templates: [{templateName, clusterScope?}], args: [{name, value}]}``,
its templates resolved (or refused at their line) against those loaded from ``DIR/analysis/``, its arguments'
values with the promotion's own (``{{version}}``, ``{{stage}}``, ``{{canary}}``, ``{{stable}}``), and the
background analysis of a canary (``startingStep``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

import pydantic
from pydantic import Field, PrivateAttr, field_validator, model_validator

from promoter.config import analysis, fields
from promoter.config.strict import Model, refuse_at
from promoter.config.templatekinds import OUTSIDE
from promoter.core import strategies
from promoter.core.templates import Analysis, Template

PROMOTION_VALUES = ("version", "stage", "canary", "stable")
_BRACES = re.compile(r"\{\{(.*?)\}\}")


class _TemplateRef(Model):
    template_name: fields.Text = Field(alias="templateName")
    cluster_scope: bool = Field(default=False, alias="clusterScope")


class _UsedArg(Model):
    name: fields.Text
    value: str | None = None
    value_from: Any = Field(default=None, alias="valueFrom")

    @field_validator("value")
    @classmethod
    def _promotion_values(cls, value: str | None) -> str | None:
        # Exactly these are filled in later (no spaces inside the braces): anything else would stay as written.
        for found in _BRACES.finditer(value or ""):
            if found.group(1) not in PROMOTION_VALUES:
                known = ", ".join("{{" + name + "}}" for name in PROMOTION_VALUES)
                raise fields.refuse("value", f"a value may hold {known}; found {found.group(0)}")
        return value

    @model_validator(mode="after")
    def _a_value(self) -> Self:
        if self.value_from is not None:
            refuse_at(type(self), [(("valueFrom",), "value_from", OUTSIDE)])
        elif self.value is None:
            refuse_at(type(self), [(("value",), "missing", "missing (required)")])
        return self


class AnalysisModel(Model):
    """Where templates are used: resolved against the loaded templates while the pipeline is validated."""

    templates: Annotated[list[_TemplateRef], Field(min_length=1)]
    args: list[_UsedArg] = Field(default_factory=list)
    dry_run: Any = Field(default=None, alias="dryRun")
    measurement_retention: Any = Field(default=None, alias="measurementRetention")
    _analysis: Analysis | None = PrivateAttr(default=None)  # set by _resolve

    @field_validator("dry_run", "measurement_retention")
    @classmethod
    def _in_the_template(cls, value: object, info: pydantic.ValidationInfo) -> object:
        if value is not None:
            key = "dryRun" if info.field_name == "dry_run" else "measurementRetention"
            raise fields.refuse("analysis", f"promoter reads {key} from the templates: write it in their spec.{key}")
        return value

    @model_validator(mode="after")
    def _resolve(self, info: pydantic.ValidationInfo) -> Self:
        catalog = analysis.catalog_of(info.context)
        errors: list[tuple[tuple[int | str, ...], str, str]] = []
        found: list[tuple[int, Template]] = []
        for i, ref in enumerate(self.templates):
            name, cluster = ref.template_name, ref.cluster_scope
            template = catalog.find(name, cluster=cluster)
            if template is not None:
                found.append((i, template))
            elif not catalog.is_refused(name, cluster=cluster) and catalog.unread is None:
                # a refused template's problems are reported; an unread one is checked where the repo is read
                errors.append((("templates", i, "templateName"), "template", _unknown(catalog, name, cluster)))
        given: dict[str, int] = {}
        for i, entry in enumerate(self.args):
            if entry.name in given:
                errors.append((("args", i, "name"), "arg", f"argument {entry.name!r} is given twice"))
            given.setdefault(entry.name, i)
        declared = {a.name: (t, a) for _, t in found for a in t.args}
        complete = len(found) == len(self.templates)  # else an argument may be for the template not found
        for name, i in given.items():
            if name not in declared and complete:
                names = ", ".join(t.name for _, t in found)
                errors.append((("args", i, "name"), "arg", f"no template here declares argument {name!r} ({names})"))
            elif name in declared and declared[name][1].secret is not None:
                reason = f"argument {name!r} is a secret (secretKeyRef) in template {declared[name][0].name!r}"
                errors.append((("args", i, "name"), "arg", f"{reason}: it cannot be given here"))
        for i, template in found:
            for arg in template.args:
                if arg.value is None and arg.secret is None and arg.name not in given:
                    reason = f"template {template.name!r} needs argument {arg.name!r}: give it in args"
                    errors.append((("templates", i), "arg", f"{reason} (args: [{{name: {arg.name}, value: ...}}])"))
        errors += _merged_metrics(found)
        refuse_at(type(self), errors)
        used = tuple((entry.name, entry.value) for entry in self.args if entry.value is not None)
        self._analysis = Analysis(tuple(t for _, t in found), used)
        return self

    def to_analysis(self) -> Analysis:
        assert self._analysis is not None, "validated with the templates"
        return self._analysis


def _unknown(catalog: analysis.Catalog, name: str, cluster: bool) -> str:
    kind, other = (
        ("ClusterAnalysisTemplate", "AnalysisTemplate") if cluster else ("AnalysisTemplate", "ClusterAnalysisTemplate")
    )
    available = catalog.names(cluster=cluster)
    listed = f"available: {', '.join(available)}" if available else f"there is none in {catalog.searched}"
    hint = ""
    if catalog.find(name, cluster=not cluster) is not None:
        article = "an" if other.startswith("A") else "a"
        hint = f"; there is {article} {other} {name!r}: " + (
            "remove clusterScope" if cluster else "add clusterScope: true"
        )
    return f"no {kind} {name!r} ({listed}){hint}"


def _merged_metrics(found: list[tuple[int, Template]]) -> list[tuple[tuple[int | str, ...], str, str]]:
    """As in Argo Rollouts, the templates of one analysis are merged: their metric names must differ."""
    errors: list[tuple[tuple[int | str, ...], str, str]] = []
    first: dict[str, tuple[int, str]] = {}
    named: set[tuple[bool, str]] = set()
    for i, template in found:
        if (template.cluster, template.name) in named:
            errors.append((("templates", i), "template", f"template {template.name!r} is named twice"))
            continue
        named.add((template.cluster, template.name))
        for metric in template.metrics:
            _, earlier = first.setdefault(metric.name, (i, template.name))
            if first[metric.name][0] != i:
                reason = (
                    f"metric {metric.name!r} is in templates {earlier!r} and {template.name!r}: "
                    "one analysis merges its templates, so their metric names must differ"
                )
                errors.append((("templates", i), "metric", reason))
    return errors


class BackgroundModel(AnalysisModel):
    starting_step: Annotated[int, Field(ge=0)] = Field(default=0, alias="startingStep")

    def to_background(self) -> strategies.Background:
        return strategies.Background(self.to_analysis(), self.starting_step)


def analysis_of(model: AnalysisModel | None) -> Analysis | None:
    return model.to_analysis() if model is not None else None
