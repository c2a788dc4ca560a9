"""PyGithub against the sandbox, as the bot uses it: branches pushed with git, pull requests, comments,
labels, reactions, reviews, statuses, check runs and merges checked in the bare repository with git."""

from __future__ import annotations

from pathlib import Path

import github
import pytest

from tests.conftest import git
from tests.sandbox_github.conftest import Served, client, push

NEW_WEB = {"apps/web/values.yaml": "image:\n  tag: 1.1.0\nreplicas: 2\n"}


def _show(origin: Path, rev: str, path: str) -> str:
    return git(origin, "show", f"{rev}:{path}")


def test_a_promotion_pull_request_from_branch_to_merge(
    sandbox: Served, bot: github.Github, checkout: Path, origin: Path
) -> None:
    main_before = git(origin, "rev-parse", "main")
    head = push(checkout, "promoter/web/1/staging-1", NEW_WEB, "web: 1.1.0 to staging")
    repo = bot.get_repo("acme/config")
    pr = repo.create_pull(
        title="Promote web 1.1.0", body="<!-- promoter:{} -->", head="promoter/web/1/staging-1", base="main"
    )

    found = list(repo.get_pulls(head="acme:promoter/web/1/staging-1"))
    assert [p.number for p in found] == [pr.number]
    assert (pr.head.sha, pr.base.sha, pr.mergeable, pr.mergeable_state) == (head, main_before, True, "clean")
    assert pr.user.login == "promoter-bot"
    assert [f.filename for f in pr.get_files()] == ["apps/web/values.yaml"]

    comment = pr.create_issue_comment("Status: waiting")
    comment.edit("Status: approved")
    assert repo.get_issue(pr.number).get_comments()[0].body == "Status: approved"
    first, again = comment.create_reaction("eyes"), comment.create_reaction("eyes")
    assert first.id == again.id
    assert [r.content for r in comment.get_reactions()] == ["eyes"]

    pr.add_to_labels("promoter", "stage:staging")
    pr.remove_from_labels("stage:staging")
    assert [label.name for label in pr.get_labels()] == ["promoter"]

    approval = client(sandbox, "alice").get_repo("acme/config").get_pull(pr.number).create_review(event="APPROVE")
    assert (approval.state, approval.commit_id, approval.user.login) == ("APPROVED", head, "alice")
    assert [(r.user.login, r.state) for r in pr.get_reviews()] == [("alice", "APPROVED")]

    repo.get_commit(head).create_status("pending", context="promoter", description="analysing")
    repo.get_commit(head).create_status("success", context="promoter", description="healthy")
    combined = repo.get_commit(head).get_combined_status()
    assert (combined.state, [s.state for s in combined.statuses]) == ("success", ["success"])
    run = repo.create_check_run("promoter/analysis", head, status="in_progress")
    run.edit(conclusion="success", output={"title": "healthy", "summary": "error rate 0.1%"})
    runs = repo.get_commit(head).get_check_runs()
    assert [(r.name, r.status, r.conclusion) for r in runs] == [("promoter/analysis", "completed", "success")]

    result = pr.merge(merge_method="merge", sha=head)
    assert result.merged
    merged = repo.get_pull(pr.number)
    assert (merged.merged, merged.state, merged.merge_commit_sha, merged.merged_by.login) == (
        True,
        "closed",
        result.sha,
        "promoter-bot",
    )
    assert merged.is_merged()
    assert git(origin, "rev-parse", "main") == result.sha
    assert git(origin, "log", "-1", "--format=%P", "main").split() == [main_before, head]
    assert git(origin, "log", "-1", "--format=%s", "main") == "Merge pull request #1 from acme/promoter/web/1/staging-1"
    assert _show(origin, "main", "apps/web/values.yaml") == NEW_WEB["apps/web/values.yaml"].strip()


def test_squash_makes_one_commit_with_one_parent(bot: github.Github, checkout: Path, origin: Path) -> None:
    main_before = git(origin, "rev-parse", "main")
    push(checkout, "feature", NEW_WEB, "first")
    push(checkout, "feature", {"apps/api/values.yaml": "image:\n  tag: 2.1.0\n"}, "second")
    pr = bot.get_repo("acme/config").create_pull(title="Both", body="", head="feature", base="main")
    assert (pr.commits, pr.changed_files, pr.additions, pr.deletions) == (2, 2, 2, 2)

    sha = pr.merge(merge_method="squash").sha

    assert git(origin, "log", "-1", "--format=%P", "main") == main_before
    assert git(origin, "log", "-1", "--format=%s%n%n%b", "main").splitlines()[0] == "Both (#1)"
    assert git(origin, "rev-list", "--count", f"{main_before}..{sha}") == "1"
    assert _show(origin, "main", "apps/api/values.yaml") == "image:\n  tag: 2.1.0"
    assert git(origin, "log", "-1", "--format=%an <%ae>|%cn", "main") == (
        "Promoter Bot <101+promoter-bot@users.noreply.github.com>|GitHub"
    )


def test_rebase_replays_each_commit_on_the_moved_base(bot: github.Github, checkout: Path, origin: Path) -> None:
    push(checkout, "feature", NEW_WEB, "web bump")
    push(checkout, "feature", {"apps/web/extra.yaml": "a: 1\n"}, "extra file")
    pr = bot.get_repo("acme/config").create_pull(title="Rebase me", body="", head="feature", base="main")
    moved = push(checkout, "main", {"README.md": "# config, moved\n"}, "unrelated change on main")

    sha = pr.merge(merge_method="rebase").sha

    subjects = git(origin, "log", "--format=%s", f"{moved}..{sha}").splitlines()
    assert subjects == ["extra file", "web bump"]
    assert git(origin, "rev-list", "--merges", "--count", f"{moved}..{sha}") == "0"
    assert git(origin, "log", "-1", "--format=%an|%cn", "main") == "Test Person|GitHub"
    assert _show(origin, "main", "README.md") == "# config, moved"
    assert _show(origin, "main", "apps/web/extra.yaml") == "a: 1"
    assert _show(origin, "main", "apps/web/values.yaml") == NEW_WEB["apps/web/values.yaml"].strip()


def test_a_conflict_is_405_and_shows_as_dirty(bot: github.Github, checkout: Path, origin: Path) -> None:
    repo = bot.get_repo("acme/config")
    push(checkout, "one", NEW_WEB)
    push(checkout, "two", {"apps/web/values.yaml": "image:\n  tag: 9.9.9\nreplicas: 2\n"})
    first = repo.create_pull(title="one", body="", head="one", base="main")
    second = repo.create_pull(title="two", body="", head="two", base="main")
    first.merge()
    main_after_first = git(origin, "rev-parse", "main")

    again = repo.get_pull(second.number)
    assert (again.mergeable, again.mergeable_state) == (False, "dirty")
    for method in ("merge", "squash", "rebase"):
        with pytest.raises(github.GithubException) as refused:
            again.merge(merge_method=method)
        assert refused.value.status == 405
    assert git(origin, "rev-parse", "main") == main_after_first


def test_a_stale_sha_is_409_and_merging_twice_is_405(bot: github.Github, checkout: Path, origin: Path) -> None:
    old = push(checkout, "feature", NEW_WEB)
    pr = bot.get_repo("acme/config").create_pull(title="t", body="", head="feature", base="main")
    push(checkout, "feature", {"apps/web/more.yaml": "b: 2\n"})
    with pytest.raises(github.GithubException) as stale:
        pr.merge(sha=old)
    assert (stale.value.status, stale.value.data["message"]) == (
        409,
        "Head branch was modified. Review and try the merge again.",
    )
    pr.merge()
    with pytest.raises(github.GithubException) as twice:
        pr.merge()
    assert twice.value.status == 405


def test_close_without_merge_then_reopen(bot: github.Github, checkout: Path) -> None:
    push(checkout, "feature", NEW_WEB)
    repo = bot.get_repo("acme/config")
    pr = repo.create_pull(title="t", body="", head="feature", base="main")
    pr.edit(state="closed")
    closed = repo.get_pull(pr.number)
    assert (closed.state, closed.merged, closed.mergeable_state) == ("closed", False, "unknown")
    assert list(repo.get_pulls(head="acme:feature")) == []
    assert [p.number for p in repo.get_pulls(state="closed")] == [pr.number]
    pr.edit(state="open", title="again")
    assert (repo.get_pull(pr.number).state, repo.get_issue(pr.number).title) == ("open", "again")


def test_duplicates_and_missing_heads_are_422(bot: github.Github, checkout: Path) -> None:
    push(checkout, "feature", NEW_WEB)
    repo = bot.get_repo("acme/config")
    repo.create_pull(title="t", body="", head="acme:feature", base="main")
    with pytest.raises(github.GithubException) as duplicate:
        repo.create_pull(title="t", body="", head="feature", base="main")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["message"] == "A pull request already exists for acme:feature."
    with pytest.raises(github.GithubException) as missing:
        repo.create_pull(title="t", body="", head="no-such-branch", base="main")
    assert (missing.value.status, missing.value.data["errors"][0]["field"]) == (422, "head")


def test_permissions_as_the_bot_reads_them(sandbox: Served, bot: github.Github) -> None:
    repo = bot.get_repo("acme/config")
    permissions = {
        login: repo.get_collaborator_permission(login) for login in ("alice", "bob", "carol", "promoter-bot")
    }
    assert permissions == {"alice": "admin", "bob": "write", "carol": "read", "promoter-bot": "write"}
    assert repo.permissions.push
    assert not repo.permissions.admin
    assert bot.get_user().login == "promoter-bot"


def test_a_bad_token_is_401(sandbox: Served) -> None:
    stranger = github.Github(base_url=sandbox.url, auth=github.Auth.Token("nope"), retry=None)
    with pytest.raises(github.BadCredentialsException) as refused:
        stranger.get_repo("acme/config")
    assert refused.value.data["message"] == "Bad credentials"


def test_a_reader_may_comment_but_not_change_the_repository(
    sandbox: Served, bot: github.Github, checkout: Path
) -> None:
    head = push(checkout, "feature", NEW_WEB)
    carol = client(sandbox, "carol").get_repo("acme/config")
    with pytest.raises(github.GithubException) as create:
        carol.create_pull(title="t", body="", head="feature", base="main")
    assert create.value.status == 403

    pr = bot.get_repo("acme/config").create_pull(title="t", body="", head="feature", base="main")
    bots_comment = pr.create_issue_comment("bot status")
    as_carol = carol.get_pull(pr.number)
    own = as_carol.create_issue_comment("/promote")
    own.edit("/pause")
    assert carol.get_issue(pr.number).get_comment(own.id).body == "/pause"
    refusals = [
        lambda: carol.get_issue(pr.number).get_comment(bots_comment.id).edit("hijacked"),
        as_carol.merge,
        lambda: as_carol.add_to_labels("x"),
        lambda: carol.get_commit(head).create_status("success"),
    ]
    for refused in refusals:
        with pytest.raises(github.GithubException) as error:
            refused()
        assert error.value.status == 403


def test_pull_requests_page_through_link_headers(sandbox: Served, checkout: Path) -> None:
    paged = github.Github(
        base_url=sandbox.url,
        auth=github.Auth.Token(sandbox.token("bob")),
        per_page=2,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    repo = paged.get_repo("acme/config")
    for n in range(5):
        push(checkout, f"branch-{n}", {f"apps/file-{n}.yaml": f"n: {n}\n"})
        repo.create_pull(title=f"pr {n}", body="", head=f"branch-{n}", base="main")
    listed = repo.get_pulls(state="open", sort="created", direction="asc")
    assert [p.title for p in listed] == [f"pr {n}" for n in range(5)]
    assert listed.totalCount == 5
    assert [p.number for p in repo.get_pulls(state="all")] == [5, 4, 3, 2, 1]


def test_refs_branches_contents_and_comparisons(bot: github.Github, checkout: Path, origin: Path) -> None:
    repo = bot.get_repo("acme/config")
    main = repo.get_branch("main")
    repo.create_git_ref("refs/heads/promoter/base", main.commit.sha)
    head = push(checkout, "promoter/base", NEW_WEB)
    ref = repo.get_git_ref("heads/promoter/base")
    assert ref.object.sha == head
    assert [r.ref for r in repo.get_git_matching_refs("heads/promoter/")] == ["refs/heads/promoter/base"]
    with pytest.raises(github.GithubException) as backwards:
        ref.edit(main.commit.sha)
    assert backwards.value.status == 422
    comparison = repo.compare("main", "promoter/base")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 1, 0)
    assert [f.filename for f in comparison.files] == ["apps/web/values.yaml"]
    content = repo.get_contents("apps/web/values.yaml", ref="promoter/base")
    assert not isinstance(content, list)
    assert content.decoded_content.decode() == NEW_WEB["apps/web/values.yaml"]
    listing = repo.get_contents("apps", ref="main")
    assert isinstance(listing, list)
    assert sorted(item.path for item in listing) == ["apps/api", "apps/web"]
    ref.edit(main.commit.sha, force=True)
    assert git(origin, "rev-parse", "promoter/base") == main.commit.sha
    ref.delete()
    assert git(origin, "branch", "--list", "promoter/base") == ""
    assert repo.get_git_commit(main.commit.sha).message == "initial config"


def test_labels_branches_commits_and_users(sandbox: Served, bot: github.Github, checkout: Path) -> None:
    repo = bot.get_repo("acme/config")
    label = repo.create_label("promoter", "#0e8a16", "Opened by promoter")
    label.edit("promoter", "1d76db", "Opened by the bot")
    assert (repo.get_label("PROMOTER").color, [x.name for x in repo.get_labels()]) == ("1d76db", ["promoter"])
    with pytest.raises(github.GithubException) as taken:
        repo.create_label("Promoter", "ffffff")
    assert taken.value.status == 422

    first = push(checkout, "feature", NEW_WEB, "one")
    second = push(checkout, "feature", {"b.yaml": "b: 1\n"}, "two")
    assert [b.name for b in repo.get_branches()] == ["feature", "main"]
    pr = repo.create_pull(title="t", body="", head="feature", base="main")
    assert [c.sha for c in pr.get_commits()] == [first, second]
    assert list(pr.get_comments()) == []
    pr.create_review_request(reviewers=["bob"])
    pr.delete_review_request(reviewers=["bob"])
    assert list(pr.get_review_requests()[0]) == []
    comment = pr.create_issue_comment("x")
    reaction = comment.create_reaction("heart")
    assert comment.delete_reaction(reaction.id)
    assert list(comment.get_reactions()) == []
    assert bot.get_user("carol").name == "Carol Reader"
    assert repo.get_commit(second).files[0].filename == "b.yaml"


def test_commits_through_the_api(bot: github.Github, origin: Path) -> None:
    repo = bot.get_repo("acme/config")
    main = repo.get_branch("main").commit.sha
    created = repo.create_file("docs/a.md", "add docs", "# a\n", branch="main")
    updated = repo.update_file("docs/a.md", "edit docs", "# b\n", created["content"].sha, branch="main")
    assert git(origin, "show", "main:docs/a.md") == "# b"
    assert git(origin, "rev-parse", "main~2") == main
    assert updated["commit"].sha == git(origin, "rev-parse", "main")

    tip = updated["commit"].sha
    blob = repo.create_git_blob("c: 3\n", "utf-8")
    element = github.InputGitTreeElement("apps/c/values.yaml", "100644", "blob", sha=blob.sha)
    tree = repo.create_git_tree([element], repo.get_git_tree(tip))
    commit = repo.create_git_commit("via api", tree, [repo.get_git_commit(tip)])
    repo.get_git_ref("heads/main").edit(commit.sha)
    assert git(origin, "show", "main:apps/c/values.yaml") == "c: 3"
    assert git(origin, "log", "-1", "--format=%an|%s", "main") == "Promoter Bot|via api"
    listed = repo.get_git_tree("main", recursive=True).tree
    assert "apps/web/values.yaml" in {element.path for element in listed}
