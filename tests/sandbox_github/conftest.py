"""Fixtures: a bare config repository, the sandbox serving it, a clone to push from, and clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import github
import pytest

from promoter.sandbox.github.sandbox import GitHubSandbox
from tests.conftest import git
from tests.sandbox_github.client import Api

FILES = {
    "apps/web/values.yaml": "image:\n  tag: 1.0.0\nreplicas: 2\n",
    "apps/api/values.yaml": "image:\n  tag: 2.0.0\n",
    "README.md": "# config\n",
}


@pytest.fixture
def origin(make_bare_repo: Callable[[dict[str, str]], Path]) -> Path:
    return make_bare_repo(FILES)


@pytest.fixture
def sandbox(origin: Path) -> Iterator[GitHubSandbox]:
    with GitHubSandbox(origin, "acme/config") as running:
        yield running


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


def client(sandbox: GitHubSandbox, login: str) -> github.Github:
    """PyGithub as the bot uses it, without its client-side throttling (the sandbox is local)."""
    return github.Github(
        base_url=sandbox.url,
        auth=github.Auth.Token(sandbox.token(login)),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=None,
    )


@pytest.fixture
def bot(sandbox: GitHubSandbox) -> github.Github:
    return client(sandbox, "promoter-bot")


@pytest.fixture
def checked() -> set[str]:
    return set()


@pytest.fixture
def api(sandbox: GitHubSandbox, checked: set[str]) -> Iterator[Callable[[str | None], Api]]:
    """``api("alice")`` is alice's raw HTTP client; ``api(None)`` sends no token."""
    opened: list[Api] = []

    def make(login: str | None) -> Api:
        opened.append(Api(sandbox.url, sandbox.token(login) if login else None, checked))
        return opened[-1]

    yield make
    for each in opened:
        each.close()
