"""Fixtures: a bare config repository, the sandbox serving it, a clone to push from, and clients.

One loopback server serves the whole session and hands each request to the current test's sandbox:
stopping uvicorn takes ~0.2 s, which per test would cost more than the tests themselves. A sandbox keeps
no per-server state (its links follow each request's host), so this is the same as serving it alone;
``test_rules.test_a_sandbox_serves_itself`` covers ``GitHubSandbox.start``/``stop`` proper.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import github
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from promoter import serving
from promoter.sandbox.github.sandbox import GitHubSandbox
from tests.conftest import git
from tests.sandbox_github.client import Api


class Switchboard:
    """An ASGI app that forwards every request to the app currently plugged in."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None
        self.url = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no sandbox is plugged in"
        await self.app(scope, receive, send)

    @contextlib.contextmanager
    def plugged(self, sandbox: GitHubSandbox) -> Iterator[Served]:
        self.app = sandbox.app
        try:
            yield Served(sandbox, self.url)
        finally:
            self.app = None


@dataclasses.dataclass
class Served:
    """A sandbox and the URL it is served at, with the sandbox's conveniences."""

    sandbox: GitHubSandbox
    url: str

    def token(self, login: str) -> str:
        return self.sandbox.token(login)

    def stats(self) -> dict[str, Any]:
        return self.sandbox.stats()


@pytest.fixture(scope="session")
def switchboard() -> Iterator[Switchboard]:
    board = Switchboard()
    server = serving.Server(board).start()
    board.url = server.url
    yield board
    server.stop()


FILES = {
    "apps/web/values.yaml": "image:\n  tag: 1.0.0\nreplicas: 2\n",
    "apps/api/values.yaml": "image:\n  tag: 2.0.0\n",
    "README.md": "# config\n",
}


@pytest.fixture
def origin(make_bare_repo: Callable[[dict[str, str]], Path]) -> Path:
    return make_bare_repo(FILES)


@pytest.fixture
def sandbox(origin: Path, switchboard: Switchboard) -> Iterator[Served]:
    with switchboard.plugged(GitHubSandbox(origin, "acme/config")) as served:
        yield served


@pytest.fixture
def checkout(origin: Path, fast_tmp: Path) -> Path:
    """A clone of the bare repository, from which tests push branches as the bot does."""
    target = fast_tmp / "checkout"
    git(fast_tmp, "clone", "-q", str(origin), str(target))
    return target


def push(checkout: Path, branch: str, files: dict[str, str], message: str = "change", base: str = "main") -> str:
    """Commit ``files`` on ``branch`` (from ``origin/<base>`` when new) and push it; the new head."""
    git(checkout, "fetch", "-q", "origin")
    existing = git(checkout, "ls-remote", "--heads", "origin", branch)
    git(checkout, "checkout", "-q", "-B", branch, f"origin/{branch}" if existing else f"origin/{base}")
    for name, text in files.items():
        target = checkout / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", message)
    git(checkout, "push", "-q", "origin", f"{branch}:{branch}")
    return git(checkout, "rev-parse", "HEAD")


def client(sandbox: Served, login: str) -> github.Github:
    """PyGithub as the bot uses it, without its client-side throttling (the sandbox is local)."""
    return github.Github(
        base_url=sandbox.url,
        auth=github.Auth.Token(sandbox.token(login)),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=None,
    )


@pytest.fixture
def bot(sandbox: Served) -> github.Github:
    return client(sandbox, "promoter-bot")


@pytest.fixture
def checked() -> set[str]:
    return set()


@pytest.fixture
def api(sandbox: Served, checked: set[str]) -> Iterator[Callable[[str | None], Api]]:
    """``api("alice")`` is alice's raw HTTP client; ``api(None)`` sends no token."""
    opened: list[Api] = []

    def make(login: str | None) -> Api:
        opened.append(Api(sandbox.url, sandbox.token(login) if login else None, checked))
        return opened[-1]

    yield make
    for each in opened:
        each.close()
