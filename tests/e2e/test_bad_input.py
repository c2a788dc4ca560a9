"""Bad input gives a clear error and pushes nothing."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from promoter.cli import main
from promoter.core.model import Phase
from tests.conftest import git
from tests.e2e.world import REPO_FILES, At, World, person_env


def promoter_branches(world: World) -> list[str]:
    return [b for b in git(world.bare, "branch", "--format=%(refname:short)").splitlines() if b.startswith("promoter/")]


def test_invalid_pipeline_config_is_refused_with_file_line_field(world: World) -> None:
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("deadline: 20s", "deadline: soon", 1))
    for args in (("validate",), ("run", "--once"), ("start", "app", "--version", "1.0.1")):
        result = world.cli(*args, "--config", str(world.config))
        assert result.returncode == 2, args
        assert "pipelines/app.yaml:8:15: stages[0].deadline" in result.stderr and "deadline" in result.stderr, (
            result.stderr
        )
    assert promoter_branches(world) == []
    assert world.pulls() == []


def test_a_target_path_missing_in_the_repo_fails_before_anything_is_pushed(world: World) -> None:
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("container: app}", "container: web}"))
    promotion = world.start("1.0.1")
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "envs/staging/deployment.yaml" in done.reason and "container 'web'" in done.reason
    assert promoter_branches(world) == []
    assert world.pulls() == []
    assert world.rt.store.holds("app") == []  # nothing was deployed, nothing to hold


def test_a_missing_file_fails_before_anything_is_pushed(world: World) -> None:
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("envs/staging/deployment.yaml", "envs/staging/missing.yaml"))
    done = world.drive(world.start("1.0.1").id)
    assert done.phase is Phase.FAILED
    assert "envs/staging/missing.yaml: not found on the base branch" in done.reason
    assert promoter_branches(world) == []


def test_an_unknown_argocd_application_fails_before_anything_is_pushed(world: World) -> None:
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("[app-staging]", "[app-stagin]"))
    done = world.drive(world.start("1.0.1").id)
    assert done.phase is Phase.FAILED
    assert "app-stagin" in done.reason and "not found" in done.reason
    assert promoter_branches(world) == []


def test_an_unreachable_argocd_stops_the_pass_and_pushes_nothing(make_world: Callable[..., World]) -> None:
    world = make_world()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    argocd = world.env["PROMOTER_ARGOCD_URL"]
    world.env["PROMOTER_ARGOCD_URL"] = f"http://127.0.0.1:{port}"
    started = world.cli("start", "app", "--version", "1.0.1", "--config", str(world.config))
    assert started.returncode == 0, started.stderr
    assert "could not check everything now" in started.stderr  # said, and checked again before the push
    result = world.cli("run", "--once", "--config", str(world.config))
    assert result.returncode == 1
    assert "Argo CD" in result.stdout
    assert "unreachable" in result.stdout.lower() or "connect" in result.stdout.lower(), result.stdout
    assert promoter_branches(world) == []
    assert world.pulls() == []
    # The promotion waits (temporary): once Argo CD answers, it goes on.
    assert world.rt.store.promotions("app")[0].phase is Phase.PENDING
    world.env["PROMOTER_ARGOCD_URL"] = argocd
    world.restart()
    assert world.drive(world.rt.store.promotions("app")[0].id).phase is Phase.SUCCEEDED


PROD_PROBLEMS = {
    "a wrong Application name in prod": (
        ("[app-prod]", "[app-prd]"),
        "pipelines/app.yaml:11:20: stages[1].applications[0]: prod: Argo CD: Argo CD application 'app-prd'",
    ),
    "a missing prod file": (
        ("envs/prod/deployment.yaml", "envs/prod/missing.yaml"),
        "pipelines/app.yaml:13:16: stages[1].targets[0].file: prod: envs/prod/missing.yaml: not found on the base branch at",
    ),
    "a prod edit that does not apply": (
        ("image: ghcr.io/acme/app}", "image: ghcr.io/acme/other}"),
        "stages[1].targets[0].file: prod: version 1.0.1: cannot edit envs/prod/deployment.yaml",
    ),
}


@pytest.mark.parametrize(("change", "message"), PROD_PROBLEMS.values(), ids=PROD_PROBLEMS.keys())
def test_start_checks_every_stage_before_anything_is_pushed(
    world: World, change: tuple[str, str], message: str
) -> None:
    """Today's stage is fine; tomorrow's is not: refused now, not after staging was merged."""
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace(*change))
    result = world.cli("start", "app", "--version", "1.0.1", "--config", str(world.config))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "nothing was started or pushed" in result.stderr
    assert world.rt.store.promotions("app") == []
    plan = world.cli("plan", "app", "--version", "1.0.1", "--config", str(world.config))
    assert plan.returncode == 2
    assert message.split(": ", 1)[1] in plan.stdout


def test_the_bot_checks_every_stage_before_its_first_push(world: World) -> None:
    """A promotion that reached the store without ``promoter start`` (an API, an older CLI): same checks."""
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("[app-prod]", "[app-prd]"))
    done = world.drive(world.start("1.0.1").id)
    assert done.phase is Phase.FAILED
    assert done.reason.startswith("refused before anything was pushed: prod: Argo CD")
    assert promoter_branches(world) == []
    assert world.pulls() == []


BAD_VERSIONS = ["", " 1.0.1", "1.0.1 ", "1.0;rm -rf /", "$(id)", "1.0|x", "-1.0", "a" * 129, "sha256:abc"]


def test_a_version_that_is_not_a_tag_or_digest_is_refused(world: World) -> None:
    """Each bad version, by both commands that take one; in process (the command line as a subprocess is
    the previous tests' part), so that nine versions cost one world."""
    for version in BAD_VERSIONS:
        for command in ("start", "plan"):
            args = [command, "app", "--version", version, "--config", str(world.config)]
            result = CliRunner().invoke(main.cli, args, env=world.env, catch_exceptions=False)
            assert result.exit_code == 2, (version, command, result.output)
            assert result.stderr.startswith("promoter: --version: "), (version, result.stderr)
    assert world.rt.store.promotions("app") == []
    assert promoter_branches(world) == []


def test_a_missing_base_branch_is_refused(world: World) -> None:
    pipeline = world.config / "pipelines" / "app.yaml"
    pipeline.write_text(pipeline.read_text().replace("name: app\n", "name: app\nbase_branch: master\n"))
    validate = world.cli("validate", "--config", str(world.config))
    assert validate.returncode == 2
    assert "pipelines/app.yaml:2:14: base_branch: the config repo" in validate.stderr
    assert "has no branch 'master' (branches: main)" in validate.stderr
    start = world.cli("start", "app", "--version", "1.0.1", "--config", str(world.config))
    assert start.returncode == 2
    assert "pipelines/app.yaml:2:14: base_branch: the base branch 'master' does not exist" in start.stderr


# A refused token before anything is pushed (Argo CD's: the bot checks the stage's Applications first) stops the
# pipeline, says so at error level and in status, and the promotion goes on where it stopped once it is fixed.
REFUSED_TOKENS = {
    "github": ("PROMOTER_GITHUB_TOKEN", "GitHub refused the token"),
    "argocd": ("PROMOTER_ARGOCD_TOKEN", "Argo CD"),
}


@pytest.mark.parametrize("service", list(REFUSED_TOKENS))
def test_a_wrong_token_before_the_first_push_stops_the_pipeline_and_says_so(world: World, service: str) -> None:
    variable, said = REFUSED_TOKENS[service]
    promotion = world.start("1.0.1")
    world.env[variable] = "not-a-token"
    result = world.cli("--log-json", "run", "--once", "--config", str(world.config))
    assert result.returncode == 1
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in logged if line["level"] == "error"]
    assert errors and errors[0]["event"] == "pipeline_error" and errors[0]["kind"] == "credentials"
    status = world.cli("status", "--config", str(world.config))
    assert "app: credentials error for" in status.stdout and said in status.stdout, status.stdout
    assert world.pulls() == []
    assert not world.promotion(promotion.id).phase.finished  # stopped, not failed: fix the token and it goes on

    world.env[variable] = world.stack.environment()[variable]
    world.restart()
    assert world.drive(promotion.id).phase is Phase.SUCCEEDED  # fixed: it goes on where it stopped
    assert world.rt.store.errors() == {}


def test_a_wrong_argocd_token_after_the_merge_is_told_on_the_pr_and_reverted_at_the_deadline(
    make_world: Callable[..., World],
) -> None:
    world = make_world(deadline="4s")
    promotion = world.start("1.0.1")
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    world.env["PROMOTER_ARGOCD_TOKEN"] = "not-a-token"
    world.restart()
    world.drive(promotion.id, until=lambda p, s: s.blocked is not None)
    step = world.at(promotion.id)
    comment = next(
        c.body for c in world.repo_as().get_issue(step.pr_number).get_comments() if "promoter:status" in c.body
    )
    assert "**blocked**" in comment and "401" in comment and "the stage is reverted" in comment
    assert "step_blocked" in [e.kind.value for e in world.rt.store.events("app", promotion.id)]
    shown = world.cli("status", "--config", str(world.config), env={"COLUMNS": "400"}).stdout
    assert "401" in shown, shown  # status says what blocks the step too
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED and "not verified within 0:00:04" in done.reason
    assert world.main_file("envs/staging/deployment.yaml").decode() == REPO_FILES["envs/staging/deployment.yaml"]


def test_an_application_deleted_after_the_merge_is_told_on_the_pr_and_reverted_at_the_deadline(
    make_world: Callable[..., World],
) -> None:
    """Argo CD no longer knows the stage's Application (a person removed it from the app-of-apps): a permanent
    error, told on the PR, in status and the log; the stage is not left without evidence, and past the deadline
    it is reverted (the revert needs only git and the forge)."""
    world = make_world(deadline="4s")
    promotion = world.start("1.0.2")
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    work = world.root / "person-removes-the-app"
    env = person_env(world.root)
    subprocess.run(["git", "clone", "-q", str(world.bare), str(work)], check=True, env=env, capture_output=True)
    subprocess.run(["git", "rm", "-q", "apps/app-staging.yaml"], cwd=work, check=True, env=env, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "retire app-staging"], cwd=work, check=True, env=env, capture_output=True)
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=work, check=True, env=env, capture_output=True)
    world.drive(promotion.id, until=lambda p, s: s.blocked is not None)
    step = world.at(promotion.id)
    assert step.blocked is not None and "app-staging" in step.blocked
    comment = next(
        c.body for c in world.repo_as().get_issue(step.pr_number).get_comments() if "promoter:status" in c.body
    )
    assert "**blocked**" in comment and "app-staging" in comment and "the stage is reverted" in comment
    shown = world.cli("status", "--config", str(world.config), env={"COLUMNS": "400"}).stdout
    assert "app-staging" in shown, shown
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED and "not verified within 0:00:04" in done.reason
    assert world.main_file("envs/staging/deployment.yaml").decode() == REPO_FILES["envs/staging/deployment.yaml"]
    assert b"1.0.2" not in world.main_file("envs/prod/deployment.yaml")
