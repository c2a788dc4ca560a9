"""The GitHub sandbox as one object: build it around a bare repository, start it, point PyGithub at it.

::

    with GitHubSandbox(Path("config.git"), "acme/config") as sandbox:
        gh = github.Github(base_url=sandbox.url, auth=github.Auth.Token(sandbox.token("promoter-bot")))

The users default to :func:`promoter.sandbox.github.accounts.default_users` (a bot, an admin, a writer and
a reader, each with a fixed token).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from starlette.applications import Starlette

from promoter import serving
from promoter.sandbox.github import accounting, accounts, app, forge, repository, state
from promoter.sandbox.github.routes import apps


class GitHubSandbox:
    """A GitHub-compatible server for ``full_name`` (``owner/name``) backed by the bare repo at ``path``.

    ``default_branch`` defaults to the branch the bare repository's HEAD names; ``clock`` stamps every
    record and drives the rate-limit windows; ``clone_url`` is what the repository reports (the bare
    repository's ``file://`` URL by default); ``tls`` (a certificate file and its key, PEM) serves HTTPS, as a
    GitHub Enterprise Server behind a private CA.
    """

    def __init__(
        self,
        path: Path,
        full_name: str = "acme/config",
        *,
        default_branch: str | None = None,
        users: Iterable[accounts.User] | None = None,
        rate_limit: int = 5000,
        clock: state.Clock = state.system_clock,
        merge_methods: Iterable[str] = ("merge", "squash", "rebase"),
        clone_url: str | None = None,
        git_timeout: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
        github_apps: Iterable[apps.App] = (),
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        owner, slash, name = full_name.partition("/")
        if not slash or not owner or not name or "/" in name:
            raise ValueError(f"expected owner/name, got {full_name!r}")
        git = repository.BareRepository(path, timeout=git_timeout)
        self.forge = forge.Forge(
            git=git,
            owner=owner,
            name=name,
            default_branch=default_branch or git.default_branch(),
            accounts=accounts.Accounts(accounts.default_users() if users is None else users),
            state=state.State(clock),
            accounting=accounting.Accounting(rate_limit, clock=clock),
            clone_url=clone_url,
            merge_methods=frozenset(merge_methods),
        )
        self.app: Starlette = app.create_app(self.forge, github_apps)
        self._host, self._port, self._tls = host, port, tls
        self._server: serving.Server | None = None

    def start(self) -> GitHubSandbox:
        self._server = serving.Server(self.app, port=self._port, host=self._host, tls=self._tls).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        """The API base URL (``base_url`` for PyGithub); only while started."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return self._server.url

    @property
    def clone_url(self) -> str:
        return self.forge.clone()

    def token(self, login: str) -> str:
        user = self.forge.accounts.by_login(login)
        if user is None:
            raise KeyError(login)
        return user.token

    def subscribe(self, subscriber: state.Subscriber) -> None:
        """Receive every event (pull request opened, comment created, review submitted...)."""
        self.forge.state.subscribe(subscriber)

    def stats(self) -> dict[str, Any]:
        return self.forge.accounting.stats()

    def __enter__(self) -> GitHubSandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
