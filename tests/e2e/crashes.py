"""Crash drills through a whole stage: the worlds (a canary on Istio, a blue/green), and the drill itself.

A drill is a promotion crashed several times on its way. Each crash first lets a fresh runtime (a restarted
bot) drive the promotion to a chosen item, where a pass ends waiting (a change merged and waiting for Argo
CD, a gate's timer): from there the next action of a kind is known exactly. Then the real daemon, armed with
``PROMOTER_FAULT_AFTER``, kills itself right after that action, and the store is checked to stand exactly
where the action leaves it (its record not written yet). At the end a restarted bot finishes the promotion and
everything is counted: once each, nothing lost.
"""

from __future__ import annotations

import collections
import dataclasses
import signal
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from promoter.core.model import Phase
from tests.conftest import git
from tests.e2e.world import At, Position, World

STATUS_MARKER = "<!-- promoter:status "
BOT = "promoter-bot"
OUTCOMES = frozenset({"promoter:succeeded", "promoter:failed", "promoter:aborted", "promoter:held"})
SUCCEEDED = frozenset({"promoter:succeeded"})
FAILED_HELD = frozenset({"promoter:failed", "promoter:held"})

# A canary on Istio: the canary workload gets the version (and pods for 50%), 10%, a pause, 50%, then the
# stable gets it, the traffic goes back, the canary goes back to 0 replicas.

STABLE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 4
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0
"""

CANARY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-canary
spec:
  replicas: 0
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0
"""

CANARY_SERVICES = """\
apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  selector: {app: app}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: app-canary
spec:
  selector: {app: app-canary}
  ports: [{port: 80}]
"""

VIRTUAL_SERVICE = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: app
spec:
  hosts: [app]
  http:
    - name: primary
      route:
        - destination: {host: app}
          weight: 100
        - destination: {host: app-canary}
          weight: 0
"""

CANARY_PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {resource: Deployment/app, image: ghcr.io/acme/app}
    strategy:
      canary:
        targets:
          - {resource: Deployment/app-canary, image: ghcr.io/acme/app}
        canaryService: app-canary
        stableService: app
        trafficRouting:
          istio:
            virtualService: {name: app, routes: [primary]}
        steps:
          - setWeight: 10
          - pause: {duration: 1s}
          - setWeight: 50
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""

CANARY_FILES = {
    "envs/staging/deployment.yaml": STABLE,
    "envs/staging/canary.yaml": CANARY,
    "envs/staging/services.yaml": CANARY_SERVICES,
    "envs/staging/route.yaml": VIRTUAL_SERVICE,
}

# The canary's plan, item by item (the pause is item 2, a gate: no PR).
CANARY_TITLES = (
    (0, "canary 2.0.0"),
    (1, "canary 10%"),
    (3, "canary 50%"),
    (4, "stable 2.0.0"),
    (5, "canary 0%: stable takes all traffic again"),
    (6, "canary back to 0 replicas"),
)
CANARY_PAUSE = 2

# Where a successful canary leaves the stage: the stable has the version, 100/0, the canary back at 0 replicas.
CANARY_DONE = {
    **CANARY_FILES,
    "envs/staging/deployment.yaml": STABLE.replace("app:1.0.0", "app:2.0.0"),
    "envs/staging/canary.yaml": CANARY.replace("app:1.0.0", "app:2.0.0"),
}

# A blue/green: green gets the version (and blue's replicas, and the preview Service), the switch, the
# scale-down delay, blue scaled down.

COLOR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-NAME
spec:
  replicas: REPLICAS
  selector: {matchLabels: {color: NAME}}
  template:
    metadata: {labels: {color: NAME}}
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0
"""

BLUE_GREEN_SERVICES = """\
apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  selector:
    color: blue  # the active colour
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: app-preview
spec:
  selector:
    color: blue
  ports: [{port: 80}]
"""

BLUE_GREEN_PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    strategy:
      blueGreen:
        activeService: app
        previewService: app-preview
        selector: color
        colors:
          blue: {resource: Deployment/app-blue, image: ghcr.io/acme/app}
          green: {resource: Deployment/app-green, image: ghcr.io/acme/app}
        scaleDownDelay: 1s
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
"""

BLUE, GREEN = "envs/staging/blue.yaml", "envs/staging/green.yaml"
BLUE_GREEN_FILES = {
    BLUE: COLOR.replace("NAME", "blue").replace("REPLICAS", "3"),
    GREEN: COLOR.replace("NAME", "green").replace("REPLICAS", "0"),
    "envs/staging/services.yaml": BLUE_GREEN_SERVICES,
}
BLUE_GREEN_TITLES = ((0, "green gets 2.0.0"), (1, "switch app to green"), (3, "blue scaled down"))
BLUE_GREEN_DELAY = 2
BLUE_GREEN_DONE = {
    BLUE: BLUE_GREEN_FILES[BLUE].replace("replicas: 3", "replicas: 0"),
    GREEN: BLUE_GREEN_FILES[GREEN].replace("replicas: 0", "replicas: 3").replace("app:1.0.0", "app:2.0.0"),
    "envs/staging/services.yaml": BLUE_GREEN_SERVICES.replace("color: blue", "color: green"),
}

ONLY_STAGING = {"apps/app-prod.yaml": None, "envs/prod/deployment.yaml": None, "envs/staging/deployment.yaml": None}


def canary_world(make_world: Callable[..., World]) -> World:
    return make_world(files={**ONLY_STAGING, **CANARY_FILES}, pipeline=CANARY_PIPELINE)


def blue_green_world(make_world: Callable[..., World]) -> World:
    return make_world(files={**ONLY_STAGING, **BLUE_GREEN_FILES}, pipeline=BLUE_GREEN_PIPELINE)


# the drill --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Crash:
    """One crash: drive to item ``after`` (None: the daemon goes on from where the last crash left it), then
    the daemon dies right after ``fault``; then the store stands at ``killed`` (item, state) and the forge
    holds ``prs`` pull requests, ``merged`` of them merged."""

    after: int | None
    fault: str
    killed: tuple[int, At]
    prs: int
    merged: int
    fail: bool = False  # from the end of the drive on, the version's pods fail (a scenario change mid-way)

    def __str__(self) -> str:
        where = "" if self.after is None else f"{self.after}:"
        return f"{where}{self.fault}"


@dataclasses.dataclass(frozen=True)
class Expect:
    """How the promotion ends, counted exactly."""

    phase: Phase
    prs: int  # every PR, each merged exactly once: one per change, and the revert
    reverts: int
    merges: int  # commits on main's first-parent line after the seed: exactly one merge per PR
    comments: int  # bot comments with the status marker on each PR (edited in place, never added)
    outcome: frozenset[str]  # the outcome labels on the last PR (and on no other), each once
    holds: int  # the version's holds in the store
    files: Mapping[str, str]  # exact bytes on main


def ids(rows: list[tuple[str, Any, Any]]) -> list[str]:
    return [row[0] for row in rows]


def drill(world: World, version: str, crashes: tuple[Crash, ...]) -> str:
    """Start ``version`` and crash it at each point in turn; its id (left where the last crash left it)."""
    promotion = world.start(version).id
    for crash in crashes:
        if crash.after is not None:
            drive_to(world, promotion, crash.after)
        if crash.fail:
            world.scenario(fail_images=[f"*:{version}"])
        world.restart()
        killed_after(world, crash.fault)
        world.restart()  # what follows reads the store as the restarted bot will
        current, position = world.promotion(promotion), world.at(promotion)
        assert (current.step, position.state) == crash.killed, (str(crash), current, position)
        assert not current.phase.finished, (str(crash), current)
        pulls = world.pulls()
        assert (len(pulls), sum(pr.merged for pr in pulls)) == (crash.prs, crash.merged), (str(crash), pulls)
    return promotion


def drive_to(world: World, promotion: str, item: int) -> None:
    """A restarted bot drives the promotion until a pass ends waiting at ``item`` (merged, or a gate's timer)."""
    world.restart()

    def there(current: Any, position: Position) -> bool:
        assert current.step <= item, f"went past item {item}: {current}"
        return current.step == item and position.state in (At.MERGED, At.SOAKING)

    reached = world.drive(promotion, until=there)
    assert not reached.phase.finished, f"finished before item {item}: {reached}"


def killed_after(world: World, fault: str) -> None:
    """The real daemon, armed: it must kill itself at the fault point (bounded)."""
    try:
        result = world.cli("run", "--config", str(world.config), fault=fault, timeout=40)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the bot never reached {fault}")
    assert result.returncode == -signal.SIGKILL, (fault, result.returncode, result.stderr[-2000:])


def finish(world: World, promotion: str) -> Any:
    world.restart()
    return world.drive(promotion, timeout=60)


def check_once(world: World, promotion: str, version: str, titles: tuple[tuple[int, str], ...], expect: Expect) -> None:
    """Everything the promotion did, counted: nothing duplicated, nothing lost."""
    done = world.promotion(promotion)
    assert done.phase is expect.phase, done.reason

    pulls = world.pulls()
    assert len(pulls) == expect.prs, [pr.title for pr in pulls]
    heads = collections.Counter(pr.head.ref for pr in pulls)
    assert all(count == 1 for count in heads.values()), heads
    reverts = [pr for pr in pulls if pr.head.ref.endswith("-revert")]
    assert len(reverts) == expect.reverts, [pr.title for pr in reverts]
    steps = [pr for pr in pulls if pr not in reverts]
    wanted = [f"promoter: app {version} to staging: {label}" for _, label in titles[: len(steps)]]
    assert [pr.title for pr in steps] == wanted
    assert all(pr.merged for pr in pulls), [(pr.number, pr.state) for pr in pulls]

    # One merge commit per PR on main, in order, nothing else.
    line = git(world.bare, "log", "--first-parent", "--reverse", "--format=%H %s", "main").splitlines()[1:]
    assert len(line) == expect.merges, line
    assert [sha for sha, _ in (entry.split(" ", 1) for entry in line)] == [pr.merge_commit_sha for pr in pulls]
    # One commit per change on any branch, whatever was pushed again; the revert: one per merged change.
    trailers = git(world.bare, "log", "--all", "--format=%(trailers:key=Promoter-Step,valueonly)").split()
    wanted_trailers = {f"0-{index}": 1 for index, _ in titles[: len(steps)]}
    if reverts:
        wanted_trailers["0-revert"] = len(steps)
    assert collections.Counter(trailers) == wanted_trailers, trailers
    assert [pr.commits for pr in reverts] == [len(steps)] * len(reverts)

    last = pulls[-1]
    failed_step = steps[-1] if expect.reverts else None
    for pr in pulls:
        comments = [(c.user.login, STATUS_MARKER in c.body) for c in pr.get_issue_comments()]
        assert comments == [(BOT, True)] * expect.comments, (pr.number, [c.body for c in pr.get_issue_comments()])
        names = collections.Counter(label.name for label in pr.labels)
        assert all(count == 1 for count in names.values()), (pr.number, names)
        assert {n for n in names if n in OUTCOMES} == (expect.outcome if pr is last else set()), (pr.number, names)
        if pr in steps:  # the step's merge commit tells how it went (a lost store is rebuilt from it)
            statuses = list(world.repo_as().get_commit(pr.merge_commit_sha).get_statuses())
            status = statuses[0]
            assert (status.context, status.state) == ("promoter", "failure" if pr is failed_step else "success")
            posted = collections.Counter((s.context, s.state, s.description) for s in statuses)
            assert all(count == 1 for count in posted.values()), (pr.number, posted)  # none posted twice

    # Each transition recorded once per item, whatever was retried; a PR opened for each change reached.
    events = world.rt.store.events("app", promotion)
    per_item = collections.Counter((e.kind.value, e.evidence.get("stage"), e.evidence.get("step")) for e in events)
    assert all(count == 1 for count in per_item.values()), per_item
    opened = [step for kind, _, step in per_item if kind == "step_pr_opened"]
    assert opened == [index for index, _ in titles[: len(steps)]], opened
    holds = [hold for hold in world.rt.store.holds("app") if hold.version == version]
    assert len(holds) == expect.holds, holds

    assert {path: world.main_file(path) for path in expect.files} == {p: t.encode() for p, t in expect.files.items()}
