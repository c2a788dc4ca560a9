"""A whole world on loopback for end-to-end tests: a config repo in a bare git repository, the GitHub
sandbox and the Argo CD simulator around it, and a promoter config directory pointing at them."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github

from promoter.cli import wiring
from promoter.config import loading
from promoter.core.model import Promotion
from promoter.core.runs import ChangeRun, GateRun, GateState, Run, StageRun, StageState
from promoter.engine.reconcile import reconcile_all
from promoter.engine.runtime import Runtime
from promoter.sandbox import stack
from promoter.sandbox.argocd import Scenario
from promoter.sandbox.traffic import Options
from tests.conftest import git

REPO_FILES = {
    "apps/app-staging.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-staging
spec:
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: envs/staging
  destination:
    server: https://kubernetes.default.svc
    namespace: staging
""",
    "apps/app-prod.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-prod
spec:
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: envs/prod
  destination:
    server: https://kubernetes.default.svc
    namespace: prod
""",
    "envs/staging/deployment.yaml": """\
# staging
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0   # promoted
""",
    "envs/prod/deployment.yaml": """\
# prod\r
apiVersion: apps/v1\r
kind: Deployment\r
metadata:\r
  name: app\r
spec:\r
  replicas: 3\r
  template:\r
    spec:\r
      containers:\r
        - name: app\r
          image: ghcr.io/acme/app:1.0.0\r
""",
}

SETTINGS = """\
forge:
  repository: acme/gitops-config
  token: {env: PROMOTER_GITHUB_TOKEN}
  bot_login: promoter-bot
argocd:
  url: http://127.0.0.1:9
  token: {env: PROMOTER_ARGOCD_TOKEN}
  timeout: 5s
store:
  url: sqlite:///promoter.db
state_dir: STATE
reconcile_interval: 500ms
"""

PIPELINE = """\
name: app
stages:
  - name: staging
    applications: [app-staging]
    targets:
      - {file: envs/staging/deployment.yaml, image: ghcr.io/acme/app, container: app}
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
  - name: prod
    applications: [app-prod]
    targets:
      - {file: envs/prod/deployment.yaml, image: ghcr.io/acme/app}
    soak: SOAK
    deadline: DEADLINE
    debounce: 200ms
    merge: {approvals: APPROVALS}
"""

FAST = Scenario(
    fail_images=("*:*-bad*",), progressing_seconds=0.3, sync_seconds=0.1, settle_seconds=0.1, sync_interval_seconds=1
)


def person_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "GIT_AUTHOR_NAME": "A Person",
        "GIT_AUTHOR_EMAIL": "p@example.com",
        "GIT_COMMITTER_NAME": "A Person",
        "GIT_COMMITTER_EMAIL": "p@example.com",
    }


class At(enum.Enum):
    """Where a promotion stands, as the end-to-end tests wait for it."""

    PLANNED = "Planned"
    OPEN = "Open"
    MERGED = "Merged"
    DONE = "Done"
    SOAKING = "Soaking"  # a gate of the stage waits (a pause, the soak)
    PASSED = "Passed"
    REVERTING = "Reverting"
    REVERTED = "Reverted"
    STUCK = "Stuck"


@dataclasses.dataclass(frozen=True)
class Position:
    """The current item of a promotion and its stage's record, for tests to look at."""

    state: At
    run: Run | None
    stage: StageRun | None

    @property
    def pr_number(self) -> int | None:
        return self.run.pr_number if isinstance(self.run, ChangeRun) else None

    @property
    def blocked(self) -> str | None:
        return self.run.blocked if self.run is not None else None

    @property
    def revert_pr_number(self) -> int | None:
        return self.stage.revert_pr_number if self.stage is not None else None

    @property
    def unverified(self) -> bool:
        """A gate of the stage lost its verification and waits for it again."""
        return isinstance(self.run, GateRun) and self.run.unverified_since is not None


@dataclasses.dataclass(frozen=True)
class _Stopped:
    """A clock that stands at one moment."""

    moment: dt.datetime

    def now(self) -> dt.datetime:
        return self.moment


class World:
    def __init__(
        self,
        root: Path,
        *,
        approvals: int = 0,
        deadline: str = "20s",
        soak: str = "0s",
        interval: str = "500ms",
        scenario: Scenario = FAST,
        files: dict[str, str | None] | None = None,
        pipeline: str = PIPELINE,
        analysis: dict[str, str] | None = None,
        traffic: Options | None = None,
        settings: str = "",
    ) -> None:
        """``files`` adds to (or, with None, removes from) the config repo's files; ``pipeline`` is the pipeline
        file, with APPROVALS, DEADLINE and SOAK filled in. ``analysis``: template files for the config
        directory's ``analysis/`` (PROMETHEUS in them is the real Prometheus' URL, started for them, scraping
        the traffic simulator); ``settings`` is added to promoter.yaml."""
        self.root = root
        source = root / "source"
        repo_files = {**REPO_FILES, **(files or {})}
        for name, text in repo_files.items():
            if text is None:
                continue
            path = source / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode())
        self.bare = stack.seed(source, root)
        self.stack = stack.Stack(
            self.bare, scenario=scenario, traffic=traffic, prometheus=analysis is not None, workdir=root / "prometheus"
        ).start()
        self.config = root / "config"
        (self.config / "pipelines").mkdir(parents=True)
        self.state = root / "state"
        config_settings = SETTINGS.replace("STATE", str(self.state)).replace(
            "reconcile_interval: 500ms", f"reconcile_interval: {interval}"
        )
        if self.stack.prometheus is not None:
            settings = settings.replace("PROMETHEUS", self.stack.prometheus.url)
        (self.config / "promoter.yaml").write_text(config_settings + settings)
        if analysis is not None:
            assert self.stack.prometheus is not None
            (self.config / "analysis").mkdir()
            for name, text in analysis.items():
                (self.config / "analysis" / name).write_text(text.replace("PROMETHEUS", self.stack.prometheus.url))
        filled = pipeline.replace("APPROVALS", str(approvals)).replace("DEADLINE", deadline).replace("SOAK", soak)
        (self.config / "pipelines" / "app.yaml").write_text(filled)
        self.env = {**os.environ, **self.stack.environment(), "PROMOTER_LOG_LEVEL": "warning"}
        self._runtime: Runtime | None = None

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        self.stack.stop()

    # the bot, in process and as a command ---------------------------------------------------------

    @property
    def rt(self) -> Runtime:
        if self._runtime is None:
            self._runtime = wiring.runtime(loading.load(self.config, wiring.repo_templates(self.env)), self.env)
        return self._runtime

    def restart(self) -> None:
        """Forget the runtime, as a restarted bot would: only the store, the clone and the forge remain."""
        if self._runtime is not None:
            self._runtime.close()
        self._runtime = None

    def lose_store(self) -> None:
        """What a new CI workspace, a lost volume or a copied config directory does: the state directory
        (the store and the clone) is gone. The forge and the config repo remain."""
        self.restart()
        shutil.rmtree(self.state)

    def scenario(self, **changes: Any) -> None:
        """Change what the Argo CD simulator does from now on (a scripted bad moment)."""
        self.stack.simulator.set_scenario(changes)

    def start(self, version: str) -> Promotion:
        return self.rt.store.create_promotion("app", version, self.rt.clock.now())

    def promotion(self, promotion_id: str) -> Promotion:
        found = self.rt.store.promotion(promotion_id, "app")
        assert found is not None
        return found

    def at(self, promotion_id: str) -> Position:
        """Where the promotion stands: its current item's run and its stage's record."""
        current = self.promotion(promotion_id)
        stage = self.rt.store.stage_run("app", current.id, current.stage)
        run = next(
            (r for r in self.rt.store.runs("app", current.id, current.stage) if r.key.item == current.step), None
        )
        if stage is not None and stage.state is not StageState.RUNNING:
            return Position(At(stage.state.value), run, stage)
        if isinstance(run, GateRun):
            return Position(At.SOAKING if run.state is GateState.WAITING else At.PASSED, run, stage)
        return Position(At(run.state.value) if run is not None else At.PLANNED, run, stage)

    def drive(self, promotion_id: str, *, until: Any = None, timeout: float = 30.0) -> Promotion:
        """Reconcile until the promotion finishes (or ``until(promotion, position)`` holds); bounded.

        With ``until``, time stands still within each pass: a pass can then never both start and end a wait
        (a debounce, a pause), so on a slow machine it cannot run through the point a test means to stop at."""
        deadline = time.monotonic() + timeout
        real = self.rt.clock
        try:
            while time.monotonic() < deadline:
                if until is not None:
                    self.rt.clock = _Stopped(real.now())
                reconcile_all(self.rt)
                current = self.promotion(promotion_id)
                if current.phase.finished or (until is not None and until(current, self.at(promotion_id))):
                    return current
                time.sleep(0.1)
        finally:
            self.rt.clock = real
        raise AssertionError(f"{promotion_id} did not get there in {timeout}s: {self.promotion(promotion_id)}")

    @contextlib.contextmanager
    def daemon(self, **env: str) -> Iterator[subprocess.Popen[bytes]]:
        """``promoter run`` as a process of its own, stopped (SIGTERM) at the end of the block."""
        process = subprocess.Popen(
            [sys.executable, "-m", "promoter", "run", "--config", str(self.config)],
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            if process.stderr is not None and not process.stderr.closed:  # not read to its end by the test
                process.communicate(timeout=30)

    def finished(self, promotion_id: str, timeout: float) -> Promotion:
        """The promotion once it has finished (someone else drives it: a daemon), or as it stands at ``timeout``."""
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up and not self.promotion(promotion_id).phase.finished:
            time.sleep(0.2)
        return self.promotion(promotion_id)

    def cli(
        self, *args: str, fault: str | None = None, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(env or {})}
        if fault:
            env["PROMOTER_FAULT_AFTER"] = fault
        return subprocess.run(
            [sys.executable, "-m", "promoter", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # looking at the world ------------------------------------------------------------------------

    def github_as(self, login: str) -> github.Github:
        return github.Github(
            base_url=self.stack.github.url,
            auth=github.Auth.Token(self.stack.github.token(login)),
            seconds_between_requests=None,
            seconds_between_writes=None,
            retry=None,
        )

    def repo_as(self, login: str = "alice") -> Any:
        return self.github_as(login).get_repo("acme/gitops-config")

    def pulls(self) -> list[Any]:
        return list(self.repo_as().get_pulls(state="all", sort="created", direction="asc"))

    def main_file(self, path: str) -> bytes:
        return subprocess.run(["git", "show", f"main:{path}"], cwd=self.bare, capture_output=True, check=True).stdout

    def main_log(self) -> list[str]:
        return git(self.bare, "log", "--format=%H %s", "main").splitlines()

    def person_commit(self, branch: str, path: str, text: bytes, message: str) -> str:
        work = self.root / f"person-{time.monotonic_ns()}"
        env = person_env(self.root)
        subprocess.run(
            ["git", "clone", "-q", "-b", branch, str(self.bare), str(work)], check=True, env=env, capture_output=True
        )
        (work / path).write_bytes(text)
        subprocess.run(["git", "commit", "-qam", message], cwd=work, check=True, env=env, capture_output=True)
        subprocess.run(["git", "push", "-q", "origin", branch], cwd=work, check=True, env=env, capture_output=True)
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True, text=True
        ).stdout.strip()
