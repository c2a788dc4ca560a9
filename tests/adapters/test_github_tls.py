"""GitHub Enterprise Server behind a private CA: the sandbox served over HTTPS with a certificate no public CA
vouches for. Unverified it is a permanent error that names the fix (retrying would never make it trusted); with
``REQUESTS_CA_BUNDLE`` pointing at the CA, as requests (and so PyGithub) reads it, the bot talks to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promoter.adapters import github as github_adapter
from promoter.adapters.github import GitHubForge
from promoter.errors import PermanentError
from promoter.sandbox.github.sandbox import GitHubSandbox
from tests.certificates import self_signed


@pytest.fixture
def served(make_bare_repo: Callable[[dict[str, str]], Path], tmp_path: Path) -> Iterator[tuple[GitHubSandbox, Path]]:
    bare = make_bare_repo({"envs/staging/app.yaml": "image: app:1.0\n"})
    cert, key = self_signed(tmp_path, "github")
    with GitHubSandbox(bare, "acme/config", tls=(cert, key)) as sandbox:
        yield sandbox, cert


def _forge(sandbox: GitHubSandbox) -> GitHubForge:
    return GitHubForge(
        sandbox.url, "acme/config", github_adapter.token_auth(sandbox.token("promoter-bot")), "promoter-bot"
    )


def test_the_sandbox_speaks_https(served: tuple[GitHubSandbox, Path]) -> None:
    assert served[0].url.startswith("https://127.0.0.1:")


def test_a_certificate_no_ca_vouches_for_is_permanent_and_names_the_fix(
    served: tuple[GitHubSandbox, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    forge = _forge(served[0])
    try:
        with pytest.raises(PermanentError, match=r"certificate was refused .*\$REQUESTS_CA_BUNDLE") as caught:
            forge.marked_prs()
        assert "self-signed" in str(caught.value) or "verify failed" in str(caught.value), caught.value
    finally:
        forge.close()


def test_a_private_ca_is_trusted_through_requests_ca_bundle(
    served: tuple[GitHubSandbox, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, cert = served
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    forge = _forge(sandbox)
    try:
        assert forge.marked_prs() == []
        assert forge.bot_login == "promoter-bot"  # asked of the server (GET /user)
    finally:
        forge.close()
