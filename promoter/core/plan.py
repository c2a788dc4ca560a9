"""A stage's plan: the ordered changes (one pull request each) and gates that move the version through it.

Built in the core from the stage's strategy, the version and the stage's facts (replica counts, the colour a
blue/green serves: read once when the stage starts). ``decide`` walks this very plan, and ``promoter plan``
prints it; each change's edits are requests on resources (:mod:`promoter.core.edits`).

- rolling: the version in the targets, then the soak;
- canary: the version in the canary workload (scaled up when it sits at 0), each step (a weight, a pause, a
  scale, a header route, a mirror, any field), then the stable targets get the version, the weights go back
  to stable 100 / canary 0 (header routes and mirrors removed), the soak, and the canary back to its replicas;
- blue/green: the idle colour gets the version (scaled up to the active one's replicas, the preview Service
  pointed at it), the pre-promotion pause, the switch of the active Service's selector, the soak, the scale-down
  delay, and the old colour scaled down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Iterator, Mapping
from typing import assert_never

from promoter.core import edits, resources
from promoter.core.model import Pipeline, Stage
from promoter.core.resources import Found
from promoter.core.runs import Facts
from promoter.core.strategies import (
    AnalysisStep,
    BlueGreen,
    Canary,
    CanaryStep,
    ImageTarget,
    Pause,
    ResourceRef,
    Rolling,
    SetCanaryScale,
    SetFields,
    SetHeaderRoute,
    SetMirrorRoute,
    SetTarget,
    SetWeight,
    Target,
    TrafficRouting,
)
from promoter.core.templates import Analysis


class ChangeKind(enum.Enum):
    VERSION = "version"  # rolling: the version in the stage's targets
    CANARY = "canary"  # the canary workload gets the version
    WEIGHT = "weight"  # the canary's share of traffic
    SCALE = "scale"  # replica counts (a replica ratio, setCanaryScale)
    HEADER_ROUTE = "headerRoute"
    MIRROR = "mirror"
    SET = "set"  # any field
    STABLE = "stable"  # the stable workload gets the version
    RESET = "reset"  # traffic back to stable 100 / canary 0
    SCALE_DOWN = "scaleDown"  # the canary, or the old colour, back down
    PREVIEW = "preview"  # blue/green: the idle colour gets the version
    SWITCH = "switch"  # blue/green: the active Service selects the new colour


class GateKind(enum.Enum):
    PAUSE = "pause"
    SOAK = "soak"
    SCALE_DOWN_DELAY = "scaleDownDelay"
    ANALYSIS = "analysis"  # waits for an analysis run to end (a rolling stage's, a canary step, blue/green's)


@dataclasses.dataclass(frozen=True)
class Change:
    kind: ChangeKind
    label: str  # for people: "canary 20%", "switch guestbook to green"
    edits: tuple[edits.Edit, ...]


@dataclasses.dataclass(frozen=True)
class Gate:
    kind: GateKind
    label: str
    duration: dt.timedelta | None  # None: until promoted (an analysis gate: until its run ends)
    analysis: Analysis | None = None
    values: tuple[tuple[str, str], ...] = ()  # the promotion values its arguments may name


Item = Change | Gate


@dataclasses.dataclass(frozen=True)
class BackgroundRun:
    """A canary's background analysis: measured from item ``start`` on, until the walk reaches item ``end``
    (the stable workload gets the version); a failure in between fails the stage."""

    analysis: Analysis
    values: tuple[tuple[str, str], ...]
    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class StagePlan:
    items: tuple[Item, ...]
    background: BackgroundRun | None = None

    def change(self, index: int) -> Change:
        item = self.items[index]
        assert isinstance(item, Change)
        return item

    def refs(self) -> tuple[ResourceRef, ...]:
        """Every resource the plan edits (in first-edited order)."""
        seen: dict[ResourceRef, None] = {}
        for item in self.items:
            if isinstance(item, Change):
                for request in item.edits:
                    seen.setdefault(edits.ref(request), None)
        return tuple(seen)


class PlanError(ValueError):
    """The stage's plan cannot be built from what the repo holds (a missing selector, an unknown colour)."""


# facts --------------------------------------------------------------------------------------------


def derives(stage: Stage) -> bool:
    """The stage names no Applications: the ones that deploy its files are found in the repo when it starts."""
    return not stage.applications


def with_applications(pipeline: Pipeline, index: int, facts: Facts | None) -> Pipeline:
    """The pipeline with stage ``index``'s Applications as it runs them: named in the config, or derived (the
    ones deploying its files, found when it started and kept in its facts)."""
    stage = pipeline.stage(index)
    if not derives(stage) or facts is None or not facts.applications:
        return pipeline
    stages = list(pipeline.stages)
    stages[index] = dataclasses.replace(stage, applications=facts.applications)
    return dataclasses.replace(pipeline, stages=tuple(stages))


def fact_refs(stage: Stage) -> tuple[ResourceRef, ...]:
    """The resources the stage's facts are read from (when the stage starts)."""
    match stage.strategy:
        case Rolling():
            return ()
        case Canary(canary=canary):
            return tuple(dict.fromkeys(t.ref for t in (*canary, *_images(stage.targets))))
        case BlueGreen(active_service=service, colors=colors):
            return (service, *(t.ref for _, t in colors))
    raise AssertionError(stage.strategy)  # pragma: no cover - the union is closed


def read_facts(stage: Stage, found: Mapping[ResourceRef, Found]) -> Facts:
    """The stage's facts from the resources of :func:`fact_refs` (as they are when the stage starts)."""
    counts = tuple(
        sorted((str(r), n) for r in fact_refs(stage) if r in found and (n := resources.replicas(found[r])) is not None)
    )
    active = None
    if isinstance(stage.strategy, BlueGreen):
        service = stage.strategy.active_service
        active = resources.selector(found[service], stage.strategy.selector) if service in found else None
    return Facts(counts, active)


# building -----------------------------------------------------------------------------------------


def build(stage: Stage, version: str, facts: Facts) -> StagePlan:
    """The stage's plan for ``version``; PlanError when the facts do not allow one."""
    match stage.strategy:
        case Rolling(analysis=analysis):
            items: list[Item] = [Change(ChangeKind.VERSION, f"version {version}", _versions(stage.targets, version))]
            if analysis is not None:
                name = _workload(_images(stage.targets))
                items.append(_analysis_gate(analysis, _values(version, stage, name, name)))
            items += _soak(stage)
        case Canary():
            return _canary_plan(stage, stage.strategy, version, facts)
        case BlueGreen():
            items = list(_blue_green(stage, stage.strategy, version, facts))
        case unreachable:
            assert_never(unreachable)
    return StagePlan(_kept(items))


def _kept(items: list[Item]) -> tuple[Item, ...]:
    """Changes with nothing to edit are left out of the plan."""
    return tuple(item for item in items if not isinstance(item, Change) or item.edits)


def _analysis_gate(analysis: Analysis, values: tuple[tuple[str, str], ...]) -> Gate:
    return Gate(GateKind.ANALYSIS, analysis.label, None, analysis, values)


def _values(version: str, stage: Stage, canary: str, stable: str) -> tuple[tuple[str, str], ...]:
    return (("version", version), ("stage", stage.name), ("canary", canary), ("stable", stable))


def _workload(targets: tuple[ImageTarget, ...]) -> str:
    """A workload's name for an analysis' ``{{canary}}`` / ``{{stable}}``: the resource's name, or its file."""
    ref = targets[0].ref if targets else None
    return (ref.name or ref.file or "") if ref is not None else ""


def _versions(targets: tuple[Target, ...], version: str) -> tuple[edits.Edit, ...]:
    requests: list[edits.Edit] = []
    for target in targets:
        match target:
            case ImageTarget(ref, image, container):
                requests.append(edits.SetImage(ref, image, version, container))
            case SetTarget(ref, values):
                requests.append(edits.SetValues(ref, tuple((p, v.replace("{version}", version)) for p, v in values)))
            case unreachable:
                assert_never(unreachable)
    return tuple(requests)


def _soak(stage: Stage) -> list[Item]:
    return [Gate(GateKind.SOAK, f"soak {stage.soak}", stage.soak)] if stage.soak else []


def _images(targets: tuple[Target, ...]) -> tuple[ImageTarget, ...]:
    return tuple(t for t in targets if isinstance(t, ImageTarget))


def _replicas(facts: Facts, targets: tuple[ImageTarget, ...], what: str) -> int:
    counts = [facts.replica(str(t.ref)) for t in targets]
    known = [n for n in counts if n is not None]
    if not known:
        raise PlanError(f"the {what} workload has no spec.replicas to read: promoter needs it for this strategy")
    return known[0]


def _scale(targets: tuple[ImageTarget, ...], count: int) -> tuple[edits.Edit, ...]:
    return tuple(edits.SetReplicas(t.ref, count) for t in targets)


def _canary_plan(stage: Stage, canary: Canary, version: str, facts: Facts) -> StagePlan:
    walk = _CanaryPlan(stage, canary, version, facts)
    items: list[Item] = [walk.first()]
    starts: list[int] = []  # the item index each step starts at (before empty changes are left out)
    for step in canary.steps:
        starts.append(len(items))
        item = walk.step(step)
        if item is not None:
            items.append(item)
    stable = len(items)
    items += walk.finish()
    kept = _kept(items)
    background = None
    if canary.background is not None:
        # Indexes in the kept plan: an item left out shifts the ones after it.
        def index(raw: int) -> int:
            return sum(1 for item in items[:raw] if not isinstance(item, Change) or item.edits)

        first = starts[canary.background.starting_step] if canary.background.starting_step < len(starts) else stable
        background = BackgroundRun(canary.background.analysis, walk.values, index(first), index(stable))
    return StagePlan(kept, background)


@dataclasses.dataclass
class _CanaryPlan:
    """Building a canary's plan: what the steps leave to undo at the end (the canary's replicas, routes)."""

    stage: Stage
    canary: Canary
    version: str
    facts: Facts
    scaled: int | None = None  # the canary's replicas after the steps so far
    removals: list[edits.Edit] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.stable = _images(self.stage.targets)
        self.routing = _managing(self.canary)
        self.values = _values(self.version, self.stage, _workload(self.canary.canary), _workload(self.stable))
        self.before = self.facts.replica(str(self.canary.canary[0].ref)) if self.canary.canary else None
        self.scaled = self.before

    def _ratio_counts(self) -> tuple[int, int]:
        """The stable's and the canary's replicas before the stage: a replica ratio moves between them."""
        return _replicas(self.facts, self.stable, "stable"), _replicas(self.facts, self.canary.canary, "canary")

    def first(self) -> Change:
        requests = list(_versions(self.canary.canary, self.version))
        if self.routing is not None and self.before == 0:
            # With a mesh the canary needs pods for its share of traffic: as many as its largest weight asks for.
            weights = [s.percent for s in self.canary.steps if isinstance(s, SetWeight)]
            needed = max(1, math.ceil(_replicas(self.facts, self.stable, "stable") * max(weights, default=0) / 100))
            requests += _scale(self.canary.canary, needed)
            self.scaled = needed
        elif self.routing is None:
            self._ratio_counts()  # refused now, not half-way, when the counts cannot be read
        return Change(ChangeKind.CANARY, f"canary {self.version}", tuple(requests))

    def step(self, step: CanaryStep) -> Item | None:
        routing = self.routing
        match step:
            case SetWeight(percent) if routing is not None:
                return Change(ChangeKind.WEIGHT, f"canary {percent}%", (edits.SetWeight(routing, percent),))
            case SetWeight(percent):
                total = sum(self._ratio_counts())
                keep, take = _ratio(total, percent)
                requests = (*_scale(self.stable, keep), *_scale(self.canary.canary, take))
                return Change(ChangeKind.SCALE, f"canary {percent}% ({take} of {total} replicas)", requests)
            case Pause(duration):
                return Gate(GateKind.PAUSE, f"pause {duration}" if duration else "pause until promoted", duration)
            case SetCanaryScale(match_traffic_weight=True):
                return None  # back to following the weight: the weights already say so
            case SetCanaryScale(replicas=count, weight=share):
                base = _replicas(self.facts, self.stable, "stable")
                target = count if count is not None else max(1, math.ceil(base * (share or 0) / 100))
                self.scaled = target
                return Change(ChangeKind.SCALE, f"canary scale {target}", _scale(self.canary.canary, target))
            case SetHeaderRoute(name, match):
                assert routing is not None  # validated with the config
                if match:
                    self.removals.append(edits.SetHeaderRoute(routing, name, ()))
                label = f"header route {name}" + ("" if match else " removed")
                return Change(ChangeKind.HEADER_ROUTE, label, (edits.SetHeaderRoute(routing, name, match),))
            case SetMirrorRoute(name, percent, match):
                assert routing is not None  # validated with the config
                if percent is not None:
                    self.removals.append(edits.SetMirror(routing, name, None, ()))
                label = f"mirror {name} {f'{percent}%' if percent is not None else 'removed'}"
                return Change(ChangeKind.MIRROR, label, (edits.SetMirror(routing, name, percent, match),))
            case SetFields(target):
                (request,) = _versions((target,), self.version)
                return Change(ChangeKind.SET, f"set {', '.join(p for p, _ in target.values)}", (request,))
            case AnalysisStep(analysis):
                return _analysis_gate(analysis, self.values)
            case unreachable:
                assert_never(unreachable)

    def finish(self) -> Iterator[Item]:
        """The stable gets the version, the traffic goes back to it, the soak, the canary scaled back."""
        yield Change(ChangeKind.STABLE, f"stable {self.version}", _versions(self.stage.targets, self.version))
        if self.routing is not None:
            back: tuple[edits.Edit, ...] = (edits.SetWeight(self.routing, 0), *dict.fromkeys(self.removals))
            yield Change(ChangeKind.RESET, "canary 0%: stable takes all traffic again", back)
        else:
            stable, canary = self._ratio_counts()
            restored = (*_scale(self.stable, stable), *_scale(self.canary.canary, canary))
            yield Change(ChangeKind.RESET, f"replicas back to {stable} stable, {canary} canary", restored)
        yield from _soak(self.stage)
        before = self.before
        if self.canary.scale_down and self.routing is not None and before is not None and self.scaled != before:
            yield Change(ChangeKind.SCALE_DOWN, f"canary back to {before} replicas", _scale(self.canary.canary, before))


def _managing(canary: Canary) -> TrafficRouting | None:
    """The routing, knowing the header and mirror routes the steps add (a route index must skip them)."""
    if canary.routing is None:
        return None
    names = [s.name for s in canary.steps if isinstance(s, SetHeaderRoute | SetMirrorRoute)]
    return dataclasses.replace(canary.routing, managed=tuple(dict.fromkeys((*canary.routing.managed, *names))))


def _ratio(total: int, percent: int) -> tuple[int, int]:
    """Stable and canary replicas for ``percent`` of ``total`` (at least one canary pod above 0%)."""
    canary = round(total * percent / 100)
    if percent > 0 and canary == 0 and total > 0:
        canary = 1
    return total - canary, canary


def _blue_green(stage: Stage, strategy: BlueGreen, version: str, facts: Facts) -> Iterator[Item]:
    colors = dict(strategy.colors)
    if facts.active not in colors:
        known = " or ".join(repr(c) for c in colors)
        raise PlanError(
            f"the active Service {strategy.active_service} selects {strategy.selector}={facts.active!r}, not {known}"
        )
    active = facts.active
    idle = next(c for c in colors if c != active)
    live, target = colors[active], colors[idle]
    live_replicas = facts.replica(str(live.ref))
    idle_replicas = facts.replica(str(target.ref))
    preview: list[edits.Edit] = [edits.SetImage(target.ref, target.image, version, target.container)]
    if live_replicas is not None and (idle_replicas or 0) < live_replicas:
        preview.append(edits.SetReplicas(target.ref, live_replicas))
    if strategy.preview_service is not None:
        preview.append(edits.SetSelector(strategy.preview_service, strategy.selector, idle))
    yield Change(ChangeKind.PREVIEW, f"{idle} gets {version}", tuple(preview))
    values = _values(version, stage, _workload((target,)), _workload((live,)))
    if strategy.pre_promotion_analysis is not None:
        yield _analysis_gate(strategy.pre_promotion_analysis, values)
    if strategy.pre_promotion_pause:
        yield Gate(GateKind.PAUSE, f"pre-promotion pause {strategy.pre_promotion_pause}", strategy.pre_promotion_pause)
    if not strategy.auto_promotion:
        yield Gate(GateKind.PAUSE, f"switch to {idle} when promoted", None)
    switch = edits.SetSelector(strategy.active_service, strategy.selector, idle)
    yield Change(
        ChangeKind.SWITCH, f"switch {strategy.active_service.name or strategy.active_service} to {idle}", (switch,)
    )
    if strategy.post_promotion_analysis is not None:
        yield _analysis_gate(strategy.post_promotion_analysis, values)
    yield from _soak(stage)
    if strategy.scale_down:
        if strategy.scale_down_delay:
            yield Gate(
                GateKind.SCALE_DOWN_DELAY, f"scale-down delay {strategy.scale_down_delay}", strategy.scale_down_delay
            )
        yield Change(ChangeKind.SCALE_DOWN, f"{active} scaled down", (edits.SetReplicas(live.ref, 0),))
