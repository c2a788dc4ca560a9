"""End to end over HTTP: the bot against the GitHub sandbox and the Argo CD simulator, real git throughout."""

from __future__ import annotations

import json
from collections.abc import Callable

from promoter.core.model import Phase
from tests.e2e.world import FAST, REPO_FILES, At, World

STATUS_MARKER = "<!-- promoter:status "


def test_a_good_version_goes_through_staging_and_prod(world: World) -> None:
    promotion = world.start("1.1.0")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED, done.reason

    staging = world.main_file("envs/staging/deployment.yaml").decode()
    prod = world.main_file("envs/prod/deployment.yaml")
    assert staging == REPO_FILES["envs/staging/deployment.yaml"].replace("app:1.0.0", "app:1.1.0")
    assert prod == REPO_FILES["envs/prod/deployment.yaml"].replace("app:1.0.0", "app:1.1.0").encode()  # CRLF kept

    pulls = world.pulls()
    assert [p.head.ref for p in pulls] == [f"promoter/app/{promotion.id}/0-0", f"promoter/app/{promotion.id}/1-0"]
    for pr in pulls:
        assert pr.merged
        assert "promoter" in [label.name for label in pr.labels]
        assert "<!-- promoter:" in pr.body and "### Plan" in pr.body
        comments = [c for c in pr.get_issue_comments() if STATUS_MARKER in c.body]
        assert len(comments) == 1, "one status comment, edited in place"
        assert "verified" in comments[0].body
        statuses = world.repo_as().get_commit(pr.merge_commit_sha).get_statuses()
        assert any(s.context == "promoter" and s.state == "success" for s in statuses)
    kinds = [e.kind.value for e in world.rt.store.events("app", promotion.id)]
    assert kinds == [
        "promotion_started",
        "stage_started",
        "step_pr_opened",
        "step_merged",
        "step_verified",
        "stage_done",
        "stage_started",
        "step_pr_opened",
        "step_merged",
        "step_verified",
        "promotion_succeeded",
    ]


def test_a_bad_version_is_reverted_held_and_never_reaches_prod(world: World) -> None:
    promotion = world.start("1.2.0-bad")
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "Degraded" in done.reason

    # The revert restores staging byte for byte; prod was never touched.
    assert world.main_file("envs/staging/deployment.yaml").decode() == REPO_FILES["envs/staging/deployment.yaml"]
    assert world.main_file("envs/prod/deployment.yaml").decode() == REPO_FILES["envs/prod/deployment.yaml"]
    step_pr, revert_pr = world.pulls()
    assert step_pr.merged and revert_pr.merged
    assert revert_pr.head.ref == f"promoter/app/{promotion.id}/0-revert"
    assert "revert" in [label.name for label in revert_pr.labels]
    evidence = next(c.body for c in step_pr.get_issue_comments() if STATUS_MARKER in c.body)
    assert "Degraded" in evidence and "app-staging" in evidence
    failure = [
        s for s in world.repo_as().get_commit(step_pr.merge_commit_sha).get_statuses() if s.context == "promoter"
    ]
    assert failure[0].state == "failure"

    step = world.at(done.id)
    assert step.state is At.REVERTED
    assert [h.version for h in world.rt.store.holds("app")] == ["1.2.0-bad"]
    events = world.rt.store.events("app", promotion.id)
    failed = next(e for e in events if e.kind.value == "step_failed")
    assert failed.evidence["merge_sha"] == step_pr.merge_commit_sha
    assert "Degraded" in str(failed.evidence["apps"])

    refused = world.cli("start", "app", "--version", "1.2.0-bad", "--config", str(world.config))
    assert refused.returncode == 2
    assert "on hold" in refused.stderr


def test_prod_waits_for_an_approval(make_world: Callable[..., World]) -> None:
    world = make_world(approvals=1)
    promotion = world.start("1.3.0")
    waiting = world.drive(promotion.id, until=lambda p, s: p.stage == 1 and s.state is At.OPEN)
    world.drive(promotion.id, until=lambda p, s: "approval" in p.reason)
    assert "waits for 1 more approval" in world.promotion(waiting.id).reason
    pr = world.repo_as().get_pull(world.at(waiting.id).pr_number)
    assert not pr.merged
    # An approval by the bot itself does not count; a person's does.
    pr_as_alice = world.repo_as("alice").get_pull(pr.number)
    pr_as_alice.create_review(event="APPROVE", body="ship it")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED


def test_a_pr_closed_by_a_person_aborts_the_promotion(make_world: Callable[..., World]) -> None:
    world = make_world(approvals=1)
    promotion = world.start("1.4.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 1 and s.state is At.OPEN)
    number = world.at(promotion.id).pr_number
    world.repo_as("bob").get_pull(number).edit(state="closed")
    done = world.drive(promotion.id)
    assert done.phase is Phase.ABORTED
    assert f"#{number} was closed without merging" in done.reason
    comment = next(c.body for c in world.repo_as().get_issue(number).get_comments() if STATUS_MARKER in c.body)
    assert "aborted" in comment
    assert world.main_file("envs/prod/deployment.yaml").decode() == REPO_FILES["envs/prod/deployment.yaml"]


def test_a_persons_commit_on_the_bots_branch_is_respected(make_world: Callable[..., World]) -> None:
    world = make_world(approvals=1)
    promotion = world.start("1.5.0")
    world.drive(promotion.id, until=lambda p, s: p.stage == 1 and s.state is At.OPEN)
    branch = f"promoter/app/{promotion.id}/1-0"
    fixed = (
        REPO_FILES["envs/prod/deployment.yaml"].replace("app:1.0.0", "app:1.5.0").replace("replicas: 3", "replicas: 4")
    )
    world.person_commit(branch, "envs/prod/deployment.yaml", fixed.encode(), "a person's fix")
    pr = world.repo_as("alice").get_pull(world.at(promotion.id).pr_number)
    pr.create_review(event="APPROVE")
    done = world.drive(promotion.id)
    assert done.phase is Phase.SUCCEEDED
    assert world.main_file("envs/prod/deployment.yaml").decode() == fixed


def test_a_revert_that_conflicts_with_a_persons_commit_asks_for_help(world: World) -> None:
    promotion = world.start("1.6.0-bad")
    # The rollout stays Progressing until the person's commit is in: else, on a slow machine, the merging pass
    # itself could already see it Degraded and revert before the person commits.
    world.scenario(progressing_seconds=3600)
    world.drive(promotion.id, until=lambda p, s: s.state is At.MERGED)
    # A person edits the same line (the image stays the bad one, so the step still fails).
    hotfix = REPO_FILES["envs/staging/deployment.yaml"].replace(
        "app:1.0.0   # promoted", "app:1.6.0-bad   # pinned by hand"
    )
    person = world.person_commit("main", "envs/staging/deployment.yaml", hotfix.encode(), "pin by hand")
    world.scenario(progressing_seconds=FAST.progressing_seconds)
    done = world.drive(promotion.id)
    assert done.phase is Phase.FAILED
    assert "needs a person" in done.reason
    step = world.at(done.id)
    assert step.state is At.STUCK
    revert = world.repo_as().get_pull(step.revert_pr_number)
    assert not revert.merged and revert.state == "open"
    help_comment = next(c.body for c in revert.get_issue_comments() if STATUS_MARKER in c.body)
    assert "needs a person" in help_comment and "envs/staging/deployment.yaml" in help_comment
    # Nothing forced, nothing rewritten: the person's commit is still the head of main.
    assert world.main_log()[0].startswith(person)
    assert world.main_file("envs/staging/deployment.yaml").decode() == hotfix


def test_status_and_plan_commands(world: World) -> None:
    plan = world.cli("plan", "app", "--version", "2.0.0", "--config", str(world.config))
    assert plan.returncode == 0, plan.stderr
    assert "-          image: ghcr.io/acme/app:1.0.0   # promoted" in plan.stdout
    assert "+          image: ghcr.io/acme/app:2.0.0   # promoted" in plan.stdout
    assert "stage 2/2 prod" in plan.stdout
    assert [p.head.ref for p in world.pulls()] == []  # plan writes nothing

    started = world.cli("start", "app", "--version", "2.0.0", "--config", str(world.config))
    assert started.returncode == 0, started.stderr
    (promotion,) = world.rt.store.promotions("app")
    assert f"promotion {promotion.id} of 2.0.0" in started.stdout
    ran = world.cli("run", "--once", "--config", str(world.config))
    assert ran.returncode == 0, ran.stderr
    assert f"app: {promotion.id}" in ran.stdout
    table = world.cli("status", "--config", str(world.config))
    assert "PIPELINE" in table.stdout and promotion.id in table.stdout
    rows = json.loads(world.cli("status", "app", "--json", "--config", str(world.config)).stdout)
    assert rows[0]["version"] == "2.0.0"
    assert rows[0]["phase"] == "Progressing"
    assert rows[0]["pr"] == 1
