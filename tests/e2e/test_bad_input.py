"""Bad input gives a clear error and pushes nothing."""

from __future__ import annotations

import socket
from collections.abc import Callable

from promoter.core.model import Phase
from tests.conftest import git
from tests.e2e.world import World


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
    world.env["PROMOTER_ARGOCD_URL"] = f"http://127.0.0.1:{port}"
    started = world.cli("start", "app", "--version", "1.0.1", "--config", str(world.config))
    assert started.returncode == 0
    result = world.cli("run", "--once", "--config", str(world.config))
    assert result.returncode == 1
    assert "Argo CD" in result.stdout
    assert "unreachable" in result.stdout.lower() or "connect" in result.stdout.lower(), result.stdout
    assert promoter_branches(world) == []
    assert world.pulls() == []
    # The promotion waits (temporary): once Argo CD answers, it goes on.
    assert world.rt.store.promotions("app")[0].phase is Phase.PROGRESSING
