"""Which workload takes which share of the requests, from what one Application deploys (pure: manifests in).

Requests enter at *entry points*, each at the configured rate (:mod:`.simulator` says how many):

- a routing resource: Istio ``VirtualService`` (the first HTTP route that plain requests meet: one without a
  header or query match), Gateway API ``HTTPRoute``/``GRPCRoute`` (likewise its first such rule), SMI
  ``TrafficSplit``, an NGINX canary ``Ingress`` (``canary-weight`` out of ``canary-weight-total``, the rest to
  its stable Ingress), Knative ``Service`` (``traffic[].percent``), OpenShift ``Route``: its weights split
  the requests between its destinations, normalised by their sum (Istio's and Knative's add up to 100, the
  others are relative); header routes and mirrors carry no plain traffic and are not counted;
- a core ``Service`` none of whose workloads a routing resource reaches: its replicas split the requests (a
  blue/green active Service selects one colour, which takes them all; a preview Service is an entry of its
  own, at its own rate);
- in an Application with neither Services nor routing resources, its workloads: grouped by name without a
  ``-canary``/``-stable`` suffix into an implied Service of that name, split by replicas (a canary by
  replica ratio, with no mesh). Elsewhere a workload that nothing selects takes nothing (an idle colour).

A destination Service reaches the workloads of its namespace whose pod template labels its selector selects;
when it selects none (a config that leaves the labels out), the workload of the Service's own name. Within a
destination the requests split by replicas (1 for the kinds without ``spec.replicas``); a workload at 0
replicas takes none, and a destination with no replica at all drops its share (real Istio answers 503 "no
healthy upstream" there: not modelled).

Istio subsets: the ``DestinationRule``'s subset labels narrow the host's workloads; without one, subset ``S``
of host ``H`` is the workload ``H-S``, else ``S``, else by role (``canary``: the one workload named
``*-canary``; ``stable``: the workload beside it without the suffix), else ``H``'s own. A Knative traffic
entry is the Service's own workload (``latestRevision``, or its template's revision name), else the workload
or Service its ``revisionName`` names, else by its ``tag``'s role like a subset; its requests are reported
to the Knative Service's name.

These are the fields the bot writes (:mod:`promoter.yamledit.traffic`); those helpers edit file text in
place, so reading the parsed manifests is done here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from promoter.gitops.manifests import Manifest, ResourceKey
from promoter.yamledit import images as imagerefs

# The kinds whose pods take requests (group, kind); Jobs and CronJobs run to completion and serve nothing.
SERVING = frozenset(
    {
        ("apps", "Deployment"),
        ("extensions", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "ReplicaSet"),
        ("apps", "DaemonSet"),
        ("", "Pod"),
        ("argoproj.io", "Rollout"),
        ("serving.knative.dev", "Service"),
    }
)
_SCALES = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout"})
_NGINX = "nginx.ingress.kubernetes.io/"
_ROLE_SUFFIXES = ("-canary", "-stable")


@dataclasses.dataclass(frozen=True)
class Workload:
    """A deployed workload as the traffic sees it: where it runs, what it runs, how many pods."""

    kind: str
    namespace: str
    name: str
    images: tuple[str, ...]  # every container image (a bad one anywhere makes the pod bad)
    image: str  # the first container's: the version the workload serves
    replicas: int
    labels: Mapping[str, str]  # the pod template's

    @property
    def version(self) -> str:
        """The image tag (a digest when there is none; ``latest`` when neither), Istio's ``destination_version``."""
        ref = imagerefs.parse(self.image)
        if ref is None:
            return "unknown"
        return ref.tag or ref.digest or "latest"


@dataclasses.dataclass(frozen=True)
class Route:
    """A share of one entry point's requests that reaches one workload through one Service."""

    service: str
    namespace: str  # the Service's
    workload: Workload
    share: float  # of the entry point's requests, 0..1


@dataclasses.dataclass(frozen=True)
class Entry:
    """Where requests come in: a routing resource, a Service, or an implied Service for bare workloads."""

    kind: str
    namespace: str
    name: str
    routes: tuple[Route, ...]


@dataclasses.dataclass(frozen=True)
class _Destination:
    """One weighted destination of a routing resource, resolved to its workloads."""

    service: str
    namespace: str
    workloads: tuple[Workload, ...]
    weight: float


def entries(resources: Iterable[Manifest], default_namespace: str = "") -> tuple[Entry, ...]:
    """The entry points of one Application's resources and their routes (see the module's rules)."""
    return _Cluster(tuple(resources), default_namespace).entries()


class _Cluster:
    """One Application's resources, indexed for the lookups the routing rules make."""

    def __init__(self, resources: Sequence[Manifest], default_namespace: str) -> None:
        self.default_namespace = default_namespace
        self.by_kind: dict[tuple[str, str], list[tuple[ResourceKey, Manifest]]] = {}
        self.workloads: dict[tuple[str, str], Workload] = {}
        for resource in resources:
            key = ResourceKey.of(resource, default_namespace)
            self.by_kind.setdefault((key.group, key.kind), []).append((key, resource))
            if (key.group, key.kind) in SERVING:
                found = _workload(key, resource)
                if found is not None:
                    self.workloads.setdefault((key.namespace, key.name), found)
        self.services = {(key.namespace, key.name): r for key, r in self.by_kind.get(("", "Service"), [])}
        self.reached: set[tuple[str, str]] = set()  # workloads a routing resource sends to (whatever the weight)
        self.named: set[tuple[str, str]] = set()  # Services a routing resource names

    def entries(self) -> tuple[Entry, ...]:
        found: list[Entry] = []
        for read in (self._istio, self._gateway, self._smi, self._nginx, self._knative, self._openshift):
            found.extend(read())
        routed = frozenset(self.reached)
        for (namespace, name), _service in sorted(self.services.items()):
            behind = self.endpoints(namespace, name)
            if (namespace, name) in self.named or any(_id(w) in routed for w in behind):
                continue
            found.append(_entry("Service", namespace, name, [_Destination(name, namespace, behind, 1.0)]))
        if found or self.services:
            return tuple(entry for entry in found if entry.routes)  # a workload nothing selects takes nothing
        groups: dict[tuple[str, str], list[Workload]] = {}
        for workload in self.workloads.values():
            groups.setdefault((workload.namespace, _base(workload.name)), []).append(workload)
        for (namespace, name), members in sorted(groups.items()):
            found.append(_entry("Workloads", namespace, name, [_Destination(name, namespace, tuple(members), 1.0)]))
        return tuple(entry for entry in found if entry.routes)

    # lookups ------------------------------------------------------------------------------------------

    def endpoints(self, namespace: str, service: str) -> tuple[Workload, ...]:
        """The workloads behind a Service (by its selector, else by its name)."""
        manifest = self.services.get((namespace, service))
        selector = _strings(_spec(manifest).get("selector")) if manifest is not None else {}
        if selector:
            chosen = tuple(
                w for (ns, _), w in sorted(self.workloads.items()) if ns == namespace and _selects(selector, w.labels)
            )
            if chosen:
                return chosen
        named = self.workloads.get((namespace, service))
        return (named,) if named is not None else ()

    def destination(self, namespace: str, service: str, weight: float) -> _Destination:
        self.named.add((namespace, service))
        return self.reach(_Destination(service, namespace, self.endpoints(namespace, service), weight))

    def reach(self, destination: _Destination) -> _Destination:
        self.reached.update(_id(w) for w in destination.workloads)
        return destination

    def by_role(self, namespace: str, role: str) -> Workload | None:
        """The canary (the one workload named ``*-canary``) or the stable (that name without the suffix)."""
        canaries = [w for (ns, n), w in sorted(self.workloads.items()) if ns == namespace and n.endswith("-canary")]
        if len(canaries) != 1:
            return None
        if role == "canary":
            return canaries[0]
        if role == "stable":
            return self.workloads.get((namespace, canaries[0].name.removesuffix("-canary")))
        return None

    def items(self, group: str, kind: str) -> list[tuple[ResourceKey, Manifest]]:
        return self.by_kind.get((group, kind), [])

    # the formats --------------------------------------------------------------------------------------

    def _istio(self) -> Iterable[Entry]:
        for key, vs in self.items("networking.istio.io", "VirtualService"):
            route = _plain_route(_spec(vs).get("http"), "match")
            listed = [d for d in _list(route.get("route")) if isinstance(d, dict)]
            destinations = []
            for item in listed:
                target = _mapping(item.get("destination"))
                host, namespace = _host(str(target.get("host") or ""), key.namespace)
                weight = _number(item.get("weight"), 100.0 if len(listed) == 1 else 0.0)
                subset = target.get("subset")
                if subset is None:
                    destinations.append(self.destination(namespace, host, weight))
                else:
                    self.named.add((namespace, host))
                    workloads = self._subset(namespace, host, str(subset))
                    destinations.append(self.reach(_Destination(host, namespace, workloads, weight)))
            yield _entry("VirtualService", key.namespace, key.name, destinations)

    def _subset(self, namespace: str, host: str, subset: str) -> tuple[Workload, ...]:
        for _, rule in self.items("networking.istio.io", "DestinationRule"):
            rule_host, rule_namespace = _host(str(_spec(rule).get("host") or ""), namespace)
            if (rule_host, rule_namespace) != (host, namespace):
                continue
            for entry in _list(_spec(rule).get("subsets")):
                if isinstance(entry, dict) and entry.get("name") == subset:
                    labels = _strings(entry.get("labels"))
                    return tuple(w for w in self.endpoints(namespace, host) if _selects(labels, w.labels))
        for name in (f"{host}-{subset}", subset):
            if (namespace, name) in self.workloads:
                return (self.workloads[(namespace, name)],)
        by_role = self.by_role(namespace, subset)
        return (by_role,) if by_role is not None else self.endpoints(namespace, host)

    def _gateway(self) -> Iterable[Entry]:
        for kind in ("HTTPRoute", "GRPCRoute"):
            for key, resource in self.items("gateway.networking.k8s.io", kind):
                rule = _plain_route(_spec(resource).get("rules"), "matches")
                destinations = []
                for ref in _list(rule.get("backendRefs")):
                    if not isinstance(ref, dict) or ref.get("kind", "Service") != "Service":
                        continue
                    namespace = str(ref.get("namespace") or key.namespace)
                    destinations.append(
                        self.destination(namespace, str(ref.get("name")), _number(ref.get("weight"), 1))
                    )
                yield _entry(kind, key.namespace, key.name, destinations)

    def _smi(self) -> Iterable[Entry]:
        for key, split in self.items("split.smi-spec.io", "TrafficSplit"):
            destinations = [
                self.destination(key.namespace, str(b.get("service")), _number(b.get("weight"), 0))
                for b in _list(_spec(split).get("backends"))
                if isinstance(b, dict)
            ]
            yield _entry("TrafficSplit", key.namespace, str(_spec(split).get("service") or key.name), destinations)

    def _nginx(self) -> Iterable[Entry]:
        ingresses = self.items("networking.k8s.io", "Ingress") + self.items("extensions", "Ingress")
        canaries = [(k, i) for k, i in ingresses if _annotation(i, "canary").lower() == "true"]
        for key, canary in canaries:
            backend = _ingress_backend(canary)
            if backend is None:
                continue
            total = _number(_annotation(canary, "canary-weight-total") or None, 100.0)
            weight = min(_number(_annotation(canary, "canary-weight") or None, 0.0), total)
            stable = next(
                (
                    (k, i)
                    for k, i in ingresses
                    if (k, i) not in canaries and k.namespace == key.namespace and _hosts(i) & _hosts(canary)
                ),
                None,
            )
            stable_backend = _ingress_backend(stable[1]) if stable is not None else backend.removesuffix("-canary")
            destinations = [self.destination(key.namespace, backend, weight)]
            if stable_backend and stable_backend != backend:
                destinations.insert(0, self.destination(key.namespace, stable_backend, total - weight))
            yield _entry("Ingress", key.namespace, stable[0].name if stable is not None else key.name, destinations)

    def _knative(self) -> Iterable[Entry]:
        for key, service in self.items("serving.knative.dev", "Service"):
            own = self.workloads.get((key.namespace, key.name))
            traffic = [t for t in _list(_spec(service).get("traffic")) if isinstance(t, dict)]
            if not traffic:
                if own is not None:
                    yield _entry(
                        "KnativeService",
                        key.namespace,
                        key.name,
                        [self.reach(_Destination(key.name, key.namespace, (own,), 1.0))],
                    )
                continue
            revision = _mapping(_mapping(_spec(service).get("template")).get("metadata")).get("name")
            destinations = []
            for item in traffic:
                named = item.get("revisionName")
                chosen: Workload | None = None
                if item.get("latestRevision") is True or (named is not None and named == revision):
                    chosen = own
                elif named is not None and (key.namespace, str(named)) in self.workloads:
                    chosen = self.workloads[(key.namespace, str(named))]
                elif named is not None and (key.namespace, str(named)) in self.services:
                    destinations.append(self.destination(key.namespace, str(named), _number(item.get("percent"), 0)))
                    continue
                elif item.get("tag") is not None:
                    chosen = self.by_role(key.namespace, str(item["tag"])) or own
                found = (chosen,) if chosen is not None else ()
                weight = _number(item.get("percent"), 0)
                destinations.append(self.reach(_Destination(key.name, key.namespace, found, weight)))
            yield _entry("KnativeService", key.namespace, key.name, destinations)

    def _openshift(self) -> Iterable[Entry]:
        for key, route in self.items("route.openshift.io", "Route"):
            spec = _spec(route)
            backends = [_mapping(spec.get("to")), *(_mapping(b) for b in _list(spec.get("alternateBackends")))]
            destinations = [
                self.destination(key.namespace, str(b.get("name")), _number(b.get("weight"), 100))
                for b in backends
                if b.get("name") and b.get("kind", "Service") == "Service"
            ]
            yield _entry("Route", key.namespace, key.name, destinations)


def _entry(kind: str, namespace: str, name: str, destinations: Sequence[_Destination]) -> Entry:
    """Weights normalised by their sum, then each destination's share split by its workloads' replicas."""
    total = sum(d.weight for d in destinations if d.weight > 0)
    routes: dict[tuple[str, str, str, str], Route] = {}
    for destination in destinations:
        replicas = sum(w.replicas for w in destination.workloads)
        if total <= 0 or destination.weight <= 0 or replicas <= 0:
            continue
        for workload in destination.workloads:
            share = destination.weight / total * workload.replicas / replicas
            if share <= 0:
                continue
            ident = (destination.service, destination.namespace, workload.namespace, workload.name)
            before = routes.get(ident)
            routes[ident] = Route(
                destination.service, destination.namespace, workload, share + (before.share if before else 0.0)
            )
    return Entry(kind, namespace, name, tuple(routes.values()))


def _workload(key: ResourceKey, resource: Manifest) -> Workload | None:
    spec = _spec(resource)
    if key.kind == "Pod":
        pod, labels = spec, _strings(_mapping(resource.get("metadata")).get("labels"))
    else:
        template = _mapping(spec.get("template"))
        pod, labels = _mapping(template.get("spec")), _strings(_mapping(template.get("metadata")).get("labels"))
    containers = [c for c in _list(pod.get("containers")) if isinstance(c, dict) and isinstance(c.get("image"), str)]
    if not containers:
        return None  # nothing runs (a Knative Service that only splits traffic, a template left to a patch)
    replicas = 1
    if key.kind in _SCALES:
        value = spec.get("replicas", 1)
        replicas = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1
    images = tuple(str(c["image"]) for c in containers)
    init = tuple(str(c["image"]) for c in _list(pod.get("initContainers")) if isinstance(c, dict) and c.get("image"))
    return Workload(key.kind, key.namespace, key.name, images + init, images[0], replicas, labels)


def _plain_route(routes: Any, match_key: str) -> Mapping[str, Any]:
    """The first route (rule) that a request without special headers or query parameters takes."""
    listed = [r for r in _list(routes) if isinstance(r, dict)]
    for route in listed:
        matches = [m for m in _list(route.get(match_key)) if isinstance(m, dict)]
        if not matches or any(not m.get("headers") and not m.get("queryParams") for m in matches):
            return route
    return {}


def _host(host: str, namespace: str) -> tuple[str, str]:
    """A Service host (``name``, ``name.ns``, ``name.ns.svc.cluster.local``) as (name, namespace)."""
    parts = host.split(".")
    return parts[0], parts[1] if len(parts) > 1 and parts[1] != "svc" else namespace


def _ingress_backend(ingress: Manifest) -> str | None:
    spec = _spec(ingress)
    candidates = [_mapping(spec.get("defaultBackend")), _mapping(spec.get("backend"))]
    for rule in _list(spec.get("rules")):
        for path in _list(_mapping(_mapping(rule).get("http")).get("paths")):
            candidates.insert(0, _mapping(_mapping(path).get("backend")))
    for backend in candidates:
        name = _mapping(backend.get("service")).get("name") or backend.get("serviceName")
        if name:
            return str(name)
    return None


def _hosts(ingress: Manifest) -> set[str]:
    return {str(_mapping(rule).get("host") or "") for rule in _list(_spec(ingress).get("rules"))}


def _annotation(resource: Manifest, name: str) -> str:
    return str(_mapping(_mapping(resource.get("metadata")).get("annotations")).get(_NGINX + name) or "")


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _base(name: str) -> str:
    for suffix in _ROLE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def _id(workload: Workload) -> tuple[str, str]:
    return workload.namespace, workload.name


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value)) if value is not None else default
    except ValueError:
        return default


def _spec(resource: Manifest | None) -> Mapping[str, Any]:
    return _mapping(resource.get("spec")) if resource is not None else {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
