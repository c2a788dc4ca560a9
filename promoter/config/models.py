"""The config files as pydantic models: frozen, strict, unknown keys refused.

``SettingsFile`` is ``DIR/promoter.yaml``; a file under ``DIR/pipelines/`` is one ``PipelineModel`` or a
``PipelinesFile``. Each model turns itself into the plain frozen values used inside (``to_settings``,
``to_pipeline``); the value types and their messages live in :mod:`promoter.config.fields`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Literal, Self

import pydantic
from pydantic import Discriminator, Field, Tag, model_validator

from promoter.config import fields, secrets, settings
from promoter.config import strategies as strategy_models
from promoter.config import targets as target_models
from promoter.config import windows as window_models
from promoter.core import model
from promoter.core.windows import Windows


class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


# secrets ------------------------------------------------------------------------------------------


class SecretRefModel(_Model):
    """``{env: NAME}`` or ``{file: PATH}``; never the secret itself."""

    env: fields.EnvName | None = None
    file: fields.Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _a_reference(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise fields.refuse("secret", "a secret is never written in the config: write {env: NAME} or {file: PATH}")
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.env is None) == (self.file is None):
            raise fields.refuse("secret", "write exactly one of {env: NAME} or {file: PATH}")
        return self

    def to_ref(self, directory: Path) -> secrets.SecretRef:
        if self.env is not None:
            return secrets.EnvRef(self.env)
        assert self.file is not None
        return secrets.FileRef(_absolute(directory, self.file))


def _url_or_secret(value: object) -> str:
    return "secret-reference" if isinstance(value, dict) else "plain-url"


# A plain URL, or a secret reference when the URL holds a password. (The tags show up in validation
# locations; the loader skips what is not in the file.)
StoreUrl = Annotated[
    Annotated[fields.DatabaseUrl, Tag("plain-url")] | Annotated[SecretRefModel, Tag("secret-reference")],
    Discriminator(_url_or_secret),
]


# promoter.yaml ------------------------------------------------------------------------------------


class GitHubAppModel(_Model):
    """A GitHub App installation: promoter signs a JWT with the key and uses installation tokens."""

    id: pydantic.PositiveInt
    installation_id: pydantic.PositiveInt
    private_key: SecretRefModel  # the PEM the App's settings page generated

    def to_settings(self, directory: Path) -> settings.GitHubAppSettings:
        return settings.GitHubAppSettings(self.id, self.installation_id, self.private_key.to_ref(directory))


class ForgeModel(_Model):
    type: Literal["github"] = "github"
    api_url: fields.HttpUrl = "https://api.github.com"
    repository: fields.Repository
    clone_url: fields.HttpUrl | None = None
    token: SecretRefModel | None = None
    app: GitHubAppModel | None = None
    bot_login: fields.Text | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if (self.token is None) == (self.app is None):
            raise fields.refuse(
                "credential", "give either token: {env: NAME} or app: {id, installation_id, private_key}"
            )
        return self

    def to_settings(self, directory: Path) -> settings.ForgeSettings:
        return settings.ForgeSettings(
            type=settings.ForgeType(self.type),
            api_url=self.api_url.rstrip("/"),
            repository=self.repository,
            clone_url=self.clone_url or f"https://github.com/{self.repository}.git",
            token=self.token.to_ref(directory) if self.token is not None else None,
            app=self.app.to_settings(directory) if self.app is not None else None,
            bot_login=self.bot_login,
        )


class ArgoCDModel(_Model):
    url: fields.HttpUrl
    token: SecretRefModel
    timeout: fields.PositiveDuration = dt.timedelta(seconds=10)
    insecure: bool = False
    ca_file: fields.Text | None = None  # relative: from the config directory

    @model_validator(mode="after")
    def _one_way_to_trust(self) -> Self:
        if self.insecure and self.ca_file is not None:
            raise fields.refuse("tls", "insecure skips verifying the certificate and ca_file verifies it: write one")
        return self

    def to_settings(self, directory: Path) -> settings.ArgoCDSettings:
        return settings.ArgoCDSettings(
            url=self.url.rstrip("/"),
            token=self.token.to_ref(directory),
            timeout=self.timeout,
            insecure=self.insecure,
            ca_file=_absolute(directory, self.ca_file) if self.ca_file is not None else None,
        )


class StoreModel(_Model):
    url: StoreUrl = "sqlite:///promoter.db"  # a relative SQLite path lives in state_dir

    def to_settings(self, directory: Path, state_dir: Path) -> settings.StoreSettings:
        if isinstance(self.url, SecretRefModel):
            return settings.StoreSettings(self.url.to_ref(directory))
        return settings.StoreSettings(_place_sqlite(self.url, state_dir))


class GitModel(_Model):
    author_name: fields.Text = "promoter"
    author_email: fields.Email = "promoter@users.noreply.github.com"

    def to_settings(self) -> settings.GitSettings:
        return settings.GitSettings(author_name=self.author_name, author_email=self.author_email)


class RepoTemplatesModel(_Model):
    """``analysis.templates_in_repo``: where the config repo keeps Argo Rollouts analysis templates."""

    paths: Annotated[list[fields.Text], Field(min_length=1)]
    branch: fields.Text = "main"

    @pydantic.field_validator("paths")
    @classmethod
    def _inside(cls, paths: list[str]) -> list[str]:
        for path in paths:
            parts = path.split("/")
            if path.startswith("/") or ".." in parts or "\\" in path:
                raise fields.refuse("path", f"{path!r}: a path inside the config repo, relative to its root")
        return paths

    def to_settings(self) -> settings.RepoTemplates:
        return settings.RepoTemplates(tuple(p.strip("/") or "." for p in self.paths), self.branch)


class AnalysisSettingsModel(_Model):
    """``analysis:`` in promoter.yaml: how analysis reads Prometheus, and where else templates are."""

    # Prometheus' scrape interval: a first measurement waits one more, so its newest sample is from after the change
    scrape_interval: fields.PositiveDuration = dt.timedelta(seconds=30)
    templates_in_repo: RepoTemplatesModel | None = None
    # where promoter reaches Prometheus: replaces every template's address (written for the cluster, they name an
    # in-cluster Service that promoter, outside, cannot reach)
    address: fields.HttpUrl | None = None


class SettingsFile(_Model):
    """``DIR/promoter.yaml``."""

    forge: ForgeModel
    argocd: ArgoCDModel
    store: StoreModel = StoreModel()
    state_dir: fields.Text | None = None  # default: .promoter next to the config directory
    reconcile_interval: fields.PositiveDuration = dt.timedelta(seconds=30)
    git: GitModel = GitModel()
    analysis: AnalysisSettingsModel = AnalysisSettingsModel()

    def to_settings(self, directory: Path) -> settings.Settings:
        """Relative paths (``state_dir``, ``{file: PATH}``) are taken from ``directory``."""
        base = _absolute(directory, ".")
        state_dir = _absolute(base, self.state_dir) if self.state_dir else base.parent / ".promoter"
        return settings.Settings(
            forge=self.forge.to_settings(base),
            argocd=self.argocd.to_settings(base),
            store=self.store.to_settings(base, state_dir),
            state_dir=state_dir,
            reconcile_interval=self.reconcile_interval,
            git=self.git.to_settings(),
            analysis_scrape_interval=self.analysis.scrape_interval,
            analysis_address=self.analysis.address.rstrip("/") if self.analysis.address else None,
            analysis_templates_in_repo=(
                self.analysis.templates_in_repo.to_settings() if self.analysis.templates_in_repo else None
            ),
        )


def _absolute(directory: Path, path: str) -> Path:
    return Path(os.path.abspath(directory / Path(path).expanduser()))


def _place_sqlite(url: str, state_dir: Path) -> str:
    """``sqlite:///promoter.db`` -> ``sqlite:////<state_dir>/promoter.db``; other URLs unchanged."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.partition("+")[0] != "sqlite":
        return url
    file, query, params = rest.partition("?")
    if not file or file.startswith("/") or file == ":memory:":
        return url
    return f"{scheme}:///{state_dir / file}{query}{params}"


# pipelines ----------------------------------------------------------------------------------------


class MergeModel(_Model):
    approvals: Annotated[int, Field(ge=0)] = 0
    method: Literal["merge", "squash"] = "merge"

    def to_policy(self) -> model.MergePolicy:
        return model.MergePolicy(approvals=self.approvals, method=model.MergeMethod(self.method))


class StageModel(_Model):
    name: fields.Name
    strategy: strategy_models.StrategyModel = strategy_models.StrategyModel(rolling=strategy_models.RollingModel())
    # omitted: the Applications that deploy the files the stage's plan edits, found in the repo as it starts
    applications: Annotated[list[fields.Text], Field(min_length=1)] | None = None
    targets: list[target_models.TargetModel] = Field(default_factory=list)
    soak: fields.Duration = dt.timedelta(0)
    deadline: fields.PositiveDuration = dt.timedelta(minutes=10)
    debounce: fields.Duration = dt.timedelta(seconds=5)
    merge: MergeModel = MergeModel()
    windows: list[window_models.WindowModel] = Field(default_factory=list)  # with the pipeline's: when it merges
    freezes: list[window_models.FreezeModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _targets(self) -> Self:
        if not self.targets and self.strategy.blue_green is None:
            raise fields.refuse("targets", "a stage needs targets: where its version goes (the stable workload)")
        if self.targets and self.strategy.blue_green is not None:
            raise fields.refuse("targets", "a blue/green stage's workloads are its strategy's colors: no targets")
        return self

    def to_stage(self, shared: Windows) -> model.Stage:
        return model.Stage(
            name=self.name,
            targets=tuple(t.to_target() for t in self.targets),
            applications=tuple(self.applications or ()),
            strategy=self.strategy.to_strategy(),
            soak=self.soak,
            deadline=self.deadline,
            debounce=self.debounce,
            merge=self.merge.to_policy(),
            windows=shared + window_models.to_windows(self.windows, self.freezes),
        )


class PipelineModel(_Model):
    """A file under ``DIR/pipelines/`` that holds one pipeline, or one item of ``pipelines:``."""

    name: fields.Name
    base_branch: fields.Branch = "main"
    labels: list[fields.Text] = Field(default_factory=lambda: ["promoter"])
    stages: Annotated[list[StageModel], Field(min_length=1)]
    windows: list[window_models.WindowModel] = Field(default_factory=list)  # every stage's, with its own
    freezes: list[window_models.FreezeModel] = Field(default_factory=list)

    def to_pipeline(self) -> model.Pipeline:
        shared = window_models.to_windows(self.windows, self.freezes)
        return model.Pipeline(
            name=self.name,
            stages=tuple(s.to_stage(shared) for s in self.stages),
            base_branch=self.base_branch,
            labels=tuple(self.labels),
        )


class PipelinesFile(_Model):
    """A file under ``DIR/pipelines/`` that holds several pipelines."""

    pipelines: Annotated[list[PipelineModel], Field(min_length=1)]
