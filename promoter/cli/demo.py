"""``promoter demo``: the whole promotion loop on the embedded default, end to end, on loopback.

It seeds the GitHub sandbox and the Argo CD simulator with the app-of-apps repo in ``config/demo-repo``,
loads the pipelines of ``config/pipelines`` and ``config/demo-pipelines``, and runs three of them side by
side, each promoting a good version and then a bad one:

- ``guestbook`` (rolling, staging then prod): the bad version's pods fail at once; staging is reverted;
- ``checkout`` (a canary on Istio weights 10 -> 30 -> 60 -> 100, its success rate analysed on a real
  Prometheus at 10%): the bad version's pods run (Argo CD says Healthy) but answer 503s, so its analysis
  fails at 10%; one revert PR puts weights, images and replicas back;
- ``payments`` (blue/green): the bad version is healthy behind the preview Service and fails once the
  active Service switches to it; one revert PR flips the traffic back.

A failure that comes only under traffic is scripted: when the step named by :attr:`Attempt.breaks_at` is
merged, the simulator starts failing that version's image. The traffic simulator answers 503s for the
canary's bad version (:data:`TRAFFIC`), which only the analysis sees; Prometheus scrapes it every second.
The timeline shows every event with its step's label (``canary 30%``, ``switch payments to blue``). It
exits 0 only if every outcome happened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from promoter import logs
from promoter.cli import wiring
from promoter.cli.sandbox import checkout_config
from promoter.config import loading
from promoter.config.settings import StoreSettings
from promoter.core import plan as plans
from promoter.core import strategies
from promoter.core.model import Event, EventKind, Phase, Promotion
from promoter.engine.reconcile import reconcile_all
from promoter.engine.runtime import Runtime
from promoter.sandbox import prometheus, stack
from promoter.sandbox.argocd import Scenario
from promoter.sandbox.argocd.gitrepo import BareRepo
from promoter.sandbox.traffic import Options

DEMO_PIPELINES = "demo-pipelines"  # beside config/pipelines: the demo's own, kept out of the example
DEMO_ANALYSIS = "demo-analysis"  # the demo's analysis templates (the sandbox Prometheus' address filled in)
TRAFFIC = Options(error_images=("ghcr.io/acme/checkout:2.2.0",))  # healthy pods that answer 503s
TIMEOUT = 150.0  # seconds for the whole demo; bounded so it always ends
POLL = 0.3  # seconds between reconcile passes
SCENARIO = Scenario(
    fail_images=("*:*-bad*",), progressing_seconds=0.5, sync_seconds=0.3, settle_seconds=0.3, sync_interval_seconds=3
)

Files = Mapping[str, bytes]  # path -> content, on the base branch


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One promotion the demo starts, and how it must end."""

    version: str
    expected: Phase
    breaks_at: str | None = None  # its pods fail from the merge of the change whose label starts so
    story: str = ""  # shown with its start


@dataclasses.dataclass(frozen=True)
class Lane:
    """A pipeline's promotions, one after the other; the lanes run side by side."""

    pipeline: str
    image: str
    folders: tuple[str, ...]  # where its files are in the config repo
    attempts: tuple[Attempt, ...]
    describe: Callable[[Files], str]  # what runs, as its files say


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one promotion ended, with what the forge and the config repo show of it."""

    pipeline: str
    version: str
    expected: Phase
    phase: Phase
    reason: str
    merged: tuple[str, ...]  # the labels of its merged changes, in order
    failed_at: str | None  # the label of the item it failed at
    titles: tuple[str, ...]  # its pull requests' titles, in order
    reverts: int  # its merged revert pull requests
    before: Files  # the lane's files when it started
    after: Files  # and when it ended

    @property
    def restored(self) -> bool:
        """The lane's files are as they were before it, byte for byte."""
        return self.before == self.after

    @property
    def ok(self) -> bool:
        if self.expected is Phase.SUCCEEDED:
            return self.phase is Phase.SUCCEEDED and self.reverts == 0
        return self.phase is self.expected and self.reverts == 1 and self.restored


@click.command()
def demo() -> None:
    """Promote good and bad versions (rolling, canary, blue/green) on a local GitHub sandbox and Argo CD simulator."""
    logs.configure("error")  # the timeline below is the demo's output (it shows the failures); errors still show
    config_dir = checkout_config()
    if not (config_dir / "demo-repo").is_dir():
        click.echo(f"promoter demo: needs the config/ directory of a source checkout ({config_dir})", err=True)
        sys.exit(2)
    if not prometheus.installed():
        click.echo("promoter demo: needs Prometheus (Debian's package 'prometheus': `make demo` installs it)", err=True)
        sys.exit(2)
    outcomes = run(config_dir)
    click.echo()
    for o in outcomes:
        shown = f"{o.phase.value}" + (f" at {o.failed_at}, reverted by {o.reverts} PR" if o.reverts else "")
        click.secho(f"{o.pipeline:9s} {o.version:10s} {shown:54s} ", nl=False)
        click.secho("ok" if o.ok else f"UNEXPECTED (wanted {o.expected.value})", fg="green" if o.ok else "red")
    ok = len(outcomes) == sum(len(lane.attempts) for lane in LANES) and all(o.ok for o in outcomes)
    click.secho(f"-> {'OK' if ok else 'UNEXPECTED'}", bold=True, fg="green" if ok else "red")
    sys.exit(0 if ok else 1)


def run(config_dir: Path, scenario: Scenario = SCENARIO, timeout: float = TIMEOUT) -> tuple[Outcome, ...]:
    """Every lane's promotions on a fresh sandbox seeded from ``config_dir``, printing the timeline."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108 - a private mkdtemp inside it
    with tempfile.TemporaryDirectory(prefix="promoter-demo-", dir=base) as tmp:
        work = Path(tmp)
        bare = stack.seed(config_dir / "demo-repo", work)
        with stack.Stack(bare, scenario=scenario, traffic=TRAFFIC, prometheus=True, workdir=work) as running:
            assert running.prometheus is not None
            config = loading.load(_config_dir(config_dir, work / "config", running.prometheus.url))
            settings = dataclasses.replace(
                config.settings, state_dir=work / "state", store=StoreSettings(f"sqlite:///{work}/promoter.db")
            )
            rt = wiring.runtime(dataclasses.replace(config, settings=settings), {**os.environ, **running.environment()})
            try:
                click.secho(
                    f"GitHub sandbox {running.github.url} · Argo CD simulator {running.argocd_url} · "
                    f"Prometheus {running.prometheus.url} (scraping the traffic simulator)",
                    dim=True,
                )
                for lane in LANES:
                    pipeline = rt.pipelines[lane.pipeline]
                    shown = ", ".join(f"{s.name}: {strategies.name(s.strategy)}" for s in pipeline.stages)
                    apps = ", ".join(a for s in pipeline.stages for a in s.applications)
                    click.secho(f"pipeline {lane.pipeline} ({shown}) -> {apps}", dim=True)
                click.echo()
                broken = _Broken(running, scenario.fail_images)
                return _Timeline(rt, BareRepo(bare), broken).run(timeout)
            finally:
                rt.close()


def _config_dir(source: Path, into: Path, prometheus_url: str) -> Path:
    """A config directory with the settings of ``source`` (Prometheus scraping every second), the pipelines of
    both its pipeline folders and the demo's analysis templates reading the sandbox Prometheus."""
    (into / loading.PIPELINES_DIR).mkdir(parents=True)
    settings = (source / loading.SETTINGS_FILE).read_text()
    (into / loading.SETTINGS_FILE).write_text(f"{settings}\nanalysis:\n  scrape_interval: 1s\n")
    (into / "analysis").mkdir()
    for file in sorted((source / DEMO_ANALYSIS).glob("*.y*ml")):
        (into / "analysis" / file.name).write_text(file.read_text().replace("PROMETHEUS", prometheus_url))
    for folder in (loading.PIPELINES_DIR, DEMO_PIPELINES):
        for file in sorted((source / folder).glob("*.y*ml")):
            (into / loading.PIPELINES_DIR / file.name).symlink_to(file)
    return into


class _Broken:
    """The images the simulator fails; a scripted bad moment adds one."""

    def __init__(self, running: stack.Stack, patterns: tuple[str, ...]) -> None:
        self._running = running
        self._patterns = list(patterns)

    def add(self, image: str) -> None:
        self._patterns.append(image)
        self._running.simulator.set_scenario({"fail_images": list(self._patterns)})


@dataclasses.dataclass
class _Going:
    """A lane's promotion under way."""

    attempt: Attempt
    promotion: Promotion
    before: Files
    seen: int = 0  # its events shown so far
    stage: str = ""  # the stage of its latest event
    merged: list[str] = dataclasses.field(default_factory=list)  # the labels of its merged changes
    failed_at: str | None = None


class _Timeline:
    def __init__(self, rt: Runtime, repo: BareRepo, broken: _Broken) -> None:
        self.rt, self.repo, self.broken = rt, repo, broken
        self.origin = rt.clock.now()
        self.plans: dict[tuple[str, int], plans.StagePlan] = {}
        self.ended: list[tuple[Lane, _Going, Promotion]] = []

    def run(self, timeout: float) -> tuple[Outcome, ...]:
        lanes = {lane.pipeline: (lane, iter(lane.attempts)) for lane in LANES}
        going = {name: self._start(lane, attempts) for name, (lane, attempts) in lanes.items()}
        deadline = time.monotonic() + timeout
        while any(g is not None for g in going.values()) and time.monotonic() < deadline:
            reconcile_all(self.rt)
            lines: list[_Line] = []
            finished = [name for name, g in going.items() if g is not None and self._follow(lanes[name][0], g, lines)]
            for line in sorted(lines, key=lambda line: line.at):  # the lanes' events in the order they happened
                line.show(self._elapsed(line.at))
            for name in finished:
                going[name] = self._start(*lanes[name])
            time.sleep(POLL)
        for name, current in going.items():
            if current is not None:
                click.secho(f"  {name} {current.attempt.version}: gave up after {timeout:.0f}s", fg="red")
                self.ended.append((lanes[name][0], current, self._promotion(current.promotion)))
        return self._outcomes()

    def _start(self, lane: Lane, attempts: Iterator[Attempt]) -> _Going | None:
        attempt = next(attempts, None)
        if attempt is None:
            return None
        before = self._files(lane)
        promotion = self.rt.store.create_promotion(lane.pipeline, attempt.version, self.rt.clock.now())
        story = f"   # {attempt.story}" if attempt.story else ""
        click.secho(f"[{self._elapsed(promotion.created_at):5.1f}s] ", nl=False)
        click.secho(f"$ promoter start {lane.pipeline} --version {attempt.version}", bold=True, nl=False)
        click.secho(story, dim=True)
        return _Going(attempt, promotion, before)

    def _follow(self, lane: Lane, going: _Going, lines: list[_Line]) -> bool:
        """Add the promotion's new events to ``lines``; True once it has finished."""
        promotion = self._promotion(going.promotion)
        events = self.rt.store.events(lane.pipeline, promotion.id, limit=10_000)
        for event in events[going.seen :]:
            label = self._label(promotion, event)
            if event.kind is EventKind.STEP_MERGED and label is not None:
                going.merged.append(label)
            if event.kind is EventKind.STEP_FAILED and going.failed_at is None:
                going.failed_at = label
            going.stage = _stage(event)
            lines.append(_Line.of(event, promotion.version, label if event.kind.value.startswith("step_") else None))
            breaks_at = going.attempt.breaks_at
            if event.kind is EventKind.STEP_MERGED and breaks_at and (label or "").startswith(breaks_at):
                image = f"{lane.image}:{promotion.version}"
                self.broken.add(image)  # before the next pass: Argo CD sees it as the merge deploys
                lines.append(
                    _Line(
                        event.at,
                        lane.pipeline,
                        promotion.version,
                        going.stage,
                        "(simulator)",
                        f"{image} starts failing under traffic",
                        "magenta",
                    )
                )
        going.seen = len(events)
        if not promotion.phase.finished:
            return False
        took = (promotion.updated_at - promotion.created_at).total_seconds()
        stage = going.stage
        color = "green" if promotion.phase is Phase.SUCCEEDED else "red"
        after = self._files(lane)
        restored = " (every file as before it, byte for byte)" if after == going.before else ""
        at, version = promotion.updated_at, promotion.version
        lines.append(_Line(at, lane.pipeline, version, stage, promotion.phase.value, f"after {took:.1f}s", color))
        lines.append(_Line(at, lane.pipeline, version, stage, "now", f"{lane.describe(after)}{restored}", None))
        self.ended.append((lane, going, promotion))
        return True

    def _outcomes(self) -> tuple[Outcome, ...]:
        prs = sorted(self.rt.forge.marked_prs(), key=lambda pr: pr.number)
        outcomes = []
        for lane, going, promotion in self.ended:
            own = [pr for pr in prs if pr.head_branch.startswith(f"promoter/{lane.pipeline}/{promotion.id}/")]
            reverts = sum(1 for pr in own if pr.head_branch.endswith("-revert") and pr.merged)
            outcome = Outcome(
                pipeline=lane.pipeline,
                version=promotion.version,
                expected=going.attempt.expected,
                phase=promotion.phase,
                reason=promotion.reason,
                merged=tuple(going.merged),
                failed_at=going.failed_at,
                titles=tuple(pr.title for pr in own),
                reverts=reverts,
                before=going.before,
                after=self._files(lane),
            )
            outcomes.append(outcome)
        order = [(lane.pipeline, a.version) for lane in LANES for a in lane.attempts]
        return tuple(sorted(outcomes, key=lambda o: order.index((o.pipeline, o.version))))

    # reading -------------------------------------------------------------------------------------------

    def _promotion(self, promotion: Promotion) -> Promotion:
        current = self.rt.store.promotion(promotion.id, promotion.pipeline)
        assert current is not None
        return current

    def _files(self, lane: Lane) -> Files:
        commit = self.repo.refs().resolve("main")
        assert commit is not None
        tree = self.repo.files(commit)
        return {
            path: (self.repo.text(blob) or "").encode()
            for path, blob in sorted(tree.items())
            if path.startswith(lane.folders)
        }

    def _label(self, promotion: Promotion, event: Event) -> str | None:
        """The label of the plan item the event is about (``canary 30%``); None when it has none."""
        pipeline = self.rt.pipelines[promotion.pipeline]
        names = [s.name for s in pipeline.stages]
        stage, step = event.evidence.get("stage"), event.evidence.get("step")
        if stage not in names or not isinstance(step, int):
            return None
        index = names.index(str(stage))
        key = (promotion.id, index)
        if key not in self.plans:
            record = self.rt.store.stage_run(pipeline.name, promotion.id, index)
            if record is None or record.facts is None:
                return None
            try:
                self.plans[key] = plans.build(pipeline.stages[index], promotion.version, record.facts)
            except plans.PlanError:
                return None
        items = self.plans[key].items
        return items[step].label if step < len(items) else None

    def _elapsed(self, at: dt.datetime) -> float:
        return (at - self.origin).total_seconds()


_COLORS = {
    EventKind.STEP_FAILED: "red",
    EventKind.PROMOTION_FAILED: "red",
    EventKind.PROMOTION_SUCCEEDED: "green",
    EventKind.REVERT_PR_OPENED: "yellow",
    EventKind.REVERT_MERGED: "yellow",
}
_SHA = re.compile(r"\b([0-9a-f]{7})[0-9a-f]{33}\b")


def _stage(event: Event) -> str:
    return str(event.evidence.get("stage", ""))


@dataclasses.dataclass(frozen=True)
class _Line:
    """One line of the timeline."""

    at: dt.datetime
    pipeline: str
    version: str
    stage: str
    what: str
    message: str
    color: str | None

    @classmethod
    def of(cls, event: Event, version: str, label: str | None) -> _Line:
        message = _SHA.sub(r"\1", event.message)  # a commit as people read it
        shown = f"{label}: {message}" if label else message
        return cls(event.at, event.pipeline, version, _stage(event), event.kind.value, shown, _COLORS.get(event.kind))

    def show(self, elapsed: float) -> None:
        click.echo(f"[{elapsed:5.1f}s] {self.pipeline:9s} {self.version:9s} {self.stage:7s} ", nl=False)
        click.secho(f"{self.what:19s}", fg=self.color, nl=False)
        click.echo(f" {self.message}")


# what runs, as the files say ---------------------------------------------------------------------------


def _docs(files: Files, path: str) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(files.get(path, b"")) if isinstance(d, dict)]


def _workload(files: Files, path: str) -> str:
    """``2.1.0 x3``: the version a Deployment runs and its replicas."""
    (doc,) = _docs(files, path)
    image = str(doc["spec"]["template"]["spec"]["containers"][0]["image"])
    return f"{image.rpartition(':')[2]} x{doc['spec'].get('replicas', 1)}"


def _rolling(files: Files) -> str:
    return ", ".join(
        f"{env} {_workload(files, f'envs/{env}/guestbook/deployment.yaml')}" for env in ("staging", "prod")
    )


def _canary(files: Files) -> str:
    (vs,) = _docs(files, "envs/prod/checkout/virtualservice.yaml")
    (route,) = vs["spec"]["http"]
    split = " / ".join(f"{d['destination']['host']} {d.get('weight', 0)}" for d in route["route"])
    stable = _workload(files, "envs/prod/checkout/deployment.yaml")
    return f"weights {split}; stable {stable}, canary {_workload(files, 'envs/prod/checkout/canary.yaml')}"


def _blue_green(files: Files) -> str:
    active, preview = _docs(files, "envs/prod/payments/services.yaml")
    blue, green = _workload(files, "envs/prod/payments/blue.yaml"), _workload(files, "envs/prod/payments/green.yaml")
    return (
        f"payments selects {active['spec']['selector']['color']} "
        f"(preview {preview['spec']['selector']['color']}); blue {blue}, green {green}"
    )


LANES = (
    Lane(
        "guestbook",
        "ghcr.io/acme/guestbook",
        ("envs/staging/guestbook/", "envs/prod/guestbook/"),
        (
            Attempt("1.1.0", Phase.SUCCEEDED, story="rolling: staging, then prod"),
            Attempt("1.2.0-bad", Phase.FAILED, story="its pods fail at once"),
        ),
        _rolling,
    ),
    Lane(
        "checkout",
        "ghcr.io/acme/checkout",
        ("envs/prod/checkout/",),
        (
            Attempt("2.1.0", Phase.SUCCEEDED, story="canary 10% -> 30% -> 60% -> 100%"),
            Attempt("2.2.0", Phase.FAILED, story="healthy pods that answer 503s: its analysis fails at 10%"),
        ),
        _canary,
    ),
    Lane(
        "payments",
        "ghcr.io/acme/payments",
        ("envs/prod/payments/",),
        (
            Attempt("3.1.0", Phase.SUCCEEDED, story="blue/green: green gets it, then the traffic"),
            Attempt("3.2.0", Phase.FAILED, breaks_at="switch payments to", story="fails once it takes the traffic"),
        ),
        _blue_green,
    ),
)
