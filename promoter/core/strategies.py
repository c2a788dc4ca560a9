"""How a stage moves a version, as configured: rolling, canary (by traffic weights or replica ratio), blue/green.

Frozen values with Argo Rollouts' vocabulary (``setWeight``, ``pause``, ``setCanaryScale``, ``setHeaderRoute``,
``setMirrorRoute``, ``activeService``, ``previewService``, ``scaleDownDelay``), so a Rollout's strategy carries
over; :mod:`promoter.core.plan` turns them into the ordered changes and gates a stage walks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from promoter.core.templates import Analysis


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


@dataclasses.dataclass(frozen=True)
class AnalysisStep:
    """A canary step that waits for an analysis run to end (Argo Rollouts' inline ``analysis`` step)."""

    analysis: Analysis


CanaryStep = SetWeight | Pause | SetCanaryScale | SetHeaderRoute | SetMirrorRoute | SetFields | AnalysisStep


@dataclasses.dataclass(frozen=True)
class Background:
    """Argo Rollouts' background analysis: runs from step ``starting_step`` (0-based in ``steps``) while the
    canary takes traffic, until the stable workload gets the version; a failed run fails the stage."""

    analysis: Analysis
    starting_step: int = 0


@dataclasses.dataclass(frozen=True)
class Rolling:
    """Set the version in the stage's targets, verify, analyse (when configured), soak (also what Recreate
    is, in Git)."""

    analysis: Analysis | None = None


@dataclasses.dataclass(frozen=True)
class Canary:
    """The version goes to the canary workload first, then the steps, then the stable targets.

    Without ``routing`` the weights are replica ratios of the two workloads (no mesh: one Service in front).
    """

    canary: tuple[ImageTarget, ...]
    steps: tuple[CanaryStep, ...]
    routing: TrafficRouting | None = None
    scale_down: bool = True  # at the end, the canary back to the replicas it had before the stage
    background: Background | None = None


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
    pre_promotion_analysis: Analysis | None = None  # on the idle colour, before the switch
    post_promotion_analysis: Analysis | None = None  # after the switch; failure flips back


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


def analyses(strategy: Strategy) -> tuple[Analysis, ...]:
    """Every analysis the strategy runs (its gates' and its background run)."""
    match strategy:
        case Rolling(analysis=analysis):
            return (analysis,) if analysis is not None else ()
        case Canary(steps=steps, background=background):
            inline = tuple(s.analysis for s in steps if isinstance(s, AnalysisStep))
            return inline + ((background.analysis,) if background is not None else ())
        case BlueGreen(pre_promotion_analysis=pre, post_promotion_analysis=post):
            return tuple(a for a in (pre, post) if a is not None)
    raise AssertionError(strategy)  # pragma: no cover - the union is closed


def with_analysis_settings(strategy: Strategy, interval: dt.timedelta, address: str | None = None) -> Strategy:
    """The strategy with every analysis reading Prometheus at this scrape interval (promoter.yaml's), and at
    ``address`` when promoter.yaml names one."""

    def at(analysis: Analysis) -> Analysis:
        read = dataclasses.replace(analysis, scrape_interval=interval)
        return read.reading(address) if address is not None else read

    def of(analysis: Analysis | None) -> Analysis | None:
        return at(analysis) if analysis is not None else None

    match strategy:
        case Rolling(analysis=analysis):
            return Rolling(of(analysis))
        case Canary(steps=steps, background=background):
            changed = tuple(AnalysisStep(at(s.analysis)) if isinstance(s, AnalysisStep) else s for s in steps)
            moved = dataclasses.replace(background, analysis=at(background.analysis)) if background else None
            return dataclasses.replace(strategy, steps=changed, background=moved)
        case BlueGreen(pre_promotion_analysis=pre, post_promotion_analysis=post):
            return dataclasses.replace(strategy, pre_promotion_analysis=of(pre), post_promotion_analysis=of(post))
    raise AssertionError(strategy)  # pragma: no cover - the union is closed
