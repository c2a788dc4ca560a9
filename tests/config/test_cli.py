"""``promoter validate``: exit 0 with a summary, or exit 2 with one ``file:line:column: field: message`` per problem.

The real command line runs in a subprocess, as users and scripts run it; the other cases call the command
through click's runner (faster), with the environment the command sees given explicitly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from promoter.cli import validate
from tests.config import configdir


def run(*args: str, env: dict[str, str | None] | None = None, online: bool = False) -> Result:
    """The command, offline unless asked (the files only: the example's repo is on github.com)."""
    options = list(args) if online else ["--offline", *args]
    return CliRunner().invoke(validate.validate, options, env={"PROMOTER_CONFIG": None, **(env or {})})


def promoter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMOTER_")}
    return subprocess.run(
        [sys.executable, "-m", "promoter", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_accepts_the_example(tmp_path: Path) -> None:
    result = promoter("validate", "--offline", "--config", str(configdir.EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{configdir.EXAMPLE}: 1 pipeline, 2 stages, 2 applications\n")


def test_the_command_line_refuses_with_2(tmp_path: Path) -> None:
    configdir.write(tmp_path, {"pipelines/web.yaml": configdir.PIPELINE.replace("web-staging", "")})
    result = promoter("validate", "--offline", "--config", "config", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "config/pipelines/web.yaml:4:19: stages[0].applications: must not be empty\npromoter: 1 problem in config\n"
    )


def test_the_example_is_valid() -> None:
    result = run("--config", str(configdir.EXAMPLE))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{configdir.EXAMPLE}: 1 pipeline, 2 stages, 2 applications\n"
        "  guestbook: staging (guestbook-staging) -> prod (guestbook-prod)\n"
    )
    assert result.stderr == ""


def test_problems_go_to_stderr_and_exit_2(tmp_path: Path) -> None:
    directory = configdir.write(
        tmp_path,
        {
            "promoter.yaml": configdir.SETTINGS.replace("{env: PROMOTER_GITHUB_TOKEN}", "ghp_hunter2"),
            "pipelines/web.yaml": configdir.PIPELINE + "    soak: -1s\n",
        },
    )
    result = run("--config", str(directory))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"{directory}/pipelines/web.yaml:8:11: stages[0].soak: a duration cannot be negative (found '-1s')\n"
        f"{directory}/promoter.yaml:3:10: forge.token: a secret is never written in the config: "
        "write {env: NAME} or {file: PATH}\n"
        f"promoter: 2 problems in {directory}\n"
    )
    assert "hunter2" not in result.output


def test_config_from_the_environment(tmp_path: Path) -> None:
    directory = configdir.write(tmp_path, {})
    result = run(env={"PROMOTER_CONFIG": str(directory)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{directory}: 1 pipeline, 1 stage, 1 application\n")


def test_config_defaults_to_dot_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configdir.write(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("config: 1 pipeline")


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"{tmp_path}/nope: not a directory (expected promoter.yaml in it)\npromoter: 1 problem in {tmp_path}/nope\n"
    )


def test_secrets_are_not_resolved(tmp_path: Path) -> None:
    text = configdir.SETTINGS.replace("{env: PROMOTER_ARGOCD_TOKEN}", "{file: /nonexistent/token}")
    result = run(
        "--config", str(configdir.write(tmp_path, {"promoter.yaml": text})), env={"PROMOTER_GITHUB_TOKEN": None}
    )
    assert result.exit_code == 0, result.output


def test_the_base_branch_must_exist_when_the_repo_can_be_reached(
    tmp_path: Path, make_bare_repo: Callable[[dict[str, str]], Path]
) -> None:
    bare = make_bare_repo({"envs/staging/web.yaml": "image: ghcr.io/acme/web:1.0\n"})
    env = {"PROMOTER_CLONE_URL": bare.as_uri(), "PROMOTER_GITHUB_TOKEN": "t"}
    good = configdir.write(tmp_path / "good", {})
    assert run("--config", str(good), env=env, online=True).exit_code == 0

    master = configdir.PIPELINE.replace("name: web\n", "name: web\nbase_branch: master\n")
    bad = configdir.write(tmp_path / "bad", {"pipelines/web.yaml": master})
    result = run("--config", str(bad), env=env, online=True)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{bad}/pipelines/web.yaml:2:14: base_branch: the config repo {bare.as_uri()} has no branch 'master' "
        "(branches: main)\n"
    )


def test_an_unreachable_repo_is_a_note_not_a_refusal(tmp_path: Path) -> None:
    env = {"PROMOTER_CLONE_URL": (tmp_path / "nowhere.git").as_uri(), "PROMOTER_GITHUB_TOKEN": "t"}
    result = run("--config", str(configdir.write(tmp_path, {})), env=env, online=True)
    assert result.exit_code == 0, result.output
    assert "promoter: note: base branches not checked: cannot reach" in result.stderr
