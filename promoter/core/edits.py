"""What a change does to the config repo, as requests on resources, and their application to file texts.

Pure: the minimal-diff editor (:mod:`promoter.yamledit`) turns each request into new bytes, refusing what it
cannot do exactly. A change's requests are declarative ("the canary's weight is 20", "the image is 1.5.0"),
so applying the requests of every merged change of a stage, in order, to what Argo CD deployed and finding
nothing to change is how the core knows the deployed revision still carries the stage's edits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from promoter.core import versions
from promoter.core.resources import Found
from promoter.core.strategies import HeaderMatch, ResourceRef, RoutingFormat, TrafficRouting
from promoter.yamledit import editor, imageedit, paths, routes, traffic
from promoter.yamledit.errors import EditError


@dataclasses.dataclass(frozen=True)
class SetImage:
    ref: ResourceRef
    image: str
    version: str
    container: str | None = None

    @property
    def reference(self) -> str:
        """``repo:version``, or ``repo@sha256:...`` when the version is a digest."""
        separator = "@" if versions.DIGEST.fullmatch(self.version) else ":"
        return f"{self.image}{separator}{self.version}"


@dataclasses.dataclass(frozen=True)
class SetValues:
    ref: ResourceRef
    values: tuple[tuple[str, str], ...]  # (path, text as a person would type it)


@dataclasses.dataclass(frozen=True)
class SetWeight:
    routing: TrafficRouting
    percent: int


@dataclasses.dataclass(frozen=True)
class SetReplicas:
    ref: ResourceRef
    count: int


@dataclasses.dataclass(frozen=True)
class SetSelector:
    ref: ResourceRef
    key: str
    value: str


@dataclasses.dataclass(frozen=True)
class SetHeaderRoute:
    routing: TrafficRouting
    name: str
    match: tuple[HeaderMatch, ...]  # empty: remove


@dataclasses.dataclass(frozen=True)
class SetMirror:
    routing: TrafficRouting
    name: str
    percent: int | None  # None: remove
    match: tuple[HeaderMatch, ...]


Edit = SetImage | SetValues | SetWeight | SetReplicas | SetSelector | SetHeaderRoute | SetMirror


def ref(edit: Edit) -> ResourceRef:
    match edit:
        case SetImage(ref=r) | SetValues(ref=r) | SetReplicas(ref=r) | SetSelector(ref=r):
            return r
        case SetWeight(routing=routing) | SetHeaderRoute(routing=routing) | SetMirror(routing=routing):
            return routing.resource
    raise AssertionError(edit)  # pragma: no cover - the union is closed


def describe(edit: Edit) -> str:
    match edit:
        case SetImage():
            return f"{edit.ref}: image {edit.reference}"
        case SetValues():
            return f"{edit.ref}: " + ", ".join(f"{p}={v}" for p, v in edit.values)
        case SetWeight():
            return f"{edit.routing.resource}: canary {edit.percent}%"
        case SetReplicas():
            return f"{edit.ref}: replicas {edit.count}"
        case SetSelector():
            return f"{edit.ref}: selector {edit.key}={edit.value}"
        case SetHeaderRoute():
            return f"{edit.routing.resource}: header route {edit.name}" + ("" if edit.match else " removed")
        case SetMirror():
            shown = f"{edit.percent}%" if edit.percent is not None else "removed"
            return f"{edit.routing.resource}: mirror {edit.name} {shown}"
    raise AssertionError(edit)  # pragma: no cover - the union is closed


def apply(edit: Edit, found: Found) -> str:
    """The resource's file text with the request applied; EditError when it cannot be done exactly."""
    text, doc = found.text, found.doc
    match edit:
        case SetImage():
            return imageedit.apply(text, imageedit.parse_request(edit.reference, edit.container), found.path, doc)
        case SetValues():
            edits = []
            for path, value in edit.values:
                try:
                    segments = paths.parse(path)
                except paths.PathError as exc:
                    raise EditError(str(exc)) from None
                edits.append(editor.Edit(segments, value, text=True, doc=doc))
            return editor.apply(text, edits)
        case SetWeight():
            return editor.apply(text, _weights(edit.routing, found, edit.percent))
        case SetReplicas():
            kind = edit.ref.kind or _kind(found)
            return editor.apply(text, traffic.replicas(text, edit.count, kind=kind, name=edit.ref.name, doc=doc))
        case SetSelector():
            return editor.apply(text, traffic.service_selector(text, edit.key, edit.value, name=edit.ref.name, doc=doc))
        case SetHeaderRoute():
            return _header_route(edit, found)
        case SetMirror():
            return _mirror(edit, found)
    raise AssertionError(edit)  # pragma: no cover - the union is closed


def apply_all(requests: Sequence[Edit], found: Mapping[ResourceRef, Found]) -> dict[str, str]:
    """Every request applied in order to its resource's file; the new text of each file (by path)."""
    texts: dict[str, str] = {}
    for request in requests:
        target = found[ref(request)]
        current = Found(target.path, texts.get(target.path, target.text), target.doc)
        try:
            texts[target.path] = apply(request, current)
        except EditError as exc:
            raise EditError(exc.located(target.path)) from None  # the reason now names the file and line
    return texts


def _kind(found: Found) -> str:
    value = found.value()
    kind = value.get("kind") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else "Deployment"


def _position(routing: TrafficRouting, found: Found) -> str | int:
    """The weighted route (Istio) or rule (Gateway API): by name, or by its index among the routes that are
    not promoter's own header and mirror routes (inserted first, they would shift the indexes)."""
    if isinstance(routing.route, str) or not routing.managed:
        return routing.route
    value: Any = found.value() or {}
    key = "http" if routing.format is RoutingFormat.ISTIO else "rules"
    listed = (value.get("spec") or {}).get(key) or []
    theirs = [i for i, r in enumerate(listed) if not (isinstance(r, dict) and r.get("name") in routing.managed)]
    if routing.route >= len(theirs):
        raise EditError(f"spec.{key} has no route [{routing.route}] besides promoter's own")
    return theirs[routing.route]


def _weights(routing: TrafficRouting, found: Found, percent: int) -> list[editor.Edit]:
    text, doc = found.text, found.doc
    name, stable, canary = routing.resource.name, routing.stable, routing.canary
    route = _position(routing, found)
    match routing.format:
        case RoutingFormat.ISTIO:
            return traffic.istio_virtual_service(
                text, percent, stable=stable, canary=canary, route=route, name=name, doc=doc
            )
        case RoutingFormat.GATEWAY_API:
            rule = route if isinstance(route, int) else 0
            kind = routing.resource.kind or "HTTPRoute"
            return traffic.gateway_http_route(
                text, percent, stable=stable, canary=canary, rule=rule, name=name, doc=doc, kind=kind
            )
        case RoutingFormat.SMI:
            return traffic.smi_traffic_split(text, percent, stable=stable, canary=canary, name=name, doc=doc)
        case RoutingFormat.NGINX:
            return traffic.nginx_canary_ingress(text, percent, name=name, doc=doc)
        case RoutingFormat.KNATIVE:
            return traffic.knative_service(text, percent, stable=stable, canary=canary, name=name, doc=doc)
        case RoutingFormat.OPENSHIFT:
            return traffic.openshift_route(text, percent, stable=stable, canary=canary, name=name, doc=doc)
    raise AssertionError(routing.format)  # pragma: no cover - the enum is closed


def _istio_destination(found: Found, routing: TrafficRouting, wanted: str) -> tuple[str, str | None]:
    """The host and subset of the stable or canary destination of the weighted route (what a header route
    or a mirror sends to)."""
    value: Any = found.value() or {}
    http = (value.get("spec") or {}).get("http") or []
    chosen = [
        r
        for i, r in enumerate(http)
        if isinstance(r, dict)
        and (r.get("name") == routing.route if isinstance(routing.route, str) else i == routing.route)
    ]
    for route in chosen:
        for entry in route.get("route") or []:
            destination = entry.get("destination") or {} if isinstance(entry, dict) else {}
            if destination.get("subset") == wanted or (
                destination.get("subset") is None and destination.get("host") == wanted
            ):
                return str(destination.get("host")), destination.get("subset")
    raise EditError(f"the VirtualService's weighted route has no destination {wanted!r}")


def _matches(match: Sequence[HeaderMatch]) -> list[routes.HeaderMatch]:
    return [routes.HeaderMatch(m.header, m.value, m.kind) for m in match]


def _header_route(edit: SetHeaderRoute, found: Found) -> str:
    routing, doc = edit.routing, found.doc
    match routing.format:
        case RoutingFormat.ISTIO:
            host, subset = _istio_destination(found, routing, routing.canary)
            return routes.istio_header_route(
                found.text,
                route=edit.name,
                match=_matches(edit.match) or None,
                canary_host=host,
                canary_subset=subset,
                name=routing.resource.name,
                doc=doc,
            )
        case RoutingFormat.GATEWAY_API:
            return routes.gateway_header_route(
                found.text,
                route=edit.name,
                match=_matches(edit.match) or None,
                canary_service=routing.canary,
                port=routing.port,
                name=routing.resource.name,
                doc=doc,
                kind=routing.resource.kind or "HTTPRoute",
            )
        case _:
            raise EditError(f"{routing.format.value} has no header routes")


def _mirror(edit: SetMirror, found: Found) -> str:
    routing, doc = edit.routing, found.doc
    match routing.format:
        case RoutingFormat.ISTIO:
            stable_host, stable_subset = _istio_destination(found, routing, routing.stable)
            canary_host, canary_subset = _istio_destination(found, routing, routing.canary)
            return routes.istio_mirror_route(
                found.text,
                route=edit.name,
                percent=edit.percent,
                match=_matches(edit.match) or None,
                stable_host=stable_host,
                stable_subset=stable_subset,
                canary_host=canary_host,
                canary_subset=canary_subset,
                name=routing.resource.name,
                doc=doc,
            )
        case RoutingFormat.GATEWAY_API:
            return routes.gateway_mirror(
                found.text,
                rule=_position(routing, found),
                percent=edit.percent,
                canary_service=routing.canary,
                port=routing.port,
                name=routing.resource.name,
                doc=doc,
            )
        case _:
            raise EditError(f"{routing.format.value} has no mirrors")
