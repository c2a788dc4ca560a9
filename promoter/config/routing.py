"""A canary's ``trafficRouting`` as a Rollout writes it (Istio, Gateway API, NGINX, SMI, Knative, OpenShift
routes): where the weights the canary sets are written."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from promoter.config import fields
from promoter.config.strict import Model, not_null
from promoter.core import strategies


class _Named(Model):
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


class _Istio(Model):
    virtual_service: _VirtualService = Field(alias="virtualService")
    destination_rule: _DestinationRule | None = Field(default=None, alias="destinationRule")


class _GatewayAPI(Model):
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


class _Nginx(Model):
    stable_ingress: fields.Text = Field(alias="stableIngress")
    canary_ingress: fields.Text | None = Field(default=None, alias="canaryIngress")
    file: fields.RepoFile | None = None


class _SMI(Model):
    traffic_split_name: fields.Text = Field(alias="trafficSplitName")
    root_service: fields.Text | None = Field(default=None, alias="rootService")
    file: fields.RepoFile | None = None


class _Knative(Model):
    service: fields.Text
    stable_tag: fields.Text = Field(alias="stableTag")
    canary_tag: fields.Text = Field(alias="canaryTag")
    file: fields.RepoFile | None = None


class _OpenShift(Model):
    route: fields.Text
    file: fields.RepoFile | None = None


class TrafficRoutingModel(Model):
    istio: _Istio | None = None
    gateway_api: _GatewayAPI | None = Field(default=None, alias="gatewayAPI")
    nginx: _Nginx | None = None
    smi: _SMI | None = None
    knative: _Knative | None = None
    openshift: _OpenShift | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object) -> object:
        return not_null(value, "a mapping")

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
