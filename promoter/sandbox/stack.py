"""The GitHub sandbox and the Argo CD simulator around one config repository (``promoter sandbox up``).

Beside them, the traffic simulator serves Istio's request metrics for what the Argo CD simulator deployed
(cheap: it computes only when scraped); with ``prometheus=True`` a real Prometheus scrapes it every second
and the bot's analyses can query it (``PROMOTER_PROMETHEUS_URL``).

The repository is copied into a bare repo: a directory that is a git checkout is cloned (its committed
history), any other directory is committed as one initial commit. Nothing of the source is modified.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType

from promoter import serving
from promoter.sandbox import prometheus as prometheus_server
from promoter.sandbox.argocd import Credentials, Scenario, Simulator, create_app
from promoter.sandbox.github.accounts import User
from promoter.sandbox.github.sandbox import GitHubSandbox
from promoter.sandbox.traffic import Options, TrafficSimulator

BOT = "promoter-bot"
_WARM_UP = 3  # scrapes held before the stack counts as started
SCRAPE_INTERVAL = dt.timedelta(seconds=1)  # Prometheus' look at the traffic: a rate over 5 s has 5 points
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "sandbox",
    "GIT_AUTHOR_EMAIL": "sandbox@localhost",
    "GIT_COMMITTER_NAME": "sandbox",
    "GIT_COMMITTER_EMAIL": "sandbox@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **_GIT_ENV}, check=True, capture_output=True, timeout=120
    )


def seed(source: Path, work: Path, branch: str = "main") -> Path:
    """A bare repository at ``work/origin.git`` holding ``source``; returns its path."""
    bare = work / "origin.git"
    if (source / ".git").exists():
        _git(work, "clone", "--quiet", "--bare", str(source.resolve()), str(bare))
        return bare
    seed_dir = work / "seed"
    shutil.copytree(source, seed_dir, ignore=shutil.ignore_patterns(".git"))
    _git(seed_dir, "init", "--quiet", "-b", branch)
    _git(seed_dir, "add", "-A")
    _git(seed_dir, "commit", "--quiet", "-m", "initial config")
    _git(work, "clone", "--quiet", "--bare", str(seed_dir), str(bare))
    shutil.rmtree(seed_dir)
    return bare


class Stack:
    """The stand-ins, started and stopped together.

    ``prometheus``: also start a real Prometheus scraping the traffic simulator (``RuntimeError`` at
    :meth:`start` when it is not installed: see :func:`promoter.sandbox.prometheus.installed`), its files
    under ``workdir`` (default: a temporary directory, removed at :meth:`stop`). ``traffic`` are the traffic
    simulator's options.
    """

    def __init__(
        self,
        bare: Path,
        repository: str = "acme/gitops-config",
        scenario: Scenario | None = None,
        *,
        traffic: Options | None = None,
        prometheus: bool = False,
        workdir: Path | None = None,
    ) -> None:
        self.bare = bare
        self.repository = repository
        self.github = GitHubSandbox(bare, repository)
        self.credentials = Credentials.generate()
        self.simulator = Simulator(bare, scenario=scenario)
        self._argocd = serving.Server(create_app(self.simulator, self.credentials))
        self.traffic = TrafficSimulator(self.simulator, options=traffic)
        self.prometheus: prometheus_server.PrometheusServer | None = None
        self._want_prometheus = prometheus
        self._workdir = workdir
        self._temporary: Path | None = None

    def start(self) -> Stack:
        try:
            self.github.start()
            self._argocd.start()
            self.traffic.start()
            if self._want_prometheus:
                self._start_prometheus()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_prometheus(self) -> None:
        if not prometheus_server.installed():
            raise RuntimeError("Prometheus is not installed (the Debian package 'prometheus': scripts/system-packages)")
        workdir = self._workdir
        if workdir is None:
            workdir = self._temporary = Path(tempfile.mkdtemp(prefix="promoter-prometheus-"))
        self.prometheus = prometheus_server.PrometheusServer(
            workdir / "prometheus", scrape=[self.traffic.target], scrape_interval=SCRAPE_INTERVAL
        )
        self.prometheus.start()
        self._first_scrapes(self.prometheus.url)

    def _first_scrapes(self, url: str, timeout: float = 30.0) -> None:
        """Wait (bounded) until Prometheus holds a few scrapes of the traffic simulator: Prometheus 2.42 scrapes
        a new target only some seconds after it starts, and an analysis that starts at once would read nothing."""
        query = urllib.parse.urlencode({"query": f'count_over_time(up{{job="traffic"}}[{_WARM_UP}s]) >= {_WARM_UP}'})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                # the stack's own loopback Prometheus (http): no user-given URL
                with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=2) as answer:  # noqa: S310
                    if json.load(answer)["data"]["result"]:
                        return
            except (OSError, ValueError, KeyError):
                pass  # not serving yet
            time.sleep(0.25)
        raise RuntimeError(f"Prometheus at {url} did not scrape the traffic simulator within {timeout:.0f}s")

    def stop(self) -> None:
        """Stop whatever runs (each stop is harmless on what never started)."""
        if self.prometheus is not None:
            self.prometheus.stop()
            self.prometheus = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
        self.traffic.stop()
        self._argocd.stop()
        self.github.stop()

    @property
    def argocd_url(self) -> str:
        return self._argocd.url

    @property
    def prometheus_url(self) -> str | None:
        """The Prometheus that scrapes the traffic simulator, while it runs."""
        return self.prometheus.url if self.prometheus is not None and self.prometheus.running else None

    def environment(self) -> dict[str, str]:
        """What ``promoter run`` needs to talk to this stack instead of GitHub, Argo CD (and Prometheus)."""
        prometheus = {"PROMOTER_PROMETHEUS_URL": self.prometheus_url} if self.prometheus_url else {}
        return {
            "PROMOTER_GITHUB_URL": self.github.url,
            "PROMOTER_GITHUB_TOKEN": self.github.token(BOT),
            "PROMOTER_REPOSITORY": self.repository,
            "PROMOTER_CLONE_URL": self.bare.resolve().as_uri(),
            "PROMOTER_ARGOCD_URL": self.argocd_url,
            "PROMOTER_ARGOCD_TOKEN": self.credentials.token,
            **prometheus,
        }

    def people(self) -> tuple[User, ...]:
        """The GitHub sandbox's users other than the bot (who approve and comment), each with a token."""
        return tuple(user for user in self.github.forge.accounts if user.login != BOT)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
