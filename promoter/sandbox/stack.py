"""The GitHub sandbox and the Argo CD simulator around one config repository (``promoter sandbox up``).

The repository is copied into a bare repo: a directory that is a git checkout is cloned (its committed
history), any other directory is committed as one initial commit. Nothing of the source is modified.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType

from promoter import serving
from promoter.sandbox.argocd import Credentials, Scenario, Simulator, create_app
from promoter.sandbox.github.accounts import User
from promoter.sandbox.github.sandbox import GitHubSandbox

BOT = "promoter-bot"
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
    """Both stand-ins, started and stopped together."""

    def __init__(self, bare: Path, repository: str = "acme/gitops-config", scenario: Scenario | None = None) -> None:
        self.bare = bare
        self.repository = repository
        self.github = GitHubSandbox(bare, repository)
        self.credentials = Credentials.generate()
        self.simulator = Simulator(bare, scenario=scenario)
        self._argocd = serving.Server(create_app(self.simulator, self.credentials))

    def start(self) -> Stack:
        self.github.start()
        try:
            self._argocd.start()
        except BaseException:
            self.github.stop()
            raise
        return self

    def stop(self) -> None:
        self._argocd.stop()
        self.github.stop()

    @property
    def argocd_url(self) -> str:
        return self._argocd.url

    def environment(self) -> dict[str, str]:
        """What ``promoter run`` needs to talk to this stack instead of GitHub and Argo CD."""
        return {
            "PROMOTER_GITHUB_URL": self.github.url,
            "PROMOTER_GITHUB_TOKEN": self.github.token(BOT),
            "PROMOTER_REPOSITORY": self.repository,
            "PROMOTER_CLONE_URL": self.bare.resolve().as_uri(),
            "PROMOTER_ARGOCD_URL": self.argocd_url,
            "PROMOTER_ARGOCD_TOKEN": self.credentials.token,
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
