"""The GitHub adapter over real HTTP against the sandbox: what a lost store is rebuilt from, and how
credentials and rate limits are told apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promoter.adapters import github as github_adapter
from promoter.adapters.github import GitHubForge
from promoter.adapters.gitrepo import GitRepo
from promoter.core.actions import FileChange
from promoter.core.markers import Marker
from promoter.errors import CredentialError
from promoter.sandbox.github.sandbox import GitHubSandbox

OWN = Marker("app", "1.1-abc", "1.1", 0, 0)


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


def test_the_latest_promoter_status_of_a_commit(sandbox: tuple[GitHubSandbox, Path], fast_tmp: Path) -> None:
    served, bare = sandbox
    bot = forge(served)
    sha = push(bare, fast_tmp, "b")
    assert bot.commit_status(sha) is None
    bot.set_status(sha, "success", "staging: verified on Argo CD")
    bot.set_status(sha, "pending", "staging: verification lost, waiting again")
    status = bot.commit_status(sha)
    assert status is not None
    assert (status.state, status.description) == ("pending", "staging: verification lost, waiting again")


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
