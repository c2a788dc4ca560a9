"""GitHub's rules the bot meets: mergeable states, drafts, requested reviewers, pending reviews, branch
deletion, reopening, events for the webhook seam, and consistency under concurrent requests."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path

import github
import pytest

from promoter.sandbox.github import records
from promoter.sandbox.github.sandbox import GitHubSandbox
from tests.conftest import git
from tests.sandbox_github.client import Api
from tests.sandbox_github.conftest import Served, Switchboard, client, push

REPO = "/repos/acme/config"


def _open(bot: github.Github, checkout: Path, branch: str, **kwargs: bool) -> github.PullRequest.PullRequest:
    push(checkout, branch, {f"{branch}.yaml": "x: 1\n"})
    return bot.get_repo("acme/config").create_pull(title=branch, body="", head=branch, base="main", **kwargs)


def test_mergeable_state_follows_checks_and_drafts(bot: github.Github, checkout: Path) -> None:
    repo = bot.get_repo("acme/config")
    pr = _open(bot, checkout, "feature")
    head = pr.head.sha
    run = repo.create_check_run("analysis", head, status="in_progress")
    assert (run.status, run.conclusion) == ("in_progress", None)
    assert repo.get_pull(pr.number).mergeable_state == "unstable"
    run.edit(conclusion="neutral")
    repo.get_commit(head).create_status("failure", context="ci")
    assert repo.get_pull(pr.number).mergeable_state == "unstable"
    repo.get_commit(head).create_status("success", context="ci")
    assert repo.get_pull(pr.number).mergeable_state == "clean"

    draft = _open(bot, checkout, "draft", draft=True)
    assert (draft.draft, draft.mergeable_state) == (True, "draft")
    with pytest.raises(github.GithubException) as refused:
        draft.merge()
    assert refused.value.status == 405


def test_a_push_moves_the_head_and_makes_old_reviews_stale(sandbox: Served, bot: github.Github, checkout: Path) -> None:
    events: list[records.Event] = []
    sandbox.sandbox.subscribe(events.append)
    pr = _open(bot, checkout, "feature")
    pr.create_review_request(reviewers=["alice", "bob"])
    assert [u.login for u in pr.get_review_requests()[0]] == ["alice", "bob"]
    alice = client(sandbox, "alice").get_repo("acme/config").get_pull(pr.number)
    approval = alice.create_review(event="APPROVE", body="ship it")
    assert [u.login for u in bot.get_repo("acme/config").get_pull(pr.number).requested_reviewers] == ["bob"]

    moved = push(checkout, "feature", {"later.yaml": "y: 2\n"})
    again = bot.get_repo("acme/config").get_pull(pr.number)
    assert again.head.sha == moved != approval.commit_id
    pending = alice.create_review()
    assert pending.state == "PENDING"
    assert [r.state for r in alice.get_reviews()] == ["APPROVED", "PENDING"]
    assert [r.state for r in again.get_reviews()] == ["APPROVED"]
    assert [(e.name, e.action) for e in events] == [
        ("pull_request", "opened"),
        ("pull_request", "review_requested"),
        ("pull_request", "review_requested"),
        ("pull_request_review", "submitted"),
        ("pull_request", "synchronize"),
    ]


def test_deleting_the_head_branch_closes_the_pull_request(bot: github.Github, checkout: Path) -> None:
    repo = bot.get_repo("acme/config")
    pr = _open(bot, checkout, "feature")
    repo.get_git_ref("heads/feature").delete()
    closed = repo.get_pull(pr.number)
    assert (closed.state, closed.merged) == ("closed", False)
    with pytest.raises(github.GithubException) as reopen:
        closed.edit(state="open")
    assert reopen.value.status == 422
    with pytest.raises(github.GithubException) as default:
        repo.get_git_ref("heads/main").delete()
    assert default.value.status == 422


def test_a_merged_pull_request_stays_closed_and_keeps_its_tips(
    bot: github.Github, checkout: Path, origin: Path
) -> None:
    repo = bot.get_repo("acme/config")
    pr = _open(bot, checkout, "feature")
    head, base = pr.head.sha, pr.base.sha
    pr.merge(merge_method="squash")
    repo.get_git_ref("heads/feature").delete()
    merged = repo.get_pull(pr.number)
    assert (merged.head.sha, merged.base.sha, merged.mergeable) == (head, base, None)
    assert repo.get_issue(pr.number).pull_request.merged_at is not None
    with pytest.raises(github.GithubException) as reopen:
        merged.edit(state="open")
    assert reopen.value.status == 422
    assert git(origin, "log", "-1", "--format=%s", "main") == "feature (#1)"


def test_changing_the_base_and_the_issue_side(bot: github.Github, checkout: Path, origin: Path) -> None:
    repo = bot.get_repo("acme/config")
    git(origin, "branch", "staging", "main")
    pr = _open(bot, checkout, "feature")
    pr.edit(base="staging")
    assert repo.get_pull(pr.number).base.ref == "staging"
    issue = repo.get_issue(pr.number)
    issue.edit(assignees=["alice"], labels=["promoter"])
    again = repo.get_issue(pr.number)
    assert ([a.login for a in again.assignees], [x.name for x in again.labels]) == (["alice"], ["promoter"])
    issue.edit(state="closed")
    assert repo.get_pull(pr.number).state == "closed"
    comment = issue.create_comment("bye")
    comment.delete()
    assert list(issue.get_comments()) == []


def test_concurrent_comments_and_merges_stay_consistent(
    sandbox: Served, api: Callable[[str | None], Api], checkout: Path, origin: Path
) -> None:
    bot = api("promoter-bot")
    numbers = []
    for n in range(4):
        push(checkout, f"branch-{n}", {f"file-{n}.yaml": f"n: {n}\n"})
        numbers.append(
            bot("POST", f"{REPO}/pulls", json={"title": f"{n}", "head": f"branch-{n}", "base": "main"}).json()["number"]
        )
    token = sandbox.token("promoter-bot")

    def comment(n: int) -> int:
        each = Api(sandbox.url, token, set())
        created = each("POST", f"{REPO}/issues/{numbers[0]}/comments", json={"body": f"c{n}"}).json()["id"]
        each.close()
        return int(created)

    def merge(number: int) -> int:
        each = Api(sandbox.url, token, set())
        status = each("PUT", f"{REPO}/pulls/{number}/merge", json={"merge_method": "merge"}).status_code
        each.close()
        return status

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(comment, range(16)))
        statuses = list(pool.map(merge, [numbers[1], numbers[1], numbers[2], numbers[3]]))
    assert len(set(ids)) == 16
    assert len(bot("GET", f"{REPO}/issues/{numbers[0]}/comments", params={"per_page": "100"}).json()) == 16
    assert sorted(statuses) == [200, 200, 200, 405]
    merges = git(origin, "log", "--merges", "--format=%s", "main").splitlines()
    assert sorted(merges) == [f"Merge pull request #{n} from acme/branch-{n - 1}" for n in numbers[1:]]
    for n in range(1, 4):
        assert git(origin, "show", f"main:file-{n}.yaml") == f"n: {n}"


def test_merge_methods_can_be_disallowed(origin: Path, checkout: Path, switchboard: Switchboard) -> None:
    with switchboard.plugged(GitHubSandbox(origin, "acme/config", merge_methods=("squash",))) as sandbox:
        bot = client(sandbox, "promoter-bot")
        pr = _open(bot, checkout, "feature")
        assert not bot.get_repo("acme/config").allow_merge_commit
        with pytest.raises(github.GithubException) as refused:
            pr.merge(merge_method="merge")
        assert (refused.value.status, refused.value.data["message"]) == (
            405,
            "Merge commits are not allowed on this repository.",
        )
        assert pr.merge(merge_method="squash").merged


def test_construction_checks_its_arguments(origin: Path, fast_tmp: Path) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        GitHubSandbox(origin, "config")
    with pytest.raises(ValueError, match="not a bare git repository"):
        GitHubSandbox(fast_tmp, "acme/config")
    sandbox = GitHubSandbox(origin, "acme/config")
    assert sandbox.forge.default_branch == "main"
    assert sandbox.clone_url == origin.resolve().as_uri()
    with pytest.raises(RuntimeError):
        _ = sandbox.url


def test_a_sandbox_serves_itself(origin: Path) -> None:
    with GitHubSandbox(origin, "acme/config") as sandbox:
        gh = github.Github(base_url=sandbox.url, auth=github.Auth.Token(sandbox.token("alice")), retry=None)
        assert gh.get_repo("acme/config").url == f"{sandbox.url}{REPO}"
        assert sandbox.stats()["requests"] == 1
        gh.close()
    with pytest.raises(RuntimeError):
        _ = sandbox.url


def test_a_push_that_deletes_the_head_closes_the_pull_request(
    sandbox: Served, bot: github.Github, checkout: Path
) -> None:
    events: list[records.Event] = []
    sandbox.sandbox.subscribe(events.append)
    pr = _open(bot, checkout, "feature")
    git(checkout, "push", "-q", "origin", "--delete", "feature")
    repo = bot.get_repo("acme/config")
    assert list(repo.get_pulls(state="open")) == []
    assert (repo.get_pull(pr.number).state, repo.get_issue(pr.number).closed_by) == ("closed", None)
    assert (events[-1].name, events[-1].action, events[-1].sender) == ("pull_request", "closed", None)
