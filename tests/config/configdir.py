"""Config directories for the tests: a valid one, and a way to write variations of it."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "config"

SETTINGS = """\
forge:
  repository: acme/gitops-config
  token: {env: PROMOTER_GITHUB_TOKEN}
argocd:
  url: https://argocd.example.com
  token: {env: PROMOTER_ARGOCD_TOKEN}
"""

PIPELINE = """\
name: web
stages:
  - name: staging
    applications: [web-staging]
    targets:
      - file: envs/staging/web.yaml
        image: ghcr.io/acme/web
"""


def write(root: Path, files: dict[str, str]) -> Path:
    """A config directory under ``root`` with the valid defaults, overridden or extended by ``files``."""
    directory = root / "config"
    for name, text in {"promoter.yaml": SETTINGS, "pipelines/web.yaml": PIPELINE, **files}.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory
