"""A canary's steps as a Rollout writes them (``setWeight``, ``pause``, ``setCanaryScale``, ``setHeaderRoute``,
``setMirrorRoute``, ``set``, ``analysis``), and the canary itself: its targets, traffic routing, services,
scale-down and background analysis; combinations that cannot work refused at the field that is wrong."""

from __future__ import annotations

from typing import Annotated, Self

import pydantic
from pydantic import Field, field_validator, model_validator

from promoter.config import fields
from promoter.config.analysisrefs import AnalysisModel, BackgroundModel
from promoter.config.routing import TrafficRoutingModel
from promoter.config.strict import Model, not_null, refuse_at
from promoter.config.targets import ImageTargetModel, TargetModel
from promoter.core import strategies

STEP_KINDS = ("setWeight", "pause", "setCanaryScale", "setHeaderRoute", "setMirrorRoute", "set", "analysis")


class _Pause(Model):
    duration: fields.Duration | None = None


class _CanaryScale(Model):
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


class _StringMatch(Model):
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


class _HeaderMatch(Model):
    header_name: fields.Text = Field(alias="headerName")
    header_value: _StringMatch = Field(alias="headerValue")

    def to_match(self) -> strategies.HeaderMatch:
        kind, value = self.header_value.kind_value()
        return strategies.HeaderMatch(self.header_name, value, kind)


class _HeaderRoute(Model):
    name: fields.Text
    match: list[_HeaderMatch] | None = None  # none: the route is removed


class _MirrorMatch(Model):
    headers: dict[fields.Text, _StringMatch] = Field(min_length=1)


class _MirrorRoute(Model):
    name: fields.Text
    percentage: Annotated[int, Field(ge=0, le=100)] | None = None
    match: list[_MirrorMatch] | None = None

    @model_validator(mode="after")
    def _matched(self) -> Self:
        if self.match is not None and self.percentage is None:
            raise fields.refuse("mirror", "a mirror with a match needs a percentage")
        return self


class StepModel(Model):
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
            return not_null(value, "a mapping", ": write pause: {} to wait until promoted, or pause: {duration: 30s}")
        return not_null(value, "an integer" if info.field_name == "set_weight" else "a mapping")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [n for n in type(self).model_fields if getattr(self, n) is not None]
        if len(given) != 1:
            raise fields.refuse("step", f"a step has exactly one of {', '.join(STEP_KINDS)}")
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


class CanaryModel(Model):
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
        refuse_at(type(self), errors)
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
