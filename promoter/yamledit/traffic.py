"""Typed helpers that turn "canary N%" (and selectors, replicas) into edits, per traffic format.

Each helper reads the file, finds the resource and the stable/canary pair, and returns the edits that set
the canary to N percent and the stable to the rest, in the format's own scale: Istio and Knative weights
are percentages of the route; Gateway API, SMI and OpenShift weights are relative, so the pair keeps its
current total (or 100 when both are 0); NGINX takes ``canary-weight`` out of ``canary-weight-total``.
Weights of other destinations in the same route are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promoter.yamledit import paths
from promoter.yamledit.editor import Edit
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Source
from promoter.yamledit.verify import plain

Resource = dict[str, Any]
_NGINX = "nginx.ingress.kubernetes.io/"


def _value(node: object) -> Any:
    """The document as plain Python values (these helpers only read it)."""
    return plain(node)  # type: ignore[arg-type]


def find_resource(text: str, kind: str, name: str | None, doc: int | None) -> tuple[int, Resource]:
    """The one resource of ``kind`` (named ``name``, in document ``doc``, when given): its document and value."""
    source = Source(text)
    found: list[tuple[int, Resource]] = []
    for document in source.quick_documents():
        if doc is not None and document.index != doc:
            continue
        value = _value(document.root)
        if not isinstance(value, dict) or value.get("kind") != kind:
            continue
        metadata = value.get("metadata")
        if name is not None and not (isinstance(metadata, dict) and metadata.get("name") == name):
            continue
        found.append((document.index, value))
    label = f"{kind} {name}" if name else kind
    if not found:
        raise EditError(f"no {label} in the file" + (f" (document {doc})" if doc is not None else ""))
    if len(found) > 1:
        raise EditError(f"{len(found)} {label} resources in the file (documents {[i for i, _ in found]}): name one")
    return found[0]


def _check(percent: int) -> None:
    if not 0 <= percent <= 100:
        raise EditError(f"canary weight {percent}% is not between 0 and 100")


def _split(percent: int, total: int) -> tuple[int, int]:
    _check(percent)
    canary = round(total * percent / 100)
    return total - canary, canary


def _pair_total(stable: Any, canary: Any) -> int:
    for w in (stable, canary):
        if not isinstance(w, int) or isinstance(w, bool):
            raise EditError(f"weight {w!r} is not an integer")
    total = int(stable) + int(canary)
    return total if total > 0 else 100


def _index(items: list[Any], matches: Callable[[Any], bool], what: str, where: str) -> int:
    hits = [i for i, item in enumerate(items) if isinstance(item, dict) and matches(item)]
    if len(hits) != 1:
        problem = "no" if not hits else f"{len(hits)}"
        raise EditError(f"{problem} {what} in {where}")
    return hits[0]


def _path(*steps: str | int) -> tuple[paths.Segment, ...]:
    return tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps)


def _weights(
    doc: int,
    items_path: tuple[str | int, ...],
    stable_i: int,
    canary_i: int,
    items: list[Resource],
    key: str,
    percent: int,
    scale: int | None,
) -> list[Edit]:
    _check(percent)
    for i in (stable_i, canary_i):
        if key not in items[i]:
            raise EditError(f"{'.'.join(map(str, items_path))}[{i}] has no {key!r}: add it to the file first")
    others = sum(int(item.get(key) or 0) for j, item in enumerate(items) if j not in (stable_i, canary_i))
    if scale is None:
        total = _pair_total(items[stable_i][key], items[canary_i][key])
    else:
        total = scale - others
        if percent > total:
            raise EditError(f"canary {percent}% exceeds the {total}% the pair holds beside other destinations")
    if scale is not None:
        stable_w, canary_w = total - percent, percent
    else:
        stable_w, canary_w = _split(percent, total)
    return [
        Edit(_path(*items_path, stable_i, key), stable_w, doc=doc),
        Edit(_path(*items_path, canary_i, key), canary_w, doc=doc),
    ]


def istio_virtual_service(
    text: str,
    percent: int,
    *,
    stable: str,
    canary: str,
    route: str | int = 0,
    name: str | None = None,
    doc: int | None = None,
    protocol: str = "http",
) -> list[Edit]:
    """Istio VirtualService: destinations chosen by ``subset`` (or by ``host`` when they have no subset)."""
    index, vs = find_resource(text, "VirtualService", name, doc)
    routes = vs.get("spec", {}).get(protocol)
    if not isinstance(routes, list) or not routes:
        raise EditError(f"VirtualService has no spec.{protocol} routes")
    if isinstance(route, str):
        r = _index(routes, lambda item: item.get("name") == route, f"route named {route!r}", f"spec.{protocol}")
    else:
        r = route
        if not 0 <= r < len(routes):
            raise EditError(f"spec.{protocol} has no route [{r}]")
    destinations = routes[r].get("route") or []

    def pick(wanted: str) -> Callable[[Any], bool]:
        def matches(item: Any) -> bool:
            d = item.get("destination") or {}
            return bool(d.get("subset") == wanted or (d.get("subset") is None and d.get("host") == wanted))

        return matches

    where = f"spec.{protocol}[{r}].route"
    s = _index(destinations, pick(stable), f"destination {stable!r}", where)
    c = _index(destinations, pick(canary), f"destination {canary!r}", where)
    return _weights(index, ("spec", protocol, r, "route"), s, c, destinations, "weight", percent, 100)


def gateway_http_route(
    text: str,
    percent: int,
    *,
    stable: str,
    canary: str,
    rule: int = 0,
    name: str | None = None,
    doc: int | None = None,
    kind: str = "HTTPRoute",
) -> list[Edit]:
    """Gateway API HTTPRoute (or GRPCRoute): ``rules[].backendRefs[].weight`` by backend name."""
    index, resource = find_resource(text, kind, name, doc)
    rules = resource.get("spec", {}).get("rules") or []
    if not 0 <= rule < len(rules):
        raise EditError(f"{kind} has no spec.rules[{rule}]")
    refs = rules[rule].get("backendRefs") or []
    where = f"spec.rules[{rule}].backendRefs"
    s = _index(refs, lambda i: i.get("name") == stable, f"backendRef {stable!r}", where)
    c = _index(refs, lambda i: i.get("name") == canary, f"backendRef {canary!r}", where)
    return _weights(index, ("spec", "rules", rule, "backendRefs"), s, c, refs, "weight", percent, None)


def smi_traffic_split(
    text: str, percent: int, *, stable: str, canary: str, name: str | None = None, doc: int | None = None
) -> list[Edit]:
    """SMI TrafficSplit: ``spec.backends[].weight`` by service."""
    index, split = find_resource(text, "TrafficSplit", name, doc)
    backends = split.get("spec", {}).get("backends") or []
    s = _index(backends, lambda i: i.get("service") == stable, f"backend {stable!r}", "spec.backends")
    c = _index(backends, lambda i: i.get("service") == canary, f"backend {canary!r}", "spec.backends")
    return _weights(index, ("spec", "backends"), s, c, backends, "weight", percent, None)


def knative_service(
    text: str, percent: int, *, stable: str, canary: str, name: str | None = None, doc: int | None = None
) -> list[Edit]:
    """Knative Service ``spec.traffic[].percent``; entries by ``tag`` or ``revisionName``.

    ``@latest`` names the entry with ``latestRevision: true``.
    """
    index, service = find_resource(text, "Service", name, doc)
    traffic = service.get("spec", {}).get("traffic")
    if not isinstance(traffic, list):
        raise EditError("the Service has no spec.traffic (is it a Knative Service?)")

    def pick(wanted: str) -> Callable[[Any], bool]:
        if wanted == "@latest":
            return lambda item: item.get("latestRevision") is True
        return lambda item: wanted in (item.get("tag"), item.get("revisionName"))

    s = _index(traffic, pick(stable), f"traffic entry {stable!r}", "spec.traffic")
    c = _index(traffic, pick(canary), f"traffic entry {canary!r}", "spec.traffic")
    return _weights(index, ("spec", "traffic"), s, c, traffic, "percent", percent, 100)


def openshift_route(
    text: str, percent: int, *, stable: str, canary: str, name: str | None = None, doc: int | None = None
) -> list[Edit]:
    """OpenShift Route: ``spec.to`` and ``spec.alternateBackends[]`` weights (relative, 0-256 each)."""
    index, route = find_resource(text, "Route", name, doc)
    spec = route.get("spec", {})
    backends: list[tuple[tuple[str | int, ...], Resource]] = [(("spec", "to"), spec.get("to") or {})]
    backends += [(("spec", "alternateBackends", i), b) for i, b in enumerate(spec.get("alternateBackends") or [])]

    def find(wanted: str) -> tuple[tuple[str | int, ...], Resource]:
        hits = [b for b in backends if b[1].get("name") == wanted]
        if len(hits) != 1:
            raise EditError(f"{'no' if not hits else len(hits)} backend {wanted!r} in spec.to/alternateBackends")
        return hits[0]

    (s_path, s), (c_path, c) = find(stable), find(canary)
    for p, b in ((s_path, s), (c_path, c)):
        if "weight" not in b:
            raise EditError(f"{'.'.join(map(str, p))} has no 'weight': add it to the file first")
    stable_w, canary_w = _split(percent, _pair_total(s["weight"], c["weight"]))
    if max(stable_w, canary_w) > 256:
        stable_w, canary_w = _split(percent, 256)
    return [
        Edit(_path(*s_path, "weight"), stable_w, doc=index),
        Edit(_path(*c_path, "weight"), canary_w, doc=index),
    ]


def nginx_canary_ingress(text: str, percent: int, *, name: str | None = None, doc: int | None = None) -> list[Edit]:
    """NGINX canary Ingress: the ``canary-weight`` annotation (a string) out of ``canary-weight-total``."""
    source = Source(text)
    found = []
    for document in source.quick_documents():
        value = _value(document.root)
        if not isinstance(value, dict) or value.get("kind") != "Ingress":
            continue
        annotations = (value.get("metadata") or {}).get("annotations") or {}
        if str(annotations.get(_NGINX + "canary", "")).lower() != "true":
            continue
        if name is not None and value["metadata"].get("name") != name:
            continue
        if doc is not None and document.index != doc:
            continue
        found.append((document.index, annotations))
    if len(found) != 1:
        raise EditError(f'{"no" if not found else len(found)} canary Ingress (annotation {_NGINX}canary: "true")')
    index, annotations = found[0]
    if _NGINX + "canary-weight" not in annotations:
        raise EditError(f"the canary Ingress has no {_NGINX}canary-weight annotation: add it to the file first")
    total = int(annotations.get(_NGINX + "canary-weight-total", 100))
    _, canary_w = _split(percent, total)
    return [Edit(_path("metadata", "annotations", _NGINX + "canary-weight"), str(canary_w), doc=index)]


def service_selector(text: str, key: str, value: str, *, name: str | None = None, doc: int | None = None) -> list[Edit]:
    """Blue/green switch: set ``spec.selector.<key>`` of a Service."""
    index, service = find_resource(text, "Service", name, doc)
    selector = service.get("spec", {}).get("selector")
    if not isinstance(selector, dict) or key not in selector:
        raise EditError(f"the Service has no spec.selector.{key}")
    return [Edit(_path("spec", "selector", key), value, doc=index)]


def replicas(
    text: str, count: int, *, kind: str = "Deployment", name: str | None = None, doc: int | None = None
) -> list[Edit]:
    """Set ``spec.replicas`` of a workload (Deployment, StatefulSet, Rollout, ...)."""
    if count < 0:
        raise EditError(f"replicas {count} is negative")
    index, workload = find_resource(text, kind, name, doc)
    if "replicas" not in (workload.get("spec") or {}):
        raise EditError(f"the {kind} has no spec.replicas: add it to the file first")
    return [Edit(_path("spec", "replicas"), count, doc=index)]


def replica_ratio(total: int, percent: int) -> tuple[int, int]:
    """Stable and canary replica counts for a canary by replica ratio (at least one canary pod when >0%)."""
    stable, canary = _split(percent, total)
    if percent > 0 and canary == 0 and total > 0:
        stable, canary = total - 1, 1
    return stable, canary
