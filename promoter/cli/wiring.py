"""Building the runtime from the config and the environment: read once here, passed down.

``promoter sandbox up`` prints variables that point promoter at the sandbox instead of GitHub and Argo CD;
when set they override the config: ``PROMOTER_GITHUB_URL``, ``PROMOTER_REPOSITORY``, ``PROMOTER_CLONE_URL``,
``PROMOTER_ARGOCD_URL`` (the tokens come from the config's secret references as usual).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from promoter.adapters import tls
from promoter.config import analysis, loading, secrets
from promoter.config.settings import ArgoCDSettings, ForgeSettings, Settings
from promoter.core import strategies
from promoter.core.model import Pipeline
from promoter.engine.faults import Faults
from promoter.engine.runtime import Runtime
from promoter.errors import PermanentError, PromoterError
from promoter.gitops.files import inside
from promoter.ports import ConfigRepo, Deployments, Forge, Metrics

if TYPE_CHECKING:
    import ssl

    import github

    from promoter.adapters.gitrepo import GitRepo
    from promoter.adapters.store import SQLStore

# The adapters are imported where they are made, those of GitHub, git, Argo CD and Prometheus when a command
# first uses them: `status` and `pause` on a store that knows the pipeline talk to none of them, `validate
# --offline` not even to the store, and PyGithub, GitPython, httpx, prometheus-api-client and SQLAlchemy
# together take most of a second to import (DESIGN.md §13: bot commands start in <= 0.5 s).
# ruff: noqa: PLC0415

_A = TypeVar("_A")


class Deferred(Generic[_A]):
    """An adapter made when first used (any attribute), once; closing one never made does nothing."""

    def __init__(self, make: Callable[[], _A]) -> None:
        self._make = make
        self._made: _A | None = None

    @property
    def made(self) -> _A:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made, name)

    def close(self) -> None:
        close = getattr(self._made, "close", None) if self._made is not None else None
        if callable(close):
            close()


def config_dir(option: Path | None, environ: Mapping[str, str]) -> Path:
    if option is not None:
        return option
    return Path(environ.get("PROMOTER_CONFIG", "config"))


def with_overrides(settings: Settings, environ: Mapping[str, str]) -> Settings:
    forge, argocd = settings.forge, settings.argocd
    if "PROMOTER_REPOSITORY" in environ:
        repository = environ["PROMOTER_REPOSITORY"]
        forge = dataclasses.replace(forge, repository=repository, clone_url=f"https://github.com/{repository}.git")
    if "PROMOTER_GITHUB_URL" in environ:
        forge = dataclasses.replace(forge, api_url=environ["PROMOTER_GITHUB_URL"])
    if "PROMOTER_CLONE_URL" in environ:
        forge = dataclasses.replace(forge, clone_url=environ["PROMOTER_CLONE_URL"])
    if "PROMOTER_ARGOCD_URL" in environ:
        argocd = dataclasses.replace(argocd, url=environ["PROMOTER_ARGOCD_URL"])
    return dataclasses.replace(settings, forge=forge, argocd=argocd)


def store(settings: Settings, environ: Mapping[str, str]) -> SQLStore:
    from promoter.adapters.store import SQLStore  # (SQLAlchemy: a fifth of a second; validate does without)

    url = settings.store.url
    return SQLStore(url if isinstance(url, str) else secrets.resolve(url, environ).reveal())


def forge_auth(forge: ForgeSettings, environ: Mapping[str, str]) -> tuple[github.Auth.Auth, Callable[[], str]]:
    """PyGithub's auth, and the token git uses over HTTPS (an App's installation token is renewed)."""
    from promoter.adapters import github as github_adapter

    if forge.app is not None:
        key = secrets.resolve(forge.app.private_key, environ).reveal()
        installation = github_adapter.app_auth(forge.api_url, forge.app.id, forge.app.installation_id, key)
        return installation, lambda: installation.token
    token = _token(forge, environ)
    return github_adapter.token_auth(token), lambda: token


def git_token(forge: ForgeSettings, environ: Mapping[str, str]) -> Callable[[], str]:
    """The token git uses over HTTPS: as :func:`forge_auth` gives it, without PyGithub for a plain token."""
    if forge.app is not None:
        return forge_auth(forge, environ)[1]
    token = _token(forge, environ)
    return lambda: token


def _token(forge: ForgeSettings, environ: Mapping[str, str]) -> str:
    assert forge.token is not None, "settings hold a token or an app"
    return secrets.resolve(forge.token, environ).reveal()


def runtime(config: loading.Config, environ: Mapping[str, str] | None = None) -> Runtime:
    """The adapters wired from the config; every secret is resolved here (a missing one is refused at once),
    each outside system's adapter is made when first used."""
    environ = os.environ if environ is None else environ
    if config.unread is not None:
        # An analysis naming one of them would have run without it: such a config only serves validate --offline.
        raise PermanentError(f"{config.unread}: load the config with the repo's templates to run promotions")
    settings = with_overrides(config.settings, environ)
    forge = settings.forge
    forge_secret = forge.app.private_key if forge.app is not None else forge.token
    assert forge_secret is not None, "settings hold a token or an app"
    secrets.resolve(forge_secret, environ)  # a missing one refused now; the forge's adapter reads it when made
    argocd_token = secrets.resolve(settings.argocd.token, environ).reveal()
    argocd_url, argocd_timeout = settings.argocd.url, settings.argocd.timeout.total_seconds()
    argocd_verify = argocd_tls(settings.argocd)
    metric_secrets = analysis_secrets(config.pipelines, environ)

    def made_forge() -> Forge:
        from promoter.adapters.github import GitHubForge

        auth, _ = forge_auth(forge, environ)
        return GitHubForge(forge.api_url, forge.repository, auth, forge.bot_login)

    def made_deployments() -> Deployments:
        from promoter.adapters.argocd import ArgoCD

        return ArgoCD(argocd_url, argocd_token, argocd_timeout, argocd_verify)

    def made_metrics() -> Metrics:
        from promoter.adapters.prometheus import PrometheusMetrics

        return PrometheusMetrics(metric_secrets)

    return Runtime(
        store=store(settings, environ),
        forge=cast(Forge, Deferred(made_forge)),
        repo=cast(ConfigRepo, Deferred(lambda: config_repo(settings, environ))),
        deployments=cast(Deployments, Deferred(made_deployments)),
        pipelines={p.name: with_analysis_settings(p, settings) for p in config.pipelines},
        faults=Faults.parse(environ.get("PROMOTER_FAULT_AFTER")),
        interval=settings.reconcile_interval,
        metrics=cast(Metrics, Deferred(made_metrics)),
    )


def argocd_tls(argocd: ArgoCDSettings) -> ssl.SSLContext | bool:
    """How argocd-server's certificate is checked (``argocd.ca_file`` read now, ``argocd.insecure``)."""
    return tls.verification(argocd.insecure, argocd.ca_file, "argocd.ca_file")


def config_repo(settings: Settings, environ: Mapping[str, str]) -> GitRepo:
    """The config repo's clone in the state directory (the bot's, shared by every command)."""
    from promoter.adapters.gitrepo import GitRepo

    forge = settings.forge
    clone = settings.state_dir / "repos" / f"{forge.owner}__{forge.name}"
    token = git_token(forge, environ)
    return GitRepo(forge.clone_url, clone, (settings.git.author_name, settings.git.author_email), token=token)


def repo_templates(environ: Mapping[str, str] | None = None) -> loading.ReadRepoTemplates:
    """How :func:`loading.load` reads the templates the config repo keeps: fetched into the bot's clone, read at
    the head of ``analysis.templates_in_repo.branch``, every file under its paths that holds a template."""
    env = os.environ if environ is None else environ

    def read(loaded: Settings) -> Sequence[tuple[Path, str]] | str:
        settings = with_overrides(loaded, env)
        wanted = settings.analysis_templates_in_repo
        assert wanted is not None, "called only when promoter.yaml names them"
        try:
            repo = config_repo(settings, env)
            head = repo.fetch(wanted.branch)
            files = repo.files(head)
        except PromoterError as exc:
            return f"analysis.templates_in_repo: cannot read the config repo's {wanted.branch}: {exc}"
        missing = [p for p in wanted.paths if not any(inside(file, p) for file in files)]
        if missing:
            return f"analysis.templates_in_repo: no YAML file at {', '.join(missing)} on {wanted.branch} ({head[:12]})"
        return [
            (Path(f"{wanted.branch}:{path}"), text)
            for path, text in sorted(files.items())
            if wanted.covers(path) and path.endswith((".yaml", ".yml")) and analysis.holds_templates(text)
        ]

    return read


def with_analysis_settings(pipeline: Pipeline, settings: Settings) -> Pipeline:
    """promoter.yaml's ``analysis:`` (scrape interval, the address promoter reaches Prometheus at) in every
    analysis of the pipeline."""
    interval, address = settings.analysis_scrape_interval, settings.analysis_address
    stages = tuple(
        dataclasses.replace(s, strategy=strategies.with_analysis_settings(s.strategy, interval, address))
        for s in pipeline.stages
    )
    return dataclasses.replace(pipeline, stages=stages)


def analysis_secrets(pipelines: Sequence[Pipeline], environ: Mapping[str, str]) -> Callable[[str], str]:
    """A secret argument's value (``valueFrom.secretKeyRef: {name, key}`` in a template) from the environment:
    ``PROMOTER_SECRET_<NAME>_<KEY>`` (upper case, other characters as ``_``), read when a query needs it."""
    refs = {
        arg.name: arg.secret
        for pipeline in pipelines
        for stage in pipeline.stages
        for used in strategies.analyses(stage.strategy)
        for template in used.templates
        for arg in template.args
        if arg.secret is not None
    }

    def secret(name: str) -> str:
        ref = refs.get(name)
        if ref is None:
            raise PermanentError(f"argument {name} is not a secret argument of any template")
        variable = "PROMOTER_SECRET_" + re.sub(r"[^A-Z0-9]", "_", ref.upper())
        value = environ.get(variable)
        if not value:
            raise PermanentError(f"the secret argument {name} ({ref}) needs ${variable}")
        return value

    return secret
