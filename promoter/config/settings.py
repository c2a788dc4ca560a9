"""promoter's global settings as plain frozen values (``DIR/promoter.yaml``, parsed by ``models``).

Secrets stay references here (:mod:`promoter.config.secrets`): whoever talks to GitHub, Argo CD or the
store resolves them at use time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from pathlib import Path

from promoter.config import secrets
from promoter.gitops.files import inside


class ForgeType(enum.Enum):
    GITHUB = "github"


@dataclasses.dataclass(frozen=True)
class GitHubAppSettings:
    id: int
    installation_id: int
    private_key: secrets.SecretRef


@dataclasses.dataclass(frozen=True)
class ForgeSettings:
    repository: str  # owner/name of the config repo
    token: secrets.SecretRef | None  # exactly one of token and app
    clone_url: str  # default https://github.com/<repository>.git
    type: ForgeType = ForgeType.GITHUB
    api_url: str = "https://api.github.com"
    bot_login: str | None = None  # the bot's own login: its comments and reviews are ignored
    app: GitHubAppSettings | None = None

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def name(self) -> str:
        return self.repository.partition("/")[2]


@dataclasses.dataclass(frozen=True)
class ArgoCDSettings:
    url: str
    token: secrets.SecretRef
    timeout: dt.timedelta = dt.timedelta(seconds=10)
    insecure: bool = False  # HTTPS without verifying argocd-server's certificate (the CLI's --insecure)
    ca_file: Path | None = None  # the CA certificates (PEM) to verify it with, instead of the system's


@dataclasses.dataclass(frozen=True)
class StoreSettings:
    """A SQLAlchemy URL (relative SQLite paths already placed in ``state_dir``), or a secret holding one."""

    url: str | secrets.SecretRef


@dataclasses.dataclass(frozen=True)
class GitSettings:
    author_name: str = "promoter"
    author_email: str = "promoter@users.noreply.github.com"


@dataclasses.dataclass(frozen=True)
class RepoTemplates:
    """``analysis.templates_in_repo``: Argo Rollouts analysis templates kept in the config repo, read from
    ``branch`` under ``paths`` (files, or folders read recursively)."""

    paths: tuple[str, ...]
    branch: str = "main"

    def covers(self, file: str) -> bool:
        return any(inside(file, path) for path in self.paths)


@dataclasses.dataclass(frozen=True)
class Settings:
    forge: ForgeSettings
    argocd: ArgoCDSettings
    store: StoreSettings
    state_dir: Path  # absolute; the clones live here
    reconcile_interval: dt.timedelta = dt.timedelta(seconds=30)
    git: GitSettings = GitSettings()
    analysis_scrape_interval: dt.timedelta = dt.timedelta(seconds=30)  # Prometheus' (``analysis.scrape_interval``)
    analysis_templates_in_repo: RepoTemplates | None = None
    analysis_address: str | None = None  # where promoter reaches Prometheus, for every template (``analysis.address``)
