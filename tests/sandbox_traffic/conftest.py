"""Fixtures: the real stack (GitHub sandbox, Argo CD simulator, traffic simulator, optionally Prometheus)
around the end-to-end tests' Istio canary, and a person pushing a commit to its config repo."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promoter.sandbox import prometheus, stack
from promoter.sandbox.argocd import Scenario
from tests.conftest import git
from tests.e2e import crashes
from tests.e2e.world import REPO_FILES

MISSING_PROMETHEUS = "Prometheus is not installed (the Debian package 'prometheus': ./scripts/system-packages)"
# Quick syncs (the simulator's automated sync every second) so a commit is deployed within about 2 s.
FAST = Scenario(progressing_seconds=0.3, sync_seconds=0.1, settle_seconds=0.1, sync_interval_seconds=1)
ROUTE = "envs/staging/route.yaml"
CANARY = "envs/staging/canary.yaml"
CANARY_FILES = {"apps/app-staging.yaml": REPO_FILES["apps/app-staging.yaml"], **crashes.CANARY_FILES}

MakeStack = Callable[..., stack.Stack]


def weights(stable: int, canary: int) -> str:
    """The end-to-end VirtualService with these weights (it is written 100/0)."""
    return crashes.VIRTUAL_SERVICE.replace("weight: 100", f"weight: {stable}").replace("weight: 0", f"weight: {canary}")


def canary_pods(count: int, version: str) -> str:
    return crashes.CANARY.replace("replicas: 0", f"replicas: {count}").replace("app:1.0.0", f"app:{version}")


@pytest.fixture
def make_stack(make_bare_repo: Callable[[dict[str, str]], Path], fast_tmp: Path) -> Iterator[MakeStack]:
    """A started stack around the canary repo, ``files`` changed; stopped after the test."""
    started: list[stack.Stack] = []

    def make(files: dict[str, str] | None = None, scenario: Scenario = FAST, **options: object) -> stack.Stack:
        bare = make_bare_repo({**CANARY_FILES, **(files or {})})
        running = stack.Stack(bare, scenario=scenario, workdir=fast_tmp / f"stack-{len(started)}", **options)  # type: ignore[arg-type]
        started.append(running.start())
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def push(fast_tmp: Path) -> Callable[[Path, dict[str, str]], None]:
    """Commit files to ``main`` of a bare repository, as a person would."""
    counter = iter(range(1_000_000))

    def commit(bare: Path, files: dict[str, str]) -> None:
        work = fast_tmp / f"clone-{next(counter)}"
        git(fast_tmp, "clone", "-q", str(bare), str(work))
        for name, text in files.items():
            (work / name).write_text(text)
        git(work, "commit", "-qam", "change the traffic")
        git(work, "push", "-q", "origin", "HEAD:main")

    return commit


@pytest.fixture
def needs_prometheus() -> None:
    """Skip without Prometheus, with one reason; under CI (which installs it) its absence is an error."""
    if not prometheus.installed():
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING_PROMETHEUS} (CI is set: an error there, not a skip)")
        pytest.skip(MISSING_PROMETHEUS)
