"""The example in config/ loads into the domain values a README walks through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from promoter.config import loading, secrets, settings
from promoter.core import model, strategies
from tests.config import configdir


def test_the_example_pipeline() -> None:
    config = loading.load(configdir.EXAMPLE)

    def stage(env: str) -> model.Stage:
        return model.Stage(
            name=env,
            targets=(
                model.ImageTarget(
                    ref=strategies.ResourceRef(file=f"envs/{env}/guestbook/deployment.yaml"),
                    image="ghcr.io/acme/guestbook",
                    container="guestbook",
                ),
            ),
            applications=(f"guestbook-{env}",),
            strategy=strategies.Rolling(),
            soak=dt.timedelta(seconds=5),
            deadline=dt.timedelta(minutes=2),
            debounce=dt.timedelta(seconds=2),
            merge=model.MergePolicy(approvals=0, method=model.MergeMethod.MERGE),
        )

    expected = model.Pipeline(
        name="guestbook", stages=(stage("staging"), stage("prod")), base_branch="main", labels=("promoter",)
    )
    assert config.pipelines == (expected,)
    assert config.pipeline("guestbook") == expected


def test_the_example_settings() -> None:
    config = loading.load(configdir.EXAMPLE)
    state_dir = configdir.EXAMPLE.parent / ".promoter"
    assert config.settings == settings.Settings(
        forge=settings.ForgeSettings(
            type=settings.ForgeType.GITHUB,
            api_url="https://api.github.com",
            repository="acme/gitops-config",
            clone_url="https://github.com/acme/gitops-config.git",
            token=secrets.EnvRef("PROMOTER_GITHUB_TOKEN"),
            bot_login="promoter-bot",
        ),
        argocd=settings.ArgoCDSettings(
            url="https://argocd.example.com",
            token=secrets.EnvRef("PROMOTER_ARGOCD_TOKEN"),
            timeout=dt.timedelta(seconds=10),
        ),
        store=settings.StoreSettings(f"sqlite:///{state_dir}/promoter.db"),
        state_dir=state_dir,
        reconcile_interval=dt.timedelta(seconds=30),
        git=settings.GitSettings(author_name="promoter", author_email="promoter@users.noreply.github.com"),
    )
    assert config.settings.forge.owner == "acme"
    assert config.settings.forge.name == "gitops-config"


def test_an_unknown_pipeline_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        loading.load(configdir.EXAMPLE).pipeline("nope")


def test_defaults(tmp_path: Path) -> None:
    config = loading.load(configdir.write(tmp_path, {}))
    assert config.settings.state_dir == tmp_path / ".promoter"
    assert config.settings.store.url == f"sqlite:///{tmp_path}/.promoter/promoter.db"
    assert config.settings.reconcile_interval == dt.timedelta(seconds=30)
    assert config.settings.git == settings.GitSettings()
    assert config.settings.forge.api_url == "https://api.github.com"
    assert config.settings.forge.bot_login is None
    assert config.pipelines == (
        model.Pipeline(
            name="web",
            stages=(
                model.Stage(
                    name="staging",
                    targets=(
                        model.ImageTarget(strategies.ResourceRef(file="envs/staging/web.yaml"), "ghcr.io/acme/web"),
                    ),
                    applications=("web-staging",),
                ),
            ),
        ),
    )


def test_set_targets_several_pipelines_in_one_file_and_yml(tmp_path: Path) -> None:
    several = """\
pipelines:
  - name: api
    base_branch: release
    labels: [promoter, api]
    stages:
      - name: dev
        applications: [api-dev, api-worker-dev]
        targets:
          - file: envs/dev/api/values.yaml
            set:
              image.tag: "{version}"
              "spec.containers[name=api].env[name=VERSION].value": v{version}
              replicas: 2
              enabled: true
            doc: 1
        soak: 1h30m
        deadline: 90
        debounce: 500ms
        merge: {approvals: 1, method: squash}
  - name: worker
    stages:
      - name: dev
        applications: [worker-dev]
        targets: [{file: w.yaml, image: "localhost:5000/worker"}]
"""
    directory = configdir.write(tmp_path, {"pipelines/more.yml": several})
    config = loading.load(directory)
    assert [p.name for p in config.pipelines] == ["api", "worker", "web"]  # by file name, then in file order
    api = config.pipeline("api")
    assert api.base_branch == "release"
    assert api.labels == ("promoter", "api")
    assert api.stages[0] == model.Stage(
        name="dev",
        targets=(
            model.SetTarget(
                ref=strategies.ResourceRef(file="envs/dev/api/values.yaml", doc=1),
                values=(
                    ("image.tag", "{version}"),
                    ("spec.containers[name=api].env[name=VERSION].value", "v{version}"),
                    ("replicas", "2"),
                    ("enabled", "true"),
                ),
            ),
        ),
        applications=("api-dev", "api-worker-dev"),
        soak=dt.timedelta(hours=1, minutes=30),
        deadline=dt.timedelta(seconds=90),
        debounce=dt.timedelta(milliseconds=500),
        merge=model.MergePolicy(approvals=1, method=model.MergeMethod.SQUASH),
    )
    assert config.pipeline("worker").stages[0].targets == (
        model.ImageTarget(strategies.ResourceRef(file="w.yaml"), "localhost:5000/worker"),
    )


def test_paths_in_settings(tmp_path: Path) -> None:
    text = configdir.SETTINGS.replace("{env: PROMOTER_ARGOCD_TOKEN}", "{file: secrets/argocd-token}") + (
        "state_dir: ../state\n"
        "store:\n  url: {env: PROMOTER_DATABASE_URL}\n"
        "reconcile_interval: 2m\n"
        "git: {author_name: bot, author_email: bot@example.com}\n"
    )
    text = text.replace(
        "  repository:",
        "  api_url: https://ghe.example.com/api/v3/\n  clone_url: https://ghe.example.com/a/b.git\n  repository:",
    )
    config = loading.load(configdir.write(tmp_path, {"promoter.yaml": text}))
    s = config.settings
    assert s.state_dir == tmp_path / "state"
    assert s.argocd.token == secrets.FileRef(tmp_path / "config" / "secrets" / "argocd-token")
    assert s.store.url == secrets.EnvRef("PROMOTER_DATABASE_URL")
    assert s.reconcile_interval == dt.timedelta(minutes=2)
    assert s.git == settings.GitSettings(author_name="bot", author_email="bot@example.com")
    assert s.forge.api_url == "https://ghe.example.com/api/v3"
    assert s.forge.clone_url == "https://ghe.example.com/a/b.git"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("sqlite:////srv/p.db", "sqlite:////srv/p.db", id="absolute-sqlite"),
        pytest.param("sqlite:///db/p.db?timeout=5", "sqlite:///{state}/db/p.db?timeout=5", id="relative-sqlite"),
        pytest.param("sqlite://", "sqlite://", id="memory"),
        pytest.param("postgresql+psycopg://promoter@db/promoter", "postgresql+psycopg://promoter@db/promoter", id="pg"),
    ],
)
def test_store_urls(tmp_path: Path, url: str, expected: str) -> None:
    text = configdir.SETTINGS + f"state_dir: /srv/promoter\nstore: {{url: '{url}'}}\n"
    config = loading.load(configdir.write(tmp_path, {"promoter.yaml": text}))
    assert config.settings.store.url == expected.format(state="/srv/promoter")
