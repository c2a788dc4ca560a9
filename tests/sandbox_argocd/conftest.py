"""Fixtures: an app-of-apps config repo in a real bare repo, the simulator on loopback, a clock to step.

One server runs for the whole session and each test plugs its own simulator into it (starting and stopping
uvicorn costs more than the tests themselves).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from promoter.adapters.argocd import ArgoCD
from promoter.sandbox.argocd import Credentials, ManualClock, Scenario, Simulator, create_app
from promoter.serving import Server
from tests.apispec import check_argocd
from tests.conftest import git

CREDENTIALS = Credentials("admin", "sandbox-password", "sandbox-token")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def application(name: str, path: str, namespace: str, revision: str = "main", labels: str = "{}") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
  labels: {labels}
spec:
  project: default
  source:
    repoURL: https://git.example.com/acme/config.git
    targetRevision: {revision}
    path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
  syncPolicy:
    automated:
      prune: true
"""


def deployment(image: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: {image}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
"""


APP_OF_APPS = {
    "bootstrap/root.yaml": application("root", "apps", "argocd", revision="HEAD"),
    "apps/staging.yaml": application("web-staging", "envs/staging", "web-staging", labels="{env: staging}"),
    "apps/prod.yaml": application("web-prod", "envs/prod", "web-prod", labels="{env: prod}"),
    "envs/staging/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
    "envs/prod/web.yaml": deployment("ghcr.io/acme/web:1.0.0"),
}

SCENARIO = Scenario(sync_seconds=1, settle_seconds=1, progressing_seconds=10, sync_interval_seconds=None)


class _Plug:
    """An ASGI app that forwards to whichever app the current test plugged in."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no simulator plugged in"
        await self.app(scope, receive, send)


def serve(app: ASGIApp) -> Server:
    """A started server for ``app`` on loopback."""
    return Server(app).start()


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[Server, _Plug]]:
    socket_plug = _Plug()
    server = serve(socket_plug)
    yield server, socket_plug
    server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config_repo(make_bare_repo: Callable[[dict[str, str]], Path]) -> Path:
    return make_bare_repo(APP_OF_APPS)


@pytest.fixture
def simulator(config_repo: Path, clock: ManualClock) -> Simulator:
    return Simulator(config_repo, scenario=SCENARIO, clock=clock)


@pytest.fixture
def plug(_server: tuple[Server, _Plug]) -> Iterator[Callable[[Simulator], str]]:
    """Serve a simulator on the session's server (until the test ends); return the server's URL."""
    server, socket_plug = _server

    def plug_in(simulator: Simulator) -> str:
        socket_plug.app = create_app(simulator, CREDENTIALS)
        return server.url

    yield plug_in
    socket_plug.app = None


@pytest.fixture
def url(plug: Callable[[Simulator], str], simulator: Simulator) -> str:
    return plug(simulator)


@dataclasses.dataclass(frozen=True)
class _Clients:
    http: httpx.Client
    anonymous: httpx.Client
    argocd: ArgoCD


@pytest.fixture(scope="session")
def _clients(_server: tuple[Server, _Plug]) -> Iterator[_Clients]:
    """HTTP clients for the whole session: building one (its TLS context) costs more than a test."""
    url = _server[0].url
    headers = {"Authorization": f"Bearer {CREDENTIALS.token}"}
    with (
        httpx.Client(base_url=url, headers=headers, timeout=10) as http,
        httpx.Client(base_url=url, timeout=10) as anonymous,
        ArgoCD(url, CREDENTIALS.token, 5) as argocd,
    ):
        yield _Clients(http, anonymous, argocd)


@pytest.fixture
def http(url: str, _clients: _Clients) -> httpx.Client:
    """Raw HTTP to the simulator (with the token), for checking responses against the API description."""
    return _clients.http


@pytest.fixture
def anonymous(url: str, _clients: _Clients) -> httpx.Client:
    """Raw HTTP without a token."""
    return _clients.anonymous


@pytest.fixture
def argocd(url: str, _clients: _Clients) -> ArgoCD:
    """promoter's client, talking to this test's simulator."""
    return _clients.argocd


@dataclasses.dataclass(frozen=True)
class Served:
    simulator: Simulator
    push: Callable[..., str]


ServeRepo = Callable[[dict[str, str], Scenario], Served]


@pytest.fixture
def serve_repo(
    make_bare_repo: Callable[[dict[str, str]], Path],
    fast_tmp: Path,
    clock: ManualClock,
    plug: Callable[[Simulator], str],
    http: httpx.Client,
) -> ServeRepo:
    """Serve a simulator following a new repo holding ``files``, deployed and settled already."""

    def start(files: dict[str, str], scenario: Scenario) -> Served:
        bare = make_bare_repo(files)
        simulator = Simulator(bare, scenario=scenario, clock=clock)
        plug(simulator)
        return Served(simulator, pusher(bare, fast_tmp / f"clone-of-{bare.name}"))

    return start


@pytest.fixture
def push(config_repo: Path, fast_tmp: Path) -> Callable[..., str]:
    """Commit files (path -> text; None deletes) to a branch of the config repo from a clone; return the sha."""
    return pusher(config_repo, fast_tmp / "clone")


def pusher(repo: Path, work: Path) -> Callable[..., str]:
    """``push`` for any bare repo, through a clone made in ``work`` at the first commit."""

    def commit(files: dict[str, str | None], message: str = "change", branch: str = "main") -> str:
        if not work.exists():
            git(work.parent, "clone", "-q", str(repo), str(work))
        git(work, "checkout", "-q", "-B", branch, f"origin/{branch}" if _has_branch(work, branch) else "HEAD")
        for name, text in files.items():
            target = work / name
            if text is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", message)
        git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(work, "rev-parse", "HEAD")

    return commit


def _has_branch(work: Path, branch: str) -> bool:
    git(work, "fetch", "-q", "origin")
    return bool(git(work, "branch", "-r", "--list", f"origin/{branch}"))


def root_synced(http: httpx.Client, clock: ManualClock) -> None:
    """The app-of-apps root syncs what was pushed (refreshed, it auto-syncs): its children are what it applied
    from then on, as in Argo CD, where a child Application is what its parent last synced."""
    checked(http.get("/api/v1/applications/root", params={"refresh": "normal"}))
    clock.advance(SCENARIO.sync_seconds + 0.5)
    root = checked(http.get("/api/v1/applications/root"))
    assert root["status"]["operationState"]["phase"] == "Succeeded", root["status"].get("operationState")


def checked(response: httpx.Response) -> Any:
    """The response's JSON, after checking it against Argo CD's API description."""
    body = response.json()
    check_argocd(response.request.method, response.request.url.path, response.status_code, body)
    return body
