"""Forge credentials: a GitHub App's installation token over real HTTP, and the token git sends."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path

import github
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from promoter.adapters.github import GitHubForge
from promoter.adapters.gitrepo import credentials
from promoter.cli import wiring
from promoter.config.secrets import EnvRef
from promoter.config.settings import ForgeSettings, GitHubAppSettings
from promoter.sandbox.github.routes.apps import App
from promoter.sandbox.github.sandbox import GitHubSandbox


def keypair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def test_a_github_app_installation_authenticates_the_forge(make_bare_repo: Callable[[dict[str, str]], Path]) -> None:
    private, public = keypair()
    bare = make_bare_repo({"a.yaml": "a: 1\n"})
    with GitHubSandbox(bare, "acme/config", github_apps=[App(4242, 77, public)]) as sandbox:
        settings = ForgeSettings(
            repository="acme/config",
            token=None,
            clone_url="https://github.com/acme/config.git",
            api_url=sandbox.url,
            app=GitHubAppSettings(4242, 77, EnvRef("APP_KEY")),
        )
        auth, token = wiring.forge_auth(settings, {"APP_KEY": private})
        forge = GitHubForge(sandbox.url, "acme/config", auth, "promoter-bot")
        assert forge.find_pr("nothing") is None  # an authenticated API call with the installation token
        issued = token()
        assert issued.startswith("ghs_")
        assert sandbox.forge.accounts.by_token(issued).login == "promoter-bot"  # type: ignore[union-attr]
        # A wrong key is refused.
        other, _ = keypair()
        wrong = dataclasses.replace(settings, app=GitHubAppSettings(4242, 77, EnvRef("APP_KEY")))
        _, bad_token = wiring.forge_auth(wrong, {"APP_KEY": other})
        with pytest.raises(github.GithubException, match="JSON web token"):
            bad_token()


def test_git_gets_the_token_as_a_header_for_the_remote_only(tmp_path: Path) -> None:
    env = credentials("https://github.com/acme/config.git", "s3cret")
    assert "s3cret" not in str(env)  # base64, and never on the command line
    url_config = subprocess.run(
        ["git", "config", "--get-urlmatch", "http.extraHeader", "https://github.com/acme/config.git"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert url_config == "Authorization: Basic eC1hY2Nlc3MtdG9rZW46czNjcmV0"  # x-access-token:s3cret
    other_host = subprocess.run(
        ["git", "config", "--get-urlmatch", "http.extraHeader", "https://evil.example.com/x.git"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert other_host.stdout == ""  # the header goes to the config repo's host only
    assert credentials("file:///srv/config.git", "s3cret") == {}
    assert credentials("https://github.com/acme/config.git", None) == {}
