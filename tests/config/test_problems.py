"""Every kind of problem names its file, line, column and field; all problems in all files are reported."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from promoter.config import loading
from promoter.config.problems import ConfigError, Problem
from tests.config import configdir

STAGE_HEAD = """\
name: web
stages:
  - name: staging
    applications: [web-staging]
    targets:
"""


def problems(directory: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        loading.load(directory)
    return list(caught.value.problems)


@dataclasses.dataclass(frozen=True)
class Case:
    files: dict[str, str]
    where: str  # FILE:LINE:COLUMN, the file relative to the config directory
    field: str
    message: str


CASES = {
    "unknown-key-points-at-the-key": Case(
        {
            "promoter.yaml": configdir.SETTINGS.replace(
                "  token: {env: PROMOTER_GITHUB_TOKEN}\n", "  token: {env: PROMOTER_GITHUB_TOKEN}\n  tokne: x\n"
            )
        },
        "promoter.yaml:4:3",
        "forge.tokne",
        "unknown key (did you mean token? expected one of: type, api_url, repository, clone_url, token, app, bot_login)",
    ),
    "unknown-key-without-a-near-miss": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "owner: me\n"},
        "pipelines/web.yaml:8:1",
        "owner",
        "unknown key (expected one of: name, base_branch, labels, stages, windows, freezes)",
    ),
    "unknown-key-in-a-target": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "        tag: latest\n"},
        "pipelines/web.yaml:8:9",
        "stages[0].targets[0].tag",
        "unknown key (expected one of: resource, file, doc, image, container, set)",
    ),
    "unknown-key-in-a-secret-reference": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("{env: PROMOTER_ARGOCD_TOKEN}", "{envv: PROMOTER_ARGOCD_TOKEN}")},
        "promoter.yaml:6:11",
        "argocd.token.envv",
        "unknown key (did you mean env? expected one of: env, file)",
    ),
    "wrong-type-points-at-the-value": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + '    merge: {approvals: "1"}\n'},
        "pipelines/web.yaml:8:24",
        "stages[0].merge.approvals",
        "expected an integer, found a string",
    ),
    "a-mapping-where-a-list-belongs": Case(
        {"pipelines/web.yaml": "name: web\nstages:\n  name: staging\n"},
        "pipelines/web.yaml:3:3",
        "stages",
        "expected a list, found a mapping",
    ),
    "a-null-where-a-mapping-belongs": Case(
        {"promoter.yaml": configdir.SETTINGS + "git:\n"},
        "promoter.yaml:7:1",
        "git",
        "expected a mapping, found nothing (null)",
    ),
    "a-file-that-is-not-a-mapping": Case(
        {"pipelines/web.yaml": "- name: web\n"},
        "pipelines/web.yaml:1:1",
        "",
        "expected a mapping, found a list",
    ),
    "missing-field-points-at-the-mapping-that-lacks-it": Case(
        {
            "pipelines/web.yaml": "name: web\nstages:\n  - applications: [web]\n    targets:\n      - {file: a.yaml, image: a}\n"
        },
        "pipelines/web.yaml:3:5",
        "stages[0].name",
        "missing (required)",
    ),
    "missing-top-level-section": Case(
        {"promoter.yaml": "# settings\nforge:\n  repository: acme/gitops-config\n  token: {env: T}\n"},
        "promoter.yaml:2:1",
        "argocd",
        "missing (required)",
    ),
    "missing-field-in-a-flow-mapping": Case(
        {
            "promoter.yaml": configdir.SETTINGS.replace(
                "argocd:\n  url: https://argocd.example.com\n  token: {env: PROMOTER_ARGOCD_TOKEN}\n",
                "argocd: {token: {env: T}}\n",
            )
        },
        "promoter.yaml:4:9",
        "argocd.url",
        "missing (required)",
    ),
    "bad-duration": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    soak: 5 minutes\n"},
        "pipelines/web.yaml:8:11",
        "stages[0].soak",
        "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds, found '5 minutes'",
    ),
    "negative-duration": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    debounce: -5\n"},
        "pipelines/web.yaml:8:15",
        "stages[0].debounce",
        "a duration cannot be negative (found -5)",
    ),
    "zero-deadline": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    deadline: 0s\n"},
        "pipelines/web.yaml:8:15",
        "stages[0].deadline",
        "must be longer than 0s",
    ),
    "bad-path-syntax-points-at-the-key": Case(
        {
            "pipelines/web.yaml": STAGE_HEAD
            + '      - file: values.yaml\n        set:\n          image..tag: "{version}"\n'
        },
        "pipelines/web.yaml:8:11",
        'stages[0].targets[0].set["image..tag"]',
        "empty key at column 7 of path 'image..tag'",
    ),
    "unknown-placeholder": Case(
        {"pipelines/web.yaml": STAGE_HEAD + '      - file: values.yaml\n        set:\n          image.tag: "{tag}"\n'},
        "pipelines/web.yaml:8:22",
        'stages[0].targets[0].set["image.tag"]',
        "{version} is the only placeholder a value may hold; found {tag}",
    ),
    "float-set-value": Case(
        {"pipelines/web.yaml": STAGE_HEAD + "      - file: values.yaml\n        set: {ratio: 1.10}\n"},
        "pipelines/web.yaml:7:22",
        "stages[0].targets[0].set.ratio",
        'expected a string (quote numbers with a fraction: "1.10")',
    ),
    "image-with-a-tag": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("ghcr.io/acme/web", "ghcr.io/acme/web:1.0")},
        "pipelines/web.yaml:7:16",
        "stages[0].targets[0].image",
        "write the image without a tag or digest (ghcr.io/acme/web): the version supplies it",
    ),
    "image-with-a-digest": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("ghcr.io/acme/web", "ghcr.io/acme/web@sha256:" + "a" * 64)},
        "pipelines/web.yaml:7:16",
        "stages[0].targets[0].image",
        "write the image without a tag or digest (ghcr.io/acme/web): the version supplies it",
    ),
    "not-an-image": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("ghcr.io/acme/web", '"ghcr.io/acme/{{ .Values.app }}"')},
        "pipelines/web.yaml:7:16",
        "stages[0].targets[0].image",
        "expected an image name such as ghcr.io/acme/app",
    ),
    "target-with-both-image-and-set": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + '        set: {image.tag: "{version}"}\n'},
        "pipelines/web.yaml:6:9",
        "stages[0].targets[0]",
        "a target has exactly one of image or set",
    ),
    "target-with-neither": Case(
        {"pipelines/web.yaml": STAGE_HEAD + "      - {file: a.yaml}\n"},
        "pipelines/web.yaml:6:9",
        "stages[0].targets[0]",
        "a target has exactly one of image or set",
    ),
    "container-on-a-set-target": Case(
        {"pipelines/web.yaml": STAGE_HEAD + "      - {file: a.yaml, set: {a: b}, container: web}\n"},
        "pipelines/web.yaml:6:9",
        "stages[0].targets[0]",
        "container applies to image targets only",
    ),
    "a-target-names-neither-resource-nor-file": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("file: envs/staging/web.yaml", "doc: 0")},
        "pipelines/web.yaml:6:9",
        "stages[0].targets[0]",
        "name the resource (resource: Kind/name) or the file (file: PATH)",
    ),
    "dotdot-in-a-file-path": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("envs/staging/web.yaml", "envs/../../web.yaml")},
        "pipelines/web.yaml:6:15",
        "stages[0].targets[0].file",
        "a file of the config repo cannot leave it: '..' is not allowed",
    ),
    "absolute-file-path": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("envs/staging/web.yaml", "/etc/web.yaml")},
        "pipelines/web.yaml:6:15",
        "stages[0].targets[0].file",
        "a file of the config repo is written relative to the repository root",
    ),
    "the-repo-root-is-not-a-file": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("envs/staging/web.yaml", "./")},
        "pipelines/web.yaml:6:15",
        "stages[0].targets[0].file",
        "expected a file of the config repo",
    ),
    "empty-file-path": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("envs/staging/web.yaml", "' '")},
        "pipelines/web.yaml:6:15",
        "stages[0].targets[0].file",
        "must not be empty",
    ),
    "password-in-an-http-url": Case(
        {
            "promoter.yaml": configdir.SETTINGS.replace(
                "https://argocd.example.com", "https://admin:pw@argocd.example.com"
            )
        },
        "promoter.yaml:5:8",
        "argocd.url",
        "the URL holds a password: give the token as {env: NAME} or {file: PATH} instead",
    ),
    "yaml-syntax-error-in-the-settings": Case(
        {"promoter.yaml": "forge:\n  token: {env: T\n"},
        "promoter.yaml:3:1",
        "",
        "while parsing a flow mapping: expected ',' or '}', but got '<stream end>'",
    ),
    "literal-secret": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("{env: PROMOTER_GITHUB_TOKEN}", "ghp_hunter2")},
        "promoter.yaml:3:10",
        "forge.token",
        "a secret is never written in the config: write {env: NAME} or {file: PATH}",
    ),
    "secret-with-both-references": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("{env: PROMOTER_GITHUB_TOKEN}", "{env: T, file: t}")},
        "promoter.yaml:3:10",
        "forge.token",
        "write exactly one of {env: NAME} or {file: PATH}",
    ),
    "bad-environment-variable-name": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("{env: PROMOTER_GITHUB_TOKEN}", "{env: $TOKEN}")},
        "promoter.yaml:3:16",
        "forge.token.env",
        "expected a variable name",
    ),
    "password-in-the-store-url": Case(
        {"promoter.yaml": configdir.SETTINGS + "store:\n  url: postgresql://promoter:hunter2@db/promoter\n"},
        "promoter.yaml:8:8",
        "store.url",
        "the URL holds a password: write {env: NAME} or {file: PATH} instead",
    ),
    "store-url-of-another-kind": Case(
        {"promoter.yaml": configdir.SETTINGS + "store: {url: 'mysql://db/promoter'}\n"},
        "promoter.yaml:7:14",
        "store.url",
        "expected a sqlite:/// or postgresql:// URL",
    ),
    "store-secret-reference-with-a-typo": Case(
        {"promoter.yaml": configdir.SETTINGS + "store: {url: {fil: db-url}}\n"},
        "promoter.yaml:7:15",
        "store.url.fil",
        "unknown key (did you mean file? expected one of: env, file)",
    ),
    "not-an-http-url": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("https://argocd.example.com", "argocd.example.com")},
        "promoter.yaml:5:8",
        "argocd.url",
        "expected an http:// or https:// URL",
    ),
    "argocd-insecure-and-a-ca-file": Case(
        {"promoter.yaml": configdir.SETTINGS + "  insecure: true\n  ca_file: certs/argocd-ca.pem\n"},
        "promoter.yaml:5:3",
        "argocd",
        "insecure skips verifying the certificate and ca_file verifies it: write one",
    ),
    "bad-repository": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("acme/gitops-config", "gitops-config")},
        "promoter.yaml:2:15",
        "forge.repository",
        "expected owner/name",
    ),
    "another-forge": Case(
        {"promoter.yaml": configdir.SETTINGS.replace("forge:\n", "forge:\n  type: gitlab\n")},
        "promoter.yaml:2:9",
        "forge.type",
        "expected 'github'",
    ),
    "another-strategy": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    strategy: canary\n"},
        "pipelines/web.yaml:8:15",
        "stages[0].strategy",
        "'canary' needs its settings: write strategy: {canary: {...}} (or strategy: rolling)",
    ),
    "merge-method": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    merge: {method: rebase}\n"},
        "pipelines/web.yaml:8:21",
        "stages[0].merge.method",
        "expected 'merge' or 'squash'",
    ),
    "negative-approvals": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "    merge: {approvals: -1}\n"},
        "pipelines/web.yaml:8:24",
        "stages[0].merge.approvals",
        "must be at least 0",
    ),
    "bad-name": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("name: staging", "name: Staging_1")},
        "pipelines/web.yaml:3:11",
        "stages[0].name",
        "a name is lowercase letters, digits and '-', not starting with '-'",
    ),
    "no-applications": Case(
        {"pipelines/web.yaml": configdir.PIPELINE.replace("[web-staging]", "[]")},
        "pipelines/web.yaml:4:19",
        "stages[0].applications",
        "must not be empty",
    ),
    "no-stages": Case(
        {"pipelines/web.yaml": "name: web\nstages: []\n"},
        "pipelines/web.yaml:2:9",
        "stages",
        "must not be empty",
    ),
    "bad-base-branch": Case(
        {"pipelines/web.yaml": "base_branch: main branch\n" + configdir.PIPELINE},
        "pipelines/web.yaml:1:14",
        "base_branch",
        "expected a branch name",
    ),
    "duplicate-stage-names": Case(
        {
            "pipelines/web.yaml": configdir.PIPELINE
            + "  - name: staging\n    applications: [b]\n    targets: [{file: b.yaml, image: b}]\n"
        },
        "pipelines/web.yaml:8:11",
        "stages[1].name",
        "stage 'staging' is already defined at line 3",
    ),
    "yaml-syntax-error-points-at-its-mark": Case(
        {"pipelines/web.yaml": "name: web\nstages: x: y\n"},
        "pipelines/web.yaml:2:10",
        "",
        "mapping values are not allowed here",
    ),
    "unclosed-flow-sequence": Case(
        {"pipelines/web.yaml": "name: web\nlabels: [a, b\nstages: []\n"},
        "pipelines/web.yaml:3:7",
        "",
        "while parsing a flow sequence: expected ',' or ']', but got ':'",
    ),
    "duplicate-yaml-key": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "name: api\n"},
        "pipelines/web.yaml:8:1",
        "",
        "duplicate key (first at line 1)",
    ),
    "two-documents": Case(
        {"pipelines/web.yaml": configdir.PIPELINE + "---\n" + configdir.PIPELINE},
        "pipelines/web.yaml:8:1",
        "",
        "expected a single document in the stream: but found another document",
    ),
    "several-pipelines-in-one-file": Case(
        {"pipelines/web.yaml": "pipelines:\n  - name: api\n    stages: []\n"},
        "pipelines/web.yaml:3:13",
        "pipelines[0].stages",
        "must not be empty",
    ),
    "empty-pipeline-file": Case(
        {"pipelines/web.yaml": "# nothing yet\n"},
        "pipelines/web.yaml:1:1",
        "",
        "expected a mapping, found nothing (null)",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_problem_location(tmp_path: Path, case: Case) -> None:
    directory = configdir.write(tmp_path, case.files)
    file, line, column = case.where.split(":")
    assert problems(directory) == [Problem(directory / file, int(line), int(column), case.field, case.message)]


def test_a_literal_secret_is_never_shown(tmp_path: Path) -> None:
    text = configdir.SETTINGS.replace("{env: PROMOTER_GITHUB_TOKEN}", "ghp_hunter2") + (
        "store:\n  url: postgresql://promoter:hunter3@db/promoter\n"
    )
    text = text.replace("{env: PROMOTER_ARGOCD_TOKEN}", "{env: 12345hunter4}")
    with pytest.raises(ConfigError) as caught:
        loading.load(configdir.write(tmp_path, {"promoter.yaml": text}))
    assert len(caught.value.problems) == 3
    for shown in (str(caught.value), repr(caught.value.problems)):
        assert "hunter" not in shown


def test_duplicate_pipeline_names_across_files_name_both(tmp_path: Path) -> None:
    directory = configdir.write(tmp_path, {"pipelines/zz.yml": "# the same again\n" + configdir.PIPELINE})
    first = directory / "pipelines" / "web.yaml"
    assert problems(directory) == [
        Problem(directory / "pipelines/zz.yml", 2, 7, "name", f"pipeline 'web' is also defined at {first}:1:7"),
    ]


def test_duplicate_pipeline_names_within_a_file(tmp_path: Path) -> None:
    several = "pipelines:\n  - name: web\n    stages: [{name: a, applications: [a], targets: [{file: a, image: a}]}]\n"
    several += "  - name: web\n    stages: [{name: a, applications: [a], targets: [{file: a, image: a}]}]\n"
    directory = configdir.write(tmp_path, {"pipelines/web.yaml": several})
    file = directory / "pipelines" / "web.yaml"
    assert problems(directory) == [
        Problem(file, 4, 11, "pipelines[1].name", f"pipeline 'web' is also defined at {file}:2:11")
    ]


def test_all_problems_in_all_files_are_reported(tmp_path: Path) -> None:
    directory = configdir.write(
        tmp_path,
        {
            "promoter.yaml": configdir.SETTINGS + "reconcile_interval: soon\nstate: /tmp\n",
            "pipelines/web.yaml": configdir.PIPELINE.replace("ghcr.io/acme/web", "ghcr.io/acme/web:1")
            + "    soak: x\n",
            "pipelines/api.yaml": "name: api\nstages: [\n",
            "pipelines/notes.txt": "not a pipeline, not read",
            "pipelines/.hidden.yaml": "not: read",
        },
    )
    found = [(p.file.name, p.line, p.field) for p in problems(directory)]
    assert found == [
        ("api.yaml", 3, ""),
        ("web.yaml", 7, "stages[0].targets[0].image"),
        ("web.yaml", 8, "stages[0].soak"),
        ("promoter.yaml", 7, "reconcile_interval"),
        ("promoter.yaml", 8, "state"),
    ]


def test_several_problems_in_one_mapping(tmp_path: Path) -> None:
    directory = configdir.write(
        tmp_path, {"pipelines/web.yaml": "name: Web\nlabels: [promoter, '']\nstages:\n  - {}\n"}
    )
    file = directory / "pipelines" / "web.yaml"
    assert problems(directory) == [
        Problem(file, 1, 7, "name", "a name is lowercase letters, digits and '-', not starting with '-'"),
        Problem(file, 2, 20, "labels[1]", "must not be empty"),
        Problem(file, 4, 5, "stages[0].name", "missing (required)"),
    ]  # applications may be left out: promoter finds those that deploy the stage's files


@pytest.mark.parametrize(
    ("layout", "where", "message"),
    [
        pytest.param(
            {"pipelines/web.yaml": configdir.PIPELINE},
            "promoter.yaml",
            "missing: the global settings (forge, argocd, ...) go here",
            id="no-settings",
        ),
        pytest.param(
            {"promoter.yaml": configdir.SETTINGS},
            "pipelines",
            "missing: a directory with one file per pipeline",
            id="no-pipelines-dir",
        ),
        pytest.param(
            {"promoter.yaml": configdir.SETTINGS, "pipelines/README.md": "x"},
            "pipelines",
            "no pipelines: add a file such as pipelines/NAME.yaml",
            id="no-pipelines",
        ),
    ],
)
def test_missing_files(tmp_path: Path, layout: dict[str, str], where: str, message: str) -> None:
    directory = tmp_path / "config"
    for name, text in layout.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    assert problems(directory) == [Problem(directory / where, None, None, "", message)]


def test_not_a_directory(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [
        Problem(tmp_path / "nope", None, None, "", "not a directory (expected promoter.yaml in it)")
    ]


def test_not_utf8(tmp_path: Path) -> None:
    directory = configdir.write(tmp_path, {})
    (directory / "pipelines" / "web.yaml").write_bytes(b"name: w\xffb\n")
    assert problems(directory) == [Problem(directory / "pipelines/web.yaml", None, None, "", "not UTF-8 text (byte 7)")]


def test_problem_text() -> None:
    assert str(Problem(Path("c/p.yaml"), 3, 5, "stages[0].soak", "bad")) == "c/p.yaml:3:5: stages[0].soak: bad"
    assert str(Problem(Path("c/p.yaml"), 3, 5, "", "bad")) == "c/p.yaml:3:5: bad"
    assert str(Problem(Path("c/p.yaml"), 3, None, "", "bad")) == "c/p.yaml:3: bad"
    assert str(Problem(Path("c"), None, None, "", "bad")) == "c: bad"


def test_types_are_named_as_yaml_names_them(tmp_path: Path) -> None:
    directory = configdir.write(
        tmp_path,
        {
            "promoter.yaml": configdir.SETTINGS + "git: {author_name: 1.5}\nstate_dir: 2024-01-01\n",
            "pipelines/web.yaml": configdir.PIPELINE + "1: x\nlabels: [!custom promoter]\n",
        },
    )
    pipeline, settings = directory / "pipelines/web.yaml", directory / "promoter.yaml"
    assert problems(directory) == [
        Problem(pipeline, 8, 1, '["1"]', "a key must be a string here (quote it)"),
        Problem(pipeline, 9, 10, "labels[0]", "expected a string, found a tagged value"),
        Problem(settings, 7, 20, "git.author_name", "expected a string, found a number"),
        Problem(settings, 8, 12, "state_dir", "expected a string, found a date"),
    ]
