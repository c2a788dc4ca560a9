"""The GitHub adapter over real HTTP against the sandbox: what a lost store is rebuilt from, how credentials
and rate limits are told apart, and what the bot's reads cost (the sandbox counts requests as GitHub does:
conditional requests answered 304 are free)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import github
import httpx
import pytest

from promoter.adapters import github as github_adapter
from promoter.adapters import githubwire
from promoter.adapters.github import GitHubForge
from promoter.adapters.gitrepo import GitRepo
from promoter.core.actions import FileChange, StatusState
from promoter.core.markers import Marker
from promoter.errors import CredentialError, PermanentError, TemporaryError
from promoter.sandbox.github.sandbox import GitHubSandbox

OWN = Marker("app", "1.1-abc", "1.1", 0, 0)
BRANCH = "promoter/app/1.1-abc/0-0"
STATUS = OWN.status()


@pytest.fixture
def sandbox(make_bare_repo: Callable[[dict[str, str]], Path]) -> Iterator[tuple[GitHubSandbox, Path]]:
    bare = make_bare_repo({"envs/staging/app.yaml": "image: app:1.0\n"})
    with GitHubSandbox(bare, "acme/config") as served:
        yield served, bare


def forge(sandbox: GitHubSandbox, token: str | None = None) -> GitHubForge:
    auth = github_adapter.token_auth(token or sandbox.token("promoter-bot"))
    return GitHubForge(sandbox.url, "acme/config", auth, "promoter-bot")


def push(bare: Path, fast_tmp: Path, branch: str) -> str:
    repo = GitRepo(bare.as_uri(), fast_tmp / "clone", ("promoter", "p@example.com"))
    base = repo.fetch("main")
    return repo.commit_edit(branch, base, [FileChange("envs/staging/app.yaml", "image: app:1.1\n")], "promote", ())


def counters(sandbox: GitHubSandbox) -> tuple[int, int]:
    """The bot's requests counted against its budget, and the 304s served, from the sandbox's counters."""
    stats = httpx.get(f"{sandbox.url}/_sandbox/stats").json()
    return stats["rate_limits"].get("promoter-bot", {}).get("used", 0), stats["conditional_hits"]


def pygithub(sandbox: GitHubSandbox, login: str = "alice") -> github.Repository.Repository:
    gh = github.Github(
        base_url=sandbox.url,
        auth=github.Auth.Token(sandbox.token(login)),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    return gh.get_repo("acme/config")


def test_promoters_prs_are_listed_with_labels_and_times(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    push(bare, fast_tmp, "promoter/app/1.1-abc/0-0")
    mine = bot.open_pr("promoter/app/1.1-abc/0-0", "main", "promote", f"Promotes.\n\n{OWN.render()}", ["promoter"])
    push(bare, fast_tmp, "a-persons-branch")
    forge(served, served.token("alice")).open_pr("a-persons-branch", "main", "mine", "no marker", [])

    bot.add_labels(mine.number, ["promoter:succeeded", "promoter:held"])
    bot.add_labels(mine.number, ["promoter:held"])  # idempotent
    listed = bot.marked_prs()
    assert [pr.number for pr in listed] == [mine.number]
    assert set(listed[0].labels) == {"promoter", "promoter:succeeded", "promoter:held"}
    assert listed[0].created_at is not None and listed[0].merged_at is None
    bot.close()  # (connections released; the next request opens them again)
    assert [pr.number for pr in bot.marked_prs()] == [mine.number]


def test_the_latest_promoter_status_of_a_commit(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    sha = push(bare, fast_tmp, "b")
    assert bot.commit_status(sha) is None
    bot.set_status(sha, "success", "staging: verified on Argo CD")
    bot.set_status(sha, "pending", "staging: verification lost, waiting again")
    status = bot.commit_status(sha)
    assert status is not None
    assert (status.state, status.description) == (StatusState.PENDING, "staging: verification lost, waiting again")


def test_a_status_the_commit_has_already_is_not_posted_again(
    sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path
) -> None:
    served, bare = sandbox
    sha = push(bare, fast_tmp, "d")
    statuses = pygithub(served).get_commit(sha).get_statuses
    first = forge(served)
    first.set_status(sha, "success", "staging: verified on Argo CD")
    first.set_status(sha, "success", "staging: verified on Argo CD")  # set here already: no request
    again = forge(served)  # a pass after a crash: it knows nothing of what was set
    again.set_status(sha, "success", "staging: verified on Argo CD")  # found on the commit: not posted
    again.set_status(sha, "success", "other: verified", context="promoter/analysis")  # another context: posted
    assert [(s.context, s.state) for s in statuses()] == [("promoter/analysis", "success"), ("promoter", "success")]
    again.set_status(sha, "failure", "staging: Degraded")  # a new state: posted
    assert [s.state for s in statuses() if s.context == "promoter"] == ["failure", "success"]


def test_a_refused_token_is_a_credential_error(sandbox: tuple[GitHubSandbox, Path]) -> None:
    served, _ = sandbox
    with pytest.raises(CredentialError, match=r"GitHub refused the token \(401\)"):
        forge(served, "not-a-token").find_pr("anything")


def test_a_missing_permission_is_a_credential_error(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    sha = push(bare, fast_tmp, "c")
    reader = forge(served, served.token("carol"))  # read access only
    with pytest.raises(CredentialError, match="GitHub 403"):
        reader.set_status(sha, "success", "nope")


def test_retry_after_is_honoured() -> None:
    assert github_adapter._retry_after({"Retry-After": "7"}) == 7.0
    assert github_adapter._retry_after({"retry-after": "0"}) == 1.0
    assert github_adapter._retry_after({"Retry-After": "soon"}) == 60.0
    assert github_adapter._retry_after(None) == 60.0


def test_githubs_bad_moments_from_the_sandbox_are_temporary_and_a_secondary_limit_keeps_its_delay(
    sandbox: tuple[GitHubSandbox, Path],
) -> None:
    served, _ = sandbox
    bot = forge(served)
    faults = f"{served.url}/_sandbox/faults"
    for status in (502, 503):
        httpx.post(faults, json={"status": status}).raise_for_status()
        with pytest.raises(TemporaryError, match=f"GitHub {status}"):
            bot.find_pr("any")
    httpx.post(faults, json={"status": 403, "retry_after": 1}).raise_for_status()
    with pytest.raises(TemporaryError, match="rate limit") as limited:
        bot.find_pr("any")
    assert limited.value.delay == 1.0  # as the answer said
    asked = len(served.app.state.faults.requests)
    with pytest.raises(TemporaryError, match="waiting 1s as it asked") as quiet:
        bot.merge(1, "h" * 40, "merge", "t")  # any call, until Retry-After has passed
    assert 0 < quiet.value.delay <= 1.0
    assert len(served.app.state.faults.requests) == asked  # not asked: another request would prolong the limit
    time.sleep(1.05)
    assert bot.find_pr("any") is None  # the faults used up, the wait over: served again


# conditional requests -----------------------------------------------------------------------------


def test_a_second_find_pr_with_nothing_changed_is_answered_304_and_not_counted(
    sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path
) -> None:
    served, bare = sandbox
    bot = forge(served)
    push(bare, fast_tmp, BRANCH)
    opened = bot.open_pr(BRANCH, "main", "promote", f"Promotes.\n\n{OWN.render()}", ["promoter"])
    first = bot.find_pr(BRANCH)  # the first look at this branch: a counted 200
    used, hits = counters(served)
    again = bot.find_pr(BRANCH)
    assert again == first == opened
    assert counters(served) == (used, hits + 1)


def test_opening_a_pr_that_exists_returns_it_in_two_requests(
    sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path
) -> None:
    served, bare = sandbox
    bot = forge(served)
    push(bare, fast_tmp, BRANCH)
    used, _ = counters(served)
    opened = bot.open_pr(BRANCH, "main", "promote", f"Promotes.\n\n{OWN.render()}", ["promoter"])
    assert counters(served)[0] - used == 2  # created, labelled: not looked for first
    used, _ = counters(served)
    again = forge(served).open_pr(BRANCH, "main", "promote", "another body", ["promoter"])  # a restarted pass
    assert counters(served)[0] - used == 2  # refused as existing (422), then found
    assert again.number == opened.number and again.body == opened.body
    assert [p.number for p in pygithub(served, "alice").get_pulls(state="all")] == [opened.number]


def test_a_change_is_seen_at_once(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot, alice = forge(served), forge(served, served.token("alice"))
    head = push(bare, fast_tmp, BRANCH)
    pr = bot.open_pr(BRANCH, "main", "promote", f"Promotes.\n\n{OWN.render()}", ["promoter"])
    assert bot.find_pr(BRANCH) == pr
    assert bot.approvals(pr.number, head) == frozenset()
    assert bot.commit_status(head) is None
    assert [p.number for p in bot.marked_prs()] == [pr.number]

    alice.add_labels(pr.number, ["reviewed"])
    assert set(bot.find_pr(BRANCH).labels) == {"promoter", "reviewed"}  # type: ignore[union-attr]
    pygithub(served).get_pull(pr.number).create_review(event="APPROVE")
    assert bot.approvals(pr.number, head) == {"alice"}
    alice.set_status(head, "success", "verified")
    assert bot.commit_status(head).description == "verified"  # type: ignore[union-attr]
    push(bare, fast_tmp, "promoter/app/1.1-abc/1-0")
    second = bot.open_pr("promoter/app/1.1-abc/1-0", "main", "prod", Marker("app", "1.1-abc", "1.1", 1, 0).render(), [])
    assert [p.number for p in bot.marked_prs()] == [pr.number, second.number]

    sha = bot.merge(pr.number, head, "merge", "promote")
    merged = bot.find_pr(BRANCH)
    assert merged is not None and merged.merged and merged.merge_sha == sha and merged.state == "closed"
    assert [p.merged for p in bot.marked_prs()] == [True, False]
    # Nothing changed since: every read is answered 304.
    used, _ = counters(served)
    bot.find_pr(BRANCH), bot.approvals(pr.number, head), bot.commit_status(head), bot.marked_prs()
    assert counters(served)[0] == used


def test_the_json_and_pygithub_views_of_a_pr_are_equal(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    head = push(bare, fast_tmp, BRANCH)
    pr = bot.open_pr(BRANCH, "main", "promote", f"Promotes.\n\n{OWN.render()}", ["promoter", "promoter:held"])
    repo = pygithub(served, "promoter-bot")
    for _ in ("open", "merged"):
        listed = next(iter(repo.get_pulls(state="all")))
        assert bot.find_pr(BRANCH) == githubwire.view(listed) == githubwire.view(repo.get_pull(pr.number))
        assert bot.marked_prs() == [githubwire.view(listed)]
        bot.merge(pr.number, head, "squash", "promote")
    found = bot.find_pr(BRANCH)
    assert found is not None and found.merged_at is not None and found.created_at is not None


def test_lists_are_read_page_by_page_each_page_conditional(
    sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(github_adapter, "_PER_PAGE", 2)
    served, bare = sandbox
    bot = forge(served)
    numbers = []
    for step in range(5):
        branch = f"promoter/app/1.1-abc/0-{step}"
        push(bare, fast_tmp, branch)
        body = Marker("app", "1.1-abc", "1.1", 0, step).render()
        numbers.append(bot.open_pr(branch, "main", f"step {step}", body, []).number)
    assert [pr.number for pr in bot.marked_prs()] == numbers  # three pages
    used, hits = counters(served)
    assert [pr.number for pr in bot.marked_prs()] == numbers
    assert counters(served) == (used, hits + 3)
    forge(served, served.token("alice")).add_labels(numbers[0], ["reviewed"])
    listed = bot.marked_prs()
    assert listed[0].labels == ("reviewed",)
    assert counters(served) == (used + 1, hits + 5)  # only the first page changed


def test_the_cache_stays_bounded(sandbox: tuple[GitHubSandbox, Path]) -> None:
    served, _ = sandbox
    bot = GitHubForge(served.url, "acme/config", github_adapter.token_auth(served.token("promoter-bot")), cache_size=4)
    for n in range(10):
        assert bot.find_pr(f"branch-{n}") is None
    assert len(bot._pages) == 4
    used, _ = counters(served)
    bot.find_pr("branch-9")  # kept: free
    assert counters(served)[0] == used
    assert bot.find_pr("branch-0") is None  # forgotten: read again, counted
    assert counters(served)[0] == used + 1
    assert len(bot._pages) == 4


def test_a_malformed_answer_is_a_permanent_error_naming_the_field() -> None:
    with pytest.raises(PermanentError, match=r"malformed pull at head: Field required"):
        githubwire.pull(
            {"number": 1, "html_url": "u", "state": "open", "title": "t", "base": {"ref": "main", "sha": "a"}}
        )


def test_the_least_recently_used_entry_goes_first() -> None:
    lru: github_adapter._LRU[str, int] = github_adapter._LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # now the most recent
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c"), len(lru)) == (1, None, 3, 2)


def test_while_the_budget_is_spent_unchanged_reads_still_answer(
    make_bare_repo: Callable[[dict[str, str]], Path],
) -> None:
    bare = make_bare_repo({"a.yaml": "a: 1\n"})
    with GitHubSandbox(bare, "acme/config", rate_limit=2) as served:
        bot = forge(served)
        assert bot.find_pr("a") is None
        assert bot.find_pr("b") is None
        with pytest.raises(TemporaryError, match="rate limit") as refused:
            bot.find_pr("c")
        assert refused.value.delay == 60.0  # no Retry-After: a minute
        assert bot.find_pr("a") is None  # 304: GitHub answers conditional requests beyond the budget too


def test_errors_map_to_the_same_kinds_on_every_path(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    with pytest.raises(PermanentError, match="GitHub 404 while finding the PR"):
        GitHubForge(served.url, "acme/elsewhere", github_adapter.token_auth(served.token("promoter-bot"))).find_pr("x")
    with pytest.raises(PermanentError, match="GitHub 404 while reading the reviews of #99"):
        bot.approvals(99, "0" * 40)
    with pytest.raises(CredentialError, match=r"refused the token \(401\) while listing"):
        forge(served, "not-a-token").marked_prs()
    with pytest.raises(TemporaryError, match="GitHub unreachable while reading the status"):
        GitHubForge("http://127.0.0.1:9", "acme/config", github_adapter.token_auth("t")).commit_status("0" * 40)
    head = push(bare, fast_tmp, BRANCH)
    pr = bot.open_pr(BRANCH, "main", "promote", OWN.render(), [])
    with pytest.raises(TemporaryError, match="GitHub 409 while merging") as moved:
        bot.merge(pr.number, "1" * 40, "merge", "promote")
    assert moved.value.delay == 1
    pygithub(served).get_pull(pr.number).edit(state="closed")
    with pytest.raises(PermanentError, match="GitHub 405 while merging"):
        bot.merge(pr.number, head, "merge", "promote")


# what writes cost -----------------------------------------------------------------------------------


def test_a_merge_is_one_request_and_merging_again_answers_the_merge(
    sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path
) -> None:
    served, bare = sandbox
    bot = forge(served)
    head = push(bare, fast_tmp, BRANCH)
    pr = bot.open_pr(BRANCH, "main", "promote", OWN.render(), [])
    used, _ = counters(served)
    sha = bot.merge(pr.number, head, "merge", "promote")
    assert counters(served)[0] == used + 1
    assert bot.merge(pr.number, head, "merge", "promote") == sha  # a crash after the merge: no second merge


def test_the_status_comment_is_edited_by_id(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    push(bare, fast_tmp, BRANCH)
    pr = bot.open_pr(BRANCH, "main", "promote", OWN.render(), [])
    issue = pygithub(served, "promoter-bot").get_issue(pr.number)

    def cost(body: str, who: GitHubForge = bot) -> int:
        used, _ = counters(served)
        who.upsert_comment(pr.number, STATUS, f"{body}\n\n{STATUS}")
        return counters(served)[0] - used

    def bodies() -> list[str]:
        return [c.body.split("\n")[0] for c in issue.get_comments()]

    assert cost("waiting") == 1  # a PR this forge opened has none of its comments yet: written at once
    assert cost("still waiting", forge(served)) == 2  # another process looks for it first, then edits it
    assert cost("merged") == 1  # edited by id (the other process's edit makes its text unknown)
    assert cost("merged") == 1  # the same text: read once to check it is still there
    assert cost("merged") == 0  # ... and then answered 304
    assert cost("verified", forge(served)) == 2  # a restarted bot finds it by its marker
    assert bodies() == ["verified"]
    next(iter(issue.get_comments())).delete()
    assert cost("done") == 3  # gone: the edit misses, the bot looks and writes it again
    assert bodies() == ["done"]
