"""A stage's ``strategy`` as written in a pipeline file, shaped like Argo Rollouts' so a Rollout carries over.

``strategy: rolling`` (the short form) or ``{rolling: {analysis?}}``; ``{canary: {targets, steps, trafficRouting,
canaryService, stableService, scaleDown, analysis?}}``; ``{blueGreen: {activeService, previewService, selector,
colors, autoPromotionEnabled, prePromotionPause, scaleDownDelay, prePromotionAnalysis?,
postPromotionAnalysis?}}``. Argo Rollouts' field names are used where one
exists (``setWeight``, ``pause: {duration}``, ``setCanaryScale``, ``setHeaderRoute``, ``setMirrorRoute``,
``trafficRouting.istio.virtualService``, ``destinationRule.canarySubsetName``, ``nginx.stableIngress``,
``smi.trafficSplitName``, ``autoPromotionSeconds``, ``scaleDownDelaySeconds``); what Git needs beyond them
(the canary's own workload, the two colours' workloads, the selector key) has its own plain names.
Combinations that cannot work are refused here, with the field that is wrong.

An analysis is used as in a Rollout: ``{templates: [{templateName, clusterScope?}], args: [{name, value}]}``
(a canary step ``- analysis: {...}``, the canary's background ``analysis: {..., startingStep}``, rolling's
post-deploy ``analysis``, blue/green's ``prePromotionAnalysis`` / ``postPromotionAnalysis``). The templates
are the ones loaded from ``DIR/analysis/`` (:mod:`promoter.config.analysis`), handed in through pydantic's
validation context, so a reference is resolved, or refused at its line, while the pipeline is validated.
An argument given here overrides the template's; a value may hold the promotion's own values, filled in when
the plan is built: ``{{version}}``, ``{{stage}}``, ``{{canary}}`` and ``{{stable}}`` (the workloads' names).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Self

import pydantic
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_core import InitErrorDetails, ValidationError

from promoter.config import analysis, fields, rollouts
from promoter.core import strategies
from promoter.core.templates import Analysis, Template

_STEP_KINDS = ("setWeight", "pause", "setCanaryScale", "setHeaderRoute", "setMirrorRoute", "set", "analysis")


class _Model(pydantic.BaseModel):
    # defer_build: a model is built when first used, not at import (most are only ever parts of another)
    model_config = pydantic.ConfigDict(
        frozen=True, extra="forbid", strict=True, populate_by_name=True, defer_build=True
    )


def _not_null(value: object, expected: str, hint: str = "") -> object:
    """For models whose keys are alternatives (None: not given): a key written with no value is named as such,
    instead of counting as absent and failing the "exactly one of" check with a message that misleads."""
    if value is None:
        raise fields.refuse("null", f"expected {expected}, found nothing (null){hint}")
    return value


def _refuse_at(model: type[pydantic.BaseModel], errors: list[tuple[tuple[int | str, ...], str, str]]) -> None:
    """Raise the refusals, each at its own place inside the model (``loc`` relative to it)."""
    if errors:
        details = [
            InitErrorDetails(type=fields.refuse(kind, reason), loc=loc, input=None) for loc, kind, reason in errors
        ]
        raise ValidationError.from_exception_data(model.__name__, details)


class ResourceModel(_Model):
    """``{resource: Kind/name, file?, doc?}`` or ``{file, doc?}``: a resource promoter finds, or a whole file."""

    resource: fields.ResourceName | None = None
    file: fields.RepoFile | None = None
    doc: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.resource is None and self.file is None:
            raise fields.refuse("target", "name the resource (resource: Kind/name) or the file (file: PATH)")
        return self

    def to_ref(self) -> strategies.ResourceRef:
        if self.resource is None:
            return strategies.ResourceRef(file=self.file, doc=self.doc)
        kind, _, name = self.resource.partition("/")
        return strategies.ResourceRef(kind, name, self.file, self.doc)


class TargetModel(ResourceModel):
    """Where the version goes: ``image`` (every reference to it in the resource) or ``set`` (fields)."""

    image: fields.ImageName | None = None
    container: fields.Text | None = None
    values: Annotated[dict[fields.SetPath, fields.SetValue], Field(min_length=1)] | None = Field(
        default=None, alias="set"
    )

    @model_validator(mode="after")
    def _one_edit(self) -> Self:
        if (self.image is None) == (self.values is None):
            raise fields.refuse("target", "a target has exactly one of image or set")
        if self.container is not None and self.image is None:
            raise fields.refuse("target", "container applies to image targets only")
        return self

    def to_target(self) -> strategies.Target:
        if self.image is not None:
            return strategies.ImageTarget(self.to_ref(), self.image, self.container)
        assert self.values is not None
        return strategies.SetTarget(self.to_ref(), tuple(self.values.items()))


class ImageTargetModel(TargetModel):
    @model_validator(mode="after")
    def _an_image(self) -> Self:
        if self.image is None:
            raise fields.refuse("target", "a workload here is given with image: (its version is set)")
        return self

    def to_image(self) -> strategies.ImageTarget:
        target = self.to_target()
        assert isinstance(target, strategies.ImageTarget)
        return target


# analysis -----------------------------------------------------------------------------------------

PROMOTION_VALUES = ("version", "stage", "canary", "stable")
_BRACES = re.compile(r"\{\{(.*?)\}\}")


class _TemplateRef(_Model):
    template_name: fields.Text = Field(alias="templateName")
    cluster_scope: bool = Field(default=False, alias="clusterScope")


class _UsedArg(_Model):
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
            _refuse_at(type(self), [(("valueFrom",), "value_from", rollouts.OUTSIDE)])
        elif self.value is None:
            _refuse_at(type(self), [(("value",), "missing", "missing (required)")])
        return self


class AnalysisModel(_Model):
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
        _refuse_at(type(self), errors)
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


class RollingModel(_Model):
    analysis: AnalysisModel | None = None

    @field_validator("analysis", mode="before")
    @classmethod
    def _given(cls, value: object) -> object:
        return _not_null(value, "a mapping")

    def to_rolling(self) -> strategies.Rolling:
        return strategies.Rolling(self.analysis.to_analysis() if self.analysis is not None else None)


# canary -------------------------------------------------------------------------------------------


class _Named(_Model):
    name: fields.Text
    file: fields.RepoFile | None = None


class _VirtualService(_Named):
    routes: Annotated[list[fields.Text], Field(min_length=1)] | None = None

    @field_validator("routes")
    @classmethod
    def _one_route(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > 1:
            raise fields.refuse("routes", "name one route: promoter sets the weights of one route (routes: [NAME])")
        return value


class _DestinationRule(_Named):
    canary_subset_name: fields.Text = Field(alias="canarySubsetName")
    stable_subset_name: fields.Text = Field(alias="stableSubsetName")


class _Istio(_Model):
    virtual_service: _VirtualService = Field(alias="virtualService")
    destination_rule: _DestinationRule | None = Field(default=None, alias="destinationRule")


class _GatewayAPI(_Model):
    http_route: fields.Text | None = Field(default=None, alias="httpRoute")
    grpc_route: fields.Text | None = Field(default=None, alias="grpcRoute")
    file: fields.RepoFile | None = None
    rule: Annotated[int, Field(ge=0)] = 0
    port: Annotated[int, Field(ge=1, le=65535)] | None = None

    @model_validator(mode="after")
    def _one_route(self) -> Self:
        if (self.http_route is None) == (self.grpc_route is None):
            raise fields.refuse("route", "name exactly one of httpRoute or grpcRoute")
        return self


class _Nginx(_Model):
    stable_ingress: fields.Text = Field(alias="stableIngress")
    canary_ingress: fields.Text | None = Field(default=None, alias="canaryIngress")
    file: fields.RepoFile | None = None


class _SMI(_Model):
    traffic_split_name: fields.Text = Field(alias="trafficSplitName")
    root_service: fields.Text | None = Field(default=None, alias="rootService")
    file: fields.RepoFile | None = None


class _Knative(_Model):
    service: fields.Text
    stable_tag: fields.Text = Field(alias="stableTag")
    canary_tag: fields.Text = Field(alias="canaryTag")
    file: fields.RepoFile | None = None


class _OpenShift(_Model):
    route: fields.Text
    file: fields.RepoFile | None = None


class TrafficRoutingModel(_Model):
    istio: _Istio | None = None
    gateway_api: _GatewayAPI | None = Field(default=None, alias="gatewayAPI")
    nginx: _Nginx | None = None
    smi: _SMI | None = None
    knative: _Knative | None = None
    openshift: _OpenShift | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object) -> object:
        return _not_null(value, "a mapping")

    @model_validator(mode="after")
    def _one_format(self) -> Self:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise fields.refuse("routing", "name exactly one of istio, gatewayAPI, nginx, smi, knative or openshift")
        return self

    def to_routing(self, stable: str | None, canary: str | None) -> strategies.TrafficRouting:
        formats = strategies.RoutingFormat
        if self.istio is not None:
            vs, rule = self.istio.virtual_service, self.istio.destination_rule
            ref = strategies.ResourceRef("VirtualService", vs.name, vs.file)
            route: str | int = vs.routes[0] if vs.routes else 0
            if rule is not None:
                return strategies.TrafficRouting(
                    formats.ISTIO, ref, rule.stable_subset_name, rule.canary_subset_name, route
                )
            return strategies.TrafficRouting(
                formats.ISTIO, ref, _need(stable, "stableService"), _need(canary, "canaryService"), route
            )
        if self.gateway_api is not None:
            g = self.gateway_api
            kind, name = ("HTTPRoute", g.http_route) if g.http_route else ("GRPCRoute", g.grpc_route)
            ref = strategies.ResourceRef(kind, name, g.file)
            return strategies.TrafficRouting(
                formats.GATEWAY_API, ref, _need(stable, "stableService"), _need(canary, "canaryService"), g.rule, g.port
            )
        if self.nginx is not None:
            n = self.nginx
            ref = strategies.ResourceRef("Ingress", n.canary_ingress or f"{n.stable_ingress}-canary", n.file)
            return strategies.TrafficRouting(formats.NGINX, ref, n.stable_ingress, ref.name or "")
        if self.smi is not None:
            ref = strategies.ResourceRef("TrafficSplit", self.smi.traffic_split_name, self.smi.file)
            return strategies.TrafficRouting(
                formats.SMI, ref, _need(stable, "stableService"), _need(canary, "canaryService")
            )
        if self.knative is not None:
            k = self.knative
            ref = strategies.ResourceRef("Service", k.service, k.file)
            return strategies.TrafficRouting(formats.KNATIVE, ref, k.stable_tag, k.canary_tag)
        assert self.openshift is not None
        ref = strategies.ResourceRef("Route", self.openshift.route, self.openshift.file)
        return strategies.TrafficRouting(
            formats.OPENSHIFT, ref, _need(stable, "stableService"), _need(canary, "canaryService")
        )


def _need(value: str | None, name: str) -> str:
    assert value is not None, name  # checked by CanaryModel
    return value


class _Pause(_Model):
    duration: fields.Duration | None = None


class _CanaryScale(_Model):
    replicas: Annotated[int, Field(ge=0)] | None = None
    weight: Annotated[int, Field(ge=0, le=100)] | None = None
    match_traffic_weight: bool | None = Field(default=None, alias="matchTrafficWeight")

    @field_validator("match_traffic_weight")
    @classmethod
    def _true(cls, value: bool | None) -> bool | None:
        if value is False:
            raise fields.refuse(
                "scale",
                "matchTrafficWeight takes true only (the canary follows the weight again); or give replicas or weight",
            )
        return value

    @model_validator(mode="after")
    def _one(self) -> Self:
        if sum(v is not None for v in (self.replicas, self.weight, self.match_traffic_weight)) != 1:
            raise fields.refuse("scale", "give exactly one of replicas, weight or matchTrafficWeight: true")
        return self


class _StringMatch(_Model):
    exact: fields.Text | None = None
    prefix: fields.Text | None = None
    regex: fields.Text | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if sum(v is not None for v in (self.exact, self.prefix, self.regex)) != 1:
            raise fields.refuse("match", "give exactly one of exact, prefix or regex")
        return self

    def kind_value(self) -> tuple[str, str]:
        for kind in ("exact", "prefix", "regex"):
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise AssertionError(self)  # pragma: no cover - validated above


class _HeaderMatch(_Model):
    header_name: fields.Text = Field(alias="headerName")
    header_value: _StringMatch = Field(alias="headerValue")

    def to_match(self) -> strategies.HeaderMatch:
        kind, value = self.header_value.kind_value()
        return strategies.HeaderMatch(self.header_name, value, kind)


class _HeaderRoute(_Model):
    name: fields.Text
    match: list[_HeaderMatch] | None = None  # none: the route is removed


class _MirrorMatch(_Model):
    headers: dict[fields.Text, _StringMatch] = Field(min_length=1)


class _MirrorRoute(_Model):
    name: fields.Text
    percentage: Annotated[int, Field(ge=0, le=100)] | None = None
    match: list[_MirrorMatch] | None = None

    @model_validator(mode="after")
    def _matched(self) -> Self:
        if self.match is not None and self.percentage is None:
            raise fields.refuse("mirror", "a mirror with a match needs a percentage")
        return self


class StepModel(_Model):
    """One canary step: exactly one of the keys Argo Rollouts gives a step."""

    set_weight: Annotated[int, Field(ge=0, le=100)] | None = Field(default=None, alias="setWeight")
    pause: _Pause | None = None
    set_canary_scale: _CanaryScale | None = Field(default=None, alias="setCanaryScale")
    set_header_route: _HeaderRoute | None = Field(default=None, alias="setHeaderRoute")
    set_mirror_route: _MirrorRoute | None = Field(default=None, alias="setMirrorRoute")
    set_fields: TargetModel | None = Field(default=None, alias="set")
    analysis: AnalysisModel | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object, info: pydantic.ValidationInfo) -> object:
        if info.field_name == "pause":
            return _not_null(value, "a mapping", ": write pause: {} to wait until promoted, or pause: {duration: 30s}")
        return _not_null(value, "an integer" if info.field_name == "set_weight" else "a mapping")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [n for n in type(self).model_fields if getattr(self, n) is not None]
        if len(given) != 1:
            raise fields.refuse("step", f"a step has exactly one of {', '.join(_STEP_KINDS)}")
        if self.set_fields is not None and self.set_fields.values is None:
            raise fields.refuse("step", "a set step gives set: {PATH: VALUE} (and the resource or file)")
        return self

    def to_step(self) -> strategies.CanaryStep:
        if self.set_weight is not None:
            return strategies.SetWeight(self.set_weight)
        if self.pause is not None:
            return strategies.Pause(self.pause.duration)
        if self.set_canary_scale is not None:
            s = self.set_canary_scale
            return strategies.SetCanaryScale(s.replicas, s.weight, bool(s.match_traffic_weight))
        if self.set_header_route is not None:
            h = self.set_header_route
            return strategies.SetHeaderRoute(h.name, tuple(m.to_match() for m in h.match or ()))
        if self.set_mirror_route is not None:
            m = self.set_mirror_route
            matches = tuple(
                strategies.HeaderMatch(header, *reversed(value.kind_value()))
                for entry in m.match or ()
                for header, value in entry.headers.items()
            )
            return strategies.SetMirrorRoute(m.name, m.percentage, matches)
        if self.analysis is not None:
            return strategies.AnalysisStep(self.analysis.to_analysis())
        assert self.set_fields is not None
        target = self.set_fields.to_target()
        assert isinstance(target, strategies.SetTarget)
        return strategies.SetFields(target)


def _mirror_problems(index: int, mirror: _MirrorRoute, *, istio: bool) -> list[tuple[tuple[int | str, ...], str, str]]:
    """Istio mirrors through a route of its own, which must match requests (as Argo Rollouts' does): without a
    match it would take every request before the weighted route. The Gateway API mirrors a share of the
    weighted rule's requests (a RequestMirror filter), which cannot match on headers."""
    at: tuple[int | str, ...] = ("steps", index, "setMirrorRoute")
    if istio and mirror.match is None:
        return [
            (at, "mirror", "an Istio mirror route needs a match (the requests it copies): add match: [{headers: ...}]")
        ]
    if not istio and mirror.match is not None:
        return [(at, "mirror", "the Gateway API mirrors the weighted rule's requests by percentage: remove match")]
    return []


class CanaryModel(_Model):
    targets: Annotated[list[ImageTargetModel], Field(min_length=1)]
    steps: list[StepModel] = Field(default_factory=list)
    traffic_routing: TrafficRoutingModel | None = Field(default=None, alias="trafficRouting")
    canary_service: fields.Text | None = Field(default=None, alias="canaryService")
    stable_service: fields.Text | None = Field(default=None, alias="stableService")
    scale_down: bool = Field(default=True, alias="scaleDown")
    analysis: BackgroundModel | None = None  # Argo Rollouts' background analysis

    @model_validator(mode="after")
    def _routable(self) -> Self:
        routing = self.traffic_routing
        errors: list[tuple[tuple[int | str, ...], str, str]] = []
        for index, step in enumerate(self.steps):  # each refusal at its step, not at the canary's first key
            header = step.set_header_route is not None or step.set_mirror_route is not None
            what = "setHeaderRoute" if step.set_header_route is not None else "setMirrorRoute"
            if header and routing is None:
                errors.append((("steps", index), "step", f"{what} needs trafficRouting (istio or gatewayAPI)"))
            elif header and routing is not None and routing.istio is None and routing.gateway_api is None:
                errors.append((("steps", index), "step", f"{what} works with istio or gatewayAPI routing only"))
            elif (mirror := step.set_mirror_route) is not None and mirror.percentage is not None:
                errors += _mirror_problems(index, mirror, istio=routing is not None and routing.istio is not None)
        needs_services = routing is not None and (
            routing.gateway_api is not None
            or routing.smi is not None
            or routing.openshift is not None
            or (routing.istio is not None and routing.istio.destination_rule is None)
        )
        if needs_services and (self.canary_service is None or self.stable_service is None):
            reason = "this trafficRouting names its destinations by service: give canaryService and stableService"
            errors.append(((), "routing", reason))
        if self.analysis is not None and "starting_step" in self.analysis.model_fields_set:
            last = len(self.steps) - 1
            if self.analysis.starting_step > last:
                within = f"0 to {last}" if last >= 0 else "there are no steps"
                reason = (
                    f"startingStep {self.analysis.starting_step} is not a step (steps are counted from 0: {within})"
                )
                errors.append((("analysis", "startingStep"), "step", reason))
        _refuse_at(type(self), errors)
        return self

    def to_canary(self) -> strategies.Canary:
        routing = (
            self.traffic_routing.to_routing(self.stable_service, self.canary_service) if self.traffic_routing else None
        )
        return strategies.Canary(
            tuple(t.to_image() for t in self.targets),
            tuple(s.to_step() for s in self.steps),
            routing,
            self.scale_down,
            self.analysis.to_background() if self.analysis is not None else None,
        )


# blue/green ---------------------------------------------------------------------------------------


class _Service(_Model):
    name: fields.Text
    file: fields.RepoFile | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: object) -> object:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, dict):
            raise fields.refuse("service", "expected the Service's name, or {name: NAME, file: PATH}")
        return data

    def to_ref(self) -> strategies.ResourceRef:
        return strategies.ResourceRef("Service", self.name, self.file)


class BlueGreenModel(_Model):
    active_service: _Service = Field(alias="activeService")
    preview_service: _Service | None = Field(default=None, alias="previewService")
    selector: fields.Text
    colors: dict[fields.Text, ImageTargetModel]
    auto_promotion_enabled: bool = Field(default=True, alias="autoPromotionEnabled")
    pre_promotion_pause: fields.Duration | None = Field(default=None, alias="prePromotionPause")
    auto_promotion_seconds: Annotated[int, Field(ge=0)] | None = Field(default=None, alias="autoPromotionSeconds")
    scale_down_delay: fields.Duration | None = Field(default=None, alias="scaleDownDelay")
    scale_down_delay_seconds: Annotated[int, Field(ge=0)] | None = Field(default=None, alias="scaleDownDelaySeconds")
    scale_down: bool = Field(default=True, alias="scaleDown")
    pre_promotion_analysis: AnalysisModel | None = Field(default=None, alias="prePromotionAnalysis")
    post_promotion_analysis: AnalysisModel | None = Field(default=None, alias="postPromotionAnalysis")

    @field_validator("colors")
    @classmethod
    def _two_colors(cls, value: dict[str, ImageTargetModel]) -> dict[str, ImageTargetModel]:
        if len(value) != 2:
            raise fields.refuse("colors", "blue/green has exactly two colours: {VALUE: workload, VALUE: workload}")
        return value

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        errors: list[tuple[tuple[int | str, ...], str, str]] = []  # at the second key of each pair
        if self.pre_promotion_pause is not None and self.auto_promotion_seconds is not None:
            errors.append(
                (("autoPromotionSeconds",), "pause", "give prePromotionPause or autoPromotionSeconds, not both")
            )
        if self.scale_down_delay is not None and self.scale_down_delay_seconds is not None:
            errors.append(
                (("scaleDownDelaySeconds",), "delay", "give scaleDownDelay or scaleDownDelaySeconds, not both")
            )
        _refuse_at(type(self), errors)
        return self

    def to_blue_green(self) -> strategies.BlueGreen:
        pause = self.pre_promotion_pause or dt.timedelta(seconds=self.auto_promotion_seconds or 0)
        delay = self.scale_down_delay
        if delay is None:
            delay = dt.timedelta(seconds=30 if self.scale_down_delay_seconds is None else self.scale_down_delay_seconds)
        return strategies.BlueGreen(
            active_service=self.active_service.to_ref(),
            selector=self.selector,
            colors=tuple((value, target.to_image()) for value, target in self.colors.items()),
            preview_service=self.preview_service.to_ref() if self.preview_service else None,
            auto_promotion=self.auto_promotion_enabled,
            pre_promotion_pause=pause,
            scale_down_delay=delay,
            scale_down=self.scale_down,
            pre_promotion_analysis=_analysis(self.pre_promotion_analysis),
            post_promotion_analysis=_analysis(self.post_promotion_analysis),
        )


def _analysis(model: AnalysisModel | None) -> Analysis | None:
    return model.to_analysis() if model is not None else None


class StrategyModel(_Model):
    rolling: RollingModel | None = None
    canary: CanaryModel | None = None
    blue_green: BlueGreenModel | None = Field(default=None, alias="blueGreen")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: object) -> object:
        if data == "rolling":
            return {"rolling": {}}
        if isinstance(data, str):
            known = [f.alias or name for name, f in cls.model_fields.items()]
            if data not in known:
                close = difflib.get_close_matches(data, known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise fields.refuse(
                    "strategy", f"unknown strategy {data!r} ({hint}expected one of: {', '.join(known)})"
                )
            raise fields.refuse(
                "strategy", f"{data!r} needs its settings: write strategy: {{{data}: {{...}}}} (or strategy: rolling)"
            )
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object, info: pydantic.ValidationInfo) -> object:
        hint = ": write rolling: {} (or strategy: rolling)" if info.field_name == "rolling" else ""
        return _not_null(value, "a mapping", hint)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if sum(v is not None for v in (self.rolling, self.canary, self.blue_green)) != 1:
            raise fields.refuse("strategy", "give exactly one of rolling, canary or blueGreen")
        return self

    def to_strategy(self) -> strategies.Strategy:
        if self.canary is not None:
            return self.canary.to_canary()
        if self.blue_green is not None:
            return self.blue_green.to_blue_green()
        assert self.rolling is not None
        return self.rolling.to_rolling()
