"""The forge takes a token or a GitHub App, exactly one."""

from __future__ import annotations

from pathlib import Path

import pytest

from promoter.config import loading
from promoter.config.problems import ConfigError
from promoter.config.secrets import EnvRef, FileRef
from tests.config.configdir import write

APP = """\
forge:
  repository: acme/gitops-config
  app:
    id: 4242
    installation_id: 77
    private_key: {file: secrets/app.pem}
argocd:
  url: https://argocd.example.com
  token: {env: PROMOTER_ARGOCD_TOKEN}
"""


def test_a_github_app(tmp_path: Path) -> None:
    config = loading.load(write(tmp_path, {"promoter.yaml": APP}))
    forge = config.settings.forge
    assert forge.token is None
    assert forge.app is not None
    assert (forge.app.id, forge.app.installation_id) == (4242, 77)
    assert forge.app.private_key == FileRef(tmp_path / "config" / "secrets" / "app.pem")


def test_a_token(tmp_path: Path) -> None:
    forge = loading.load(write(tmp_path, {})).settings.forge
    assert forge.token == EnvRef("PROMOTER_GITHUB_TOKEN")
    assert forge.app is None


@pytest.mark.parametrize(
    "settings",
    [
        APP.replace("  app:\n", "  token: {env: T}\n  app:\n"),
        "forge:\n  repository: acme/gitops-config\nargocd:\n  url: https://argocd.example.com\n  token: {env: A}\n",
    ],
    ids=["both", "neither"],
)
def test_exactly_one_credential(tmp_path: Path, settings: str) -> None:
    with pytest.raises(ConfigError) as info:
        loading.load(write(tmp_path, {"promoter.yaml": settings}))
    (problem,) = info.value.problems
    assert "either token" in problem.message
    assert problem.line == 1 or problem.line == 2
