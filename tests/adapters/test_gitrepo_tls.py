"""git against a server behind a private CA (a real HTTPS server on loopback, with a certificate no public CA
vouches for): a refused certificate is a permanent error that names ``$GIT_SSL_CAINFO`` (retrying never makes
it trusted); with ``GIT_SSL_CAINFO`` pointing at the CA, git gets past TLS (here to the server's 404: it serves
no repositories, which stays an error that may pass)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from promoter import serving
from promoter.adapters.gitrepo import GitRepo, remote_branches
from promoter.errors import PermanentError, TemporaryError
from tests.certificates import self_signed


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path_factory.mktemp("git-tls"), "git")
    with serving.Server(Starlette(), tls=(cert, key)) as server:
        yield f"{server.url}/acme/config.git", cert


def test_a_refused_certificate_is_permanent_and_names_the_fix(
    https: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = https
    monkeypatch.delenv("GIT_SSL_CAINFO", raising=False)
    with pytest.raises(PermanentError, match=r"certificate was refused \(.+\): .*\$GIT_SSL_CAINFO"):
        remote_branches(url, None, timeout=20)
    with pytest.raises(PermanentError, match=r"^cannot clone .*certificate was refused"):
        GitRepo(url, tmp_path / "clone", ("promoter", "p@example.com")).fetch("main")


def test_a_private_ca_is_trusted_through_git_ssl_cainfo(
    https: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = https
    monkeypatch.setenv("GIT_SSL_CAINFO", str(cert))
    with pytest.raises(TemporaryError, match="not found") as caught:  # past TLS: the server has no such repository
        remote_branches(url, None, timeout=20)
    assert "certificate" not in str(caught.value)
