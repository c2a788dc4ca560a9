"""GitHub REST calls that count against the bot's hourly budget, in real promotions on the GitHub sandbox and
the Argo CD simulator (loopback). Targets (DESIGN.md §13): an idle pipeline costs ~0 counted requests
(conditional requests answered 304 are free); a 5-step canary <= 40 REST calls.

Figures:

- a two-stage rolling promotion of a good version: counted calls per step and in total;
- 100 idle reconcile passes after it finished;
- 20 passes while the prod step waits for an approval (conditional: ~0 after the first).

The sandbox counts as GitHub does (every authenticated request except ``GET /rate_limit`` and 304s); the
figures are the bot's own (``promoter-bot``), read from the sandbox's accounting. Each call of the real
forge adapter is charged to the step it concerns (by its branch, PR number or commit); nothing is replaced.
:func:`promote` takes any :class:`World` and version, so a canary pipeline only needs its own world.

Run: .venv/bin/python -m tests.perf.bench_rest
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promoter import logs
from promoter.core.model import Phase, Promotion
from promoter.core.pullrequest import PullRequest
from promoter.engine.reconcile import reconcile_all
from tests.e2e import test_canary
from tests.e2e.world import World

BOT = "promoter-bot"
_STEP = re.compile(r"/(\d+)-(\d+|revert)(-revert)?$")  # the tail of promoter's branch names


@dataclasses.dataclass(frozen=True)
class Spent:
    """The bot's requests: all it sent, and those counted against its budget."""

    requests: int = 0
    counted: int = 0

    def __add__(self, other: Spent) -> Spent:
        return Spent(self.requests + other.requests, self.counted + other.counted)

    def __sub__(self, other: Spent) -> Spent:
        return Spent(self.requests - other.requests, self.counted - other.counted)

    def __str__(self) -> str:
        return f"{self.counted:4d} counted  ({self.requests - self.counted} free of {self.requests} sent)"


def spent(world: World) -> Spent:
    stats = world.stack.github.forge.accounting.stats()
    return Spent(stats["by_user"].get(BOT, 0), stats["rate_limits"].get(BOT, {}).get("used", 0))


def routes(world: World) -> collections.Counter[str]:
    return collections.Counter(world.stack.github.forge.accounting.stats()["by_route"])


class Charges:
    """Wraps the runtime's forge so that each call's cost is charged to the step it concerns."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.per_step: dict[str, Spent] = {}
        self._stages = [stage.name for stage in next(iter(world.rt.pipelines.values())).stages]
        self._by_number: dict[int, str] = {}
        self._by_sha: dict[str, str] = {}
        self._last = "outside any step"
        self._depth = 0  # the adapter calls its own methods (open_pr finds first): charge the outer call
        forge = world.rt.forge
        for name in ("find_pr", "open_pr", "marked_prs", "approvals", "merge", "upsert_comment", "add_labels"):
            setattr(forge, name, self._wrap(getattr(forge, name)))
        for name in ("set_status", "commit_status"):
            setattr(forge, name, self._wrap(getattr(forge, name), by_sha=True))

    def _label(self, branch: str) -> str:
        match = _STEP.search(branch)
        if match is None:
            return self._last
        stage, step, revert = match.groups()
        name = self._stages[int(stage)]
        return f"{name} revert" if step == "revert" or revert else f"{name} step {step}"

    def _wrap(self, method: Callable[..., Any], *, by_sha: bool = False) -> Callable[..., Any]:
        @functools.wraps(method)
        def charged(*args: Any, **kwargs: Any) -> Any:
            first = args[0] if args else None
            if isinstance(first, str) and not by_sha:
                label = self._label(first)
            elif isinstance(first, str):
                label = self._by_sha.get(first, self._last)
            elif isinstance(first, int):
                label = self._by_number.get(first, self._last)
            else:
                label = self._last
            before = spent(self.world)
            self._depth += 1
            try:
                result = method(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:
                    self.per_step[label] = self.per_step.get(label, Spent()) + (spent(self.world) - before)
            if isinstance(result, PullRequest):
                self._by_number[result.number] = self._by_sha[result.head_sha] = label
            self._last = label
            return result

        return charged


@dataclasses.dataclass
class Run:
    promotion: Promotion
    per_step: dict[str, Spent]
    total: Spent
    by_route: collections.Counter[str]
    passes: int


def promote(
    world: World,
    version: str,
    *,
    pause: Callable[[Promotion], bool] | None = None,
    while_paused: Callable[[Promotion], None] | None = None,
    timeout: float = 60.0,
) -> Run:
    """Drive a promotion of ``version`` to its end, pass by pass, noting what each step costs.

    When ``pause(promotion)`` first holds, ``while_paused`` runs before driving on; what it spends is
    not charged to the promotion.
    """
    charges = Charges(world)
    promotion = world.start(version)
    total, by_route = Spent(), collections.Counter[str]()
    paused, count = False, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before, before_routes = spent(world), routes(world)
        reconcile_all(world.rt)
        total += spent(world) - before
        by_route.update(routes(world) - before_routes)
        count += 1
        current = world.promotion(promotion.id)
        if current.phase.finished:
            return Run(current, dict(charges.per_step), total, by_route, count)
        if not paused and pause is not None and pause(current):
            paused = True
            if while_paused is not None:
                frozen = dict(charges.per_step)
                while_paused(current)
                charges.per_step = frozen
        time.sleep(0.05)
    raise AssertionError(f"{promotion.id} did not finish in {timeout}s: {world.promotion(promotion.id)}")


def passes(world: World, count: int) -> list[Spent]:
    """What each of ``count`` reconcile passes costs."""
    costs = []
    for _ in range(count):
        before = spent(world)
        reconcile_all(world.rt)
        costs.append(spent(world) - before)
    return costs


def _open_pr(world: World) -> int:
    """The newest open PR (read as alice: her requests are not the bot's)."""
    return max(pr.number for pr in world.pulls() if pr.state == "open")


CANARY_STEPS = """\
          - setWeight: 20
          - pause: {duration: 1s}
          - setWeight: 40
          - setWeight: 60
          - setWeight: 80
"""


def canary_world(root: Path) -> World:
    """A one-stage canary on Istio weights with 5 steps (4 weights and a pause), as in the end-to-end tests."""
    fmt = test_canary.FORMATS["istio"]
    pipeline = test_canary.PIPELINE.replace("ROUTING", fmt.routing)
    steps = pipeline[pipeline.index("        steps:\n") + len("        steps:\n") : pipeline.index("    soak:")]
    files: dict[str, str | None] = {
        "envs/staging/deployment.yaml": test_canary.STABLE,
        "envs/staging/canary.yaml": test_canary.CANARY,
        "envs/staging/services.yaml": test_canary.SERVICES,
        test_canary.ROUTE_FILE: fmt.file,
        "apps/app-prod.yaml": None,
        "envs/prod/deployment.yaml": None,
    }
    return World(root, files=files, pipeline=pipeline.replace(steps, CANARY_STEPS))


def run(idle_passes: int = 100, waiting_passes: int = 20) -> dict[str, float]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    waiting: list[Spent] = []
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        world = canary_world(Path(tmp) / "canary")
        try:
            canary = promote(world, "2.0.0")
            assert canary.promotion.phase is Phase.SUCCEEDED, canary.promotion
        finally:
            world.close()
        world = World(Path(tmp) / "rolling")
        try:
            rolling = promote(world, "2.0.0")
            assert rolling.promotion.phase is Phase.SUCCEEDED, rolling.promotion
            idle = passes(world, idle_passes)
        finally:
            world.close()
        world = World(Path(tmp) / "approval", approvals=1)
        try:

            def waits(promotion: Promotion) -> bool:
                return promotion.stage == 1 and "approval" in promotion.reason

            def approve_later(promotion: Promotion) -> None:
                waiting.extend(passes(world, waiting_passes))
                world.repo_as("alice").get_pull(_open_pr(world)).create_review(event="APPROVE")

            approved = promote(world, "2.1.0", pause=waits, while_paused=approve_later)
            assert approved.promotion.phase is Phase.SUCCEEDED, approved.promotion
            assert waiting, "the promotion never waited for its approval"
        finally:
            world.close()

    idle_total, wait_total, later = sum(idle, Spent()), sum(waiting, Spent()), sum(waiting[1:], Spent())
    print("GitHub REST calls of the bot, on the GitHub sandbox and the Argo CD simulator (loopback)")
    print(f"a two-stage rolling promotion of a good version ({rolling.passes} passes):")
    for label, cost in rolling.per_step.items():
        print(f"  {label:<20} {cost}")
    print(f"  {'total':<20} {rolling.total}")
    print("  by route (all requests, counted or not):")
    for route, count in sorted(rolling.by_route.items(), key=lambda item: (-item[1], item[0])):
        print(f"    {count:4d}  {route}")
    print(f"{idle_passes} idle passes after it finished:   {idle_total}")
    print(f"{waiting_passes} passes while prod waits for an approval:   {wait_total}")
    print(f"  the first: {waiting[0]};  the {len(waiting) - 1} after it: {later}")
    print(f"that promotion, its waiting passes not counted: {approved.total}")
    for label, cost in approved.per_step.items():
        print(f"  {label:<20} {cost}")
    changes = len(canary.per_step)
    print(f"a 5-step canary on Istio weights ({changes} PRs, {canary.passes} passes; target <= 40 counted):")
    for label, cost in canary.per_step.items():
        print(f"  {label:<20} {cost}")
    print(f"  {'total':<20} {canary.total}")
    print("  by route (all requests, counted or not):")
    for route, count in sorted(canary.by_route.items(), key=lambda item: (-item[1], item[0])):
        print(f"    {count:4d}  {route}")
    return {
        "canary_total": canary.total.counted,
        "rolling_total": rolling.total.counted,
        "rolling_step_max": max((cost.counted for cost in rolling.per_step.values()), default=0),
        "idle": idle_total.counted,
        "waiting": wait_total.counted,
        "waiting_after_first": later.counted,
        "passes": rolling.passes,
    }


if __name__ == "__main__":
    logs.configure(os.environ.get("PROMOTER_LOG_LEVEL", "warning"))
    run()
