"""How a stage moves a version, as configured: rolling, canary (by traffic weights or replica ratio), blue/green.

Frozen values with Argo Rollouts' vocabulary (``setWeight``, ``pause``, ``setCanaryScale``, ``setHeaderRoute``,
``setMirrorRoute``, ``activeService``, ``previewService``, ``scaleDownDelay``), so a Rollout's strategy carries
over; :mod:`promoter.core.plan` turns them into the ordered changes and gates a stage walks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum


@dataclasses.dataclass(frozen=True)
class ResourceRef:
    """A resource of the config repo: by kind and name (promoter finds its file), or one file as a whole.

    With a ``file`` the resource is looked for in that file only; without ``kind`` the edit applies to the
    whole file (``promoter edit image FILE`` and ``edit set FILE`` semantics).
    """

    kind: str | None = None
    name: str | None = None
    file: str | None = None
    doc: int | None = None

    def __str__(self) -> str:
        if self.kind is None:
            return self.file or "?"
        named = f"{self.kind}/{self.name}" if self.name else self.kind
        return f"{named} ({self.file})" if self.file else named

    @property
    def whole_file(self) -> bool:
        return self.kind is None


@dataclasses.dataclass(frozen=True)
class ImageTarget:
    """Set the image's tag (or digest) to the version: every reference to the image in the resource."""

    ref: ResourceRef
    image: str
    container: str | None = None


@dataclasses.dataclass(frozen=True)
class SetTarget:
    """Set fields (``PATH=VALUE``); ``{version}`` in a value is replaced by the version."""

    ref: ResourceRef
    values: tuple[tuple[str, str], ...]  # (path, value template)


Target = ImageTarget | SetTarget


# canary ------------------------------------------------------------------------------------------


class RoutingFormat(enum.Enum):
    """The traffic formats whose weights promoter edits (``trafficRouting`` keys, Argo Rollouts' where known)."""

    ISTIO = "istio"  # VirtualService http[].route[].weight, destinations by subset or host
    GATEWAY_API = "gatewayAPI"  # HTTPRoute / GRPCRoute rules[].backendRefs[].weight
    SMI = "smi"  # TrafficSplit backends[].weight
    NGINX = "nginx"  # the canary Ingress' canary-weight annotation
    KNATIVE = "knative"  # Service traffic[].percent
    OPENSHIFT = "openshift"  # Route to / alternateBackends weights


@dataclasses.dataclass(frozen=True)
class TrafficRouting:
    """Where the canary's share of traffic is set, and how its stable and canary destinations are named."""

    format: RoutingFormat
    resource: ResourceRef
    stable: str  # Istio subset (or host), Gateway API / SMI / OpenShift service, Knative tag or revision
    canary: str
    route: str | int = 0  # Istio: the route's name or index; Gateway API: the rule's index
    port: int | None = None  # Gateway API backendRefs' port, for header routes and mirrors
    # The header and mirror routes the steps add (first in the list): an index in ``route`` skips them.
    managed: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class HeaderMatch:
    header: str
    value: str
    kind: str = "exact"  # exact | prefix | regex


@dataclasses.dataclass(frozen=True)
class SetWeight:
    percent: int


@dataclasses.dataclass(frozen=True)
class Pause:
    duration: dt.timedelta | None  # None: until promoted (``promoter promote``)


@dataclasses.dataclass(frozen=True)
class SetCanaryScale:
    """The canary's replicas: a count, a share of the stable's, or back to following the weight."""

    replicas: int | None = None
    weight: int | None = None
    match_traffic_weight: bool = False


@dataclasses.dataclass(frozen=True)
class SetHeaderRoute:
    name: str
    match: tuple[HeaderMatch, ...]  # empty: remove the route


@dataclasses.dataclass(frozen=True)
class SetMirrorRoute:
    name: str
    percent: int | None  # None: remove the mirror
    match: tuple[HeaderMatch, ...] = ()


@dataclasses.dataclass(frozen=True)
class SetFields:
    """Any field of any resource (a DestinationRule's outlierDetection, a feature flag), as its own change."""

    target: SetTarget


CanaryStep = SetWeight | Pause | SetCanaryScale | SetHeaderRoute | SetMirrorRoute | SetFields


@dataclasses.dataclass(frozen=True)
class Rolling:
    """Set the version in the stage's targets, verify, soak (also what Recreate is, in Git)."""


@dataclasses.dataclass(frozen=True)
class Canary:
    """The version goes to the canary workload first, then the steps, then the stable targets.

    Without ``routing`` the weights are replica ratios of the two workloads (no mesh: one Service in front).
    """

    canary: tuple[ImageTarget, ...]
    steps: tuple[CanaryStep, ...]
    routing: TrafficRouting | None = None
    scale_down: bool = True  # at the end, the canary back to the replicas it had before the stage


@dataclasses.dataclass(frozen=True)
class BlueGreen:
    """Two workloads, one colour live: the idle one gets the version, the active Service is switched to it."""

    active_service: ResourceRef
    selector: str  # the Service selector key whose value names the colour
    colors: tuple[tuple[str, ImageTarget], ...]  # (selector value, its workload), exactly two
    preview_service: ResourceRef | None = None
    auto_promotion: bool = True  # False: wait for ``promoter promote`` before the switch
    pre_promotion_pause: dt.timedelta = dt.timedelta(0)
    scale_down_delay: dt.timedelta = dt.timedelta(seconds=30)
    scale_down: bool = True


Strategy = Rolling | Canary | BlueGreen


def name(strategy: Strategy) -> str:
    match strategy:
        case Rolling():
            return "rolling"
        case Canary(routing=None):
            return "canary (replica ratio)"
        case Canary(routing=routing) if routing is not None:
            return f"canary ({routing.format.value})"
        case BlueGreen():
            return "blueGreen"
    raise AssertionError(strategy)  # pragma: no cover - the union is closed
