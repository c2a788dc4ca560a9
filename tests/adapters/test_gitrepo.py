"""The git adapter against real repositories: exact bytes, idempotent pushes, real reverts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from promoter.adapters.gitrepo import GitRepo, remote_branches
from promoter.core.actions import FileChange
from promoter.errors import PermanentError, TemporaryError
from tests.conftest import git

FILES = {
    "envs/staging/app.yaml": "image: app:1.0\r\nreplicas: 1\r\n",
    "envs/prod/app.yaml": "image: app:1.0\nreplicas: 3",
    "scripts/run.sh": "#!/bin/sh\necho hi\n",
}
TRAILERS = (("Promoter-Promotion", "app/1.1-1"), ("Promoter-Step", "0-0"))


@pytest.fixture
def origin(make_bare_repo: Callable[[dict[str, str]], Path]) -> Path:
    return make_bare_repo(FILES)


@pytest.fixture
def repo(origin: Path, fast_tmp: Path) -> GitRepo:
    return GitRepo(origin.as_uri(), fast_tmp / "clone", ("promoter", "promoter@example.com"))


def person_clone(origin: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(origin), str(where))
    return where


def test_fetch_and_read_exact_bytes(repo: GitRepo) -> None:
    head = repo.fetch("main")
    assert len(head) == 40
    assert repo.read("envs/staging/app.yaml", head) == FILES["envs/staging/app.yaml"]
    assert repo.read("envs/prod/app.yaml", head) == FILES["envs/prod/app.yaml"]  # no final newline kept
    assert repo.read("missing.yaml", head) is None


def test_reads_see_what_later_fetches_bring(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    """One cat-file process serves every read: objects a fetch adds later (a new pack) are found, and a
    directory or a missing path is no file."""
    first = repo.fetch("main")
    assert repo.read("envs", first) is None
    work = person_clone(origin, fast_tmp / "person")
    for n in range(3):
        (work / "envs" / "staging" / "app.yaml").write_text(f"image: app:2.{n}\n")
        git(work, "commit", "-q", "-am", f"by hand {n}")
        git(work, "push", "-q", "origin", "main")
        head = repo.fetch("main")
        assert repo.read("envs/staging/app.yaml", head) == f"image: app:2.{n}\n"
        assert repo.read("envs/staging/app.yaml", first) == FILES["envs/staging/app.yaml"]
    assert repo.read("envs/staging/app.yaml", "0" * 40) is None
    repo.close()
    assert repo.read("envs/staging/app.yaml", first) == FILES["envs/staging/app.yaml"]  # opened again
    repo.close()


def test_commit_edit_pushes_a_branch_with_trailers(repo: GitRepo, origin: Path) -> None:
    base = repo.fetch("main")
    text = "image: app:1.1\r\nreplicas: 1\r\n"
    sha = repo.commit_edit(
        "promoter/app/1.1-1/0-0", base, [FileChange("envs/staging/app.yaml", text)], "promote", TRAILERS
    )
    assert git(origin, "rev-parse", "refs/heads/promoter/app/1.1-1/0-0") == sha
    assert git(origin, "rev-parse", f"{sha}^") == base
    assert repo.read("envs/staging/app.yaml", sha) == text  # CRLF stored exactly
    git(origin, "fsck", "--strict", "--no-dangling")  # the objects promoter wrote itself are sound
    git(repo.path, "fsck", "--strict", "--no-dangling")
    assert git(origin, "log", "-1", "--format=%an <%ae>", sha) == "promoter <promoter@example.com>"
    message = git(origin, "log", "-1", "--format=%B", sha)
    assert "Promoter-Promotion: app/1.1-1" in message and "Promoter-Step: 0-0" in message
    assert git(origin, "diff", "--name-only", base, sha) == "envs/staging/app.yaml"


def test_commit_edit_is_idempotent_and_respects_the_branch(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    base = repo.fetch("main")
    change = [FileChange("envs/staging/app.yaml", "image: app:1.1\r\nreplicas: 1\r\n")]
    first = repo.commit_edit("b", base, change, "promote", TRAILERS)
    # A person adds a commit on the bot's branch.
    work = person_clone(origin, fast_tmp / "person")
    git(work, "checkout", "-q", "b")
    (work / "note.txt").write_text("by hand\n")
    git(work, "add", "note.txt")
    git(work, "commit", "-q", "-m", "a person's fix")
    git(work, "push", "-q", "origin", "b")
    person = git(work, "rev-parse", "HEAD")
    repo.fetch("main")
    again = repo.commit_edit("b", base, change, "promote", TRAILERS)
    assert again == person != first
    assert git(origin, "rev-parse", "refs/heads/b") == person


def test_file_mode_is_kept(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    work = person_clone(origin, fast_tmp / "person")
    git(work, "update-index", "--chmod=+x", "scripts/run.sh")
    git(work, "commit", "-q", "-m", "executable")
    git(work, "push", "-q", "origin", "main")
    base = repo.fetch("main")
    sha = repo.commit_edit("x", base, [FileChange("scripts/run.sh", "#!/bin/sh\necho bye\n")], "m", ())
    assert git(origin, "ls-tree", sha, "scripts/run.sh").startswith("100755")


def _merge_branch(origin: Path, fast_tmp: Path, repo: GitRepo, text: str, branch: str = "step") -> str:
    base = repo.fetch("main")
    repo.commit_edit(branch, base, [FileChange("envs/staging/app.yaml", text)], branch, TRAILERS)
    work = person_clone(origin, fast_tmp / ("merger" if branch == "step" else f"merger-{branch}"))
    git(work, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", f"origin/{branch}")
    git(work, "push", "-q", "origin", "main")
    return git(work, "rev-parse", "HEAD")


def test_revert_of_a_merge_commit(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    merge = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 1\r\n")
    repo.fetch("main")
    result = repo.revert("step-revert", "main", [merge], "revert it", TRAILERS)
    assert result.sha is not None and result.conflicts == ()
    assert repo.read("envs/staging/app.yaml", result.sha) == FILES["envs/staging/app.yaml"]
    assert git(origin, "rev-parse", f"{result.sha}^") == merge
    # Idempotent: the branch exists, it is returned as is.
    assert repo.revert("step-revert", "main", [merge], "revert it", TRAILERS).sha == result.sha


def test_revert_conflicting_with_a_later_commit(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    merge = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 1\r\n")
    work = fast_tmp / "merger"
    (work / "envs/staging/app.yaml").write_bytes(b"image: app:1.1-hotfix\r\nreplicas: 1\r\n")
    (work / "other.yaml").write_text("x: 1\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a person's hotfix")
    git(work, "push", "-q", "origin", "main")
    repo.fetch("main")
    result = repo.revert("step-revert", "main", [merge], "revert it", TRAILERS)
    assert result.conflicts == ("envs/staging/app.yaml",)
    # The conflicting file keeps the later version; the (empty) commit carries the PR that asks for help.
    assert result.sha is not None
    assert repo.read("envs/staging/app.yaml", result.sha) == "image: app:1.1-hotfix\r\nreplicas: 1\r\n"
    assert "conflicts with later commits" in git(origin, "log", "-1", "--format=%B", result.sha)
    # The clone's work tree is clean again for the next operation.
    assert git(repo.path, "status", "--porcelain") == ""


def test_contains(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    base = repo.fetch("main")
    merge = _merge_branch(origin, fast_tmp, repo, "image: app:2\r\nreplicas: 1\r\n")
    assert repo.contains(merge, base)
    assert not repo.contains(base, merge)  # fetched on demand when unknown


def test_the_fast_revert_equals_git_revert(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    merge = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 1\r\n")
    work = fast_tmp / "merger"
    (work / "other.yaml").write_text("later: true\n")  # a later commit on another file
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "later")
    git(work, "push", "-q", "origin", "main")
    repo.fetch("main")
    result = repo.revert("fast-revert", "main", [merge], "revert it", TRAILERS)
    assert result.sha is not None and not result.conflicts
    git(work, "revert", "--no-edit", "-m", "1", merge)
    assert git(origin, "rev-parse", f"{result.sha}^{{tree}}") == git(work, "rev-parse", "HEAD^{tree}")


def test_branch_head_reads_loose_and_packed_refs(repo: GitRepo, origin: Path) -> None:
    base = repo.fetch("main")
    assert repo.branch_head("main") == base
    git(repo.path, "pack-refs", "--all")
    assert repo.branch_head("main") == base
    assert repo.branch_head("nope") is None
    assert repo.branch_head("main/sub") is None


def test_a_branch_that_holds_no_commit_of_the_promotion_is_never_adopted(
    repo: GitRepo, origin: Path, fast_tmp: Path
) -> None:
    work = person_clone(origin, fast_tmp / "person")
    git(work, "checkout", "-q", "-b", "promoter/app/1.1-1/0-0")
    (work / "note.txt").write_text("someone else's\n")
    git(work, "add", "note.txt")
    git(work, "commit", "-q", "-m", "not promoter's")
    git(work, "push", "-q", "origin", "promoter/app/1.1-1/0-0")
    base = repo.fetch("main")
    change = [FileChange("envs/staging/app.yaml", "image: app:1.1\r\nreplicas: 1\r\n")]
    with pytest.raises(PermanentError, match="never adopts another promotion's branch"):
        repo.commit_edit("promoter/app/1.1-1/0-0", base, change, "promote", TRAILERS)
    other = (("Promoter-Promotion", "app/1.1-2"), ("Promoter-Step", "0-0"))
    repo.commit_edit("promoter/app/1.1-2/0-0", base, change, "promote", other)
    repo.fetch("main")
    with pytest.raises(PermanentError, match=r"app/1\.1-1"):  # a commit of another promotion is not ours either
        repo.commit_edit("promoter/app/1.1-2/0-0", base, change, "promote", TRAILERS)


def test_trails_name_promoters_commits_merged_and_not(repo: GitRepo, origin: Path, fast_tmp: Path) -> None:
    base = repo.fetch("main")
    change = [FileChange("envs/staging/app.yaml", "image: app:1.1\r\nreplicas: 1\r\n")]
    trailers = (("Promoter-Promotion", "app/1.1-x"), ("Promoter-Version", "1.1"), ("Promoter-Step", "0-0"))
    merged = repo.commit_edit("promoter/app/1.1-x/0-0", base, change, "promote", trailers)
    work = person_clone(origin, fast_tmp / "person")
    git(work, "merge", "-q", "--no-ff", "-m", "merge #1", "origin/promoter/app/1.1-x/0-0")
    git(work, "push", "-q", "origin", "main")
    repo.fetch("main")
    revert = repo.revert(
        "promoter/app/1.1-x/0-revert", "main", [merged], "revert", (*trailers[:2], ("Promoter-Step", "0-revert"))
    )
    pushed = repo.commit_edit(
        "promoter/app/1.2-y/1-0",
        repo.fetch("main"),
        change,
        "promote",
        (("Promoter-Promotion", "app/1.2-y"), ("Promoter-Version", "1.2"), ("Promoter-Step", "1-0")),
    )
    repo.commit_edit("promoter/web/9-z/0-0", repo.fetch("main"), change, "x", (("Promoter-Promotion", "web/9-z"),))
    repo.fetch("main")

    found = {(t.promotion, t.stage, t.revert, t.merged, t.sha) for t in repo.trails("main", "app")}
    assert found == {
        ("1.1-x", 0, False, True, merged),
        ("1.1-x", 0, True, False, revert.sha),
        ("1.2-y", 1, False, False, pushed),
    }
    assert {t.version for t in repo.trails("main", "app")} == {"1.1", "1.2"}


def test_remote_branches(origin: Path) -> None:
    assert remote_branches(origin.as_uri(), None) == {"main"}
    with pytest.raises(TemporaryError, match="ls-remote"):
        remote_branches((origin.parent / "nowhere.git").as_uri(), None)


def _merge_two(origin: Path, fast_tmp: Path, repo: GitRepo) -> tuple[str, str]:
    """Two merges of the same file, as a canary's weight steps make them."""
    first = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 1\r\n", "w1")
    second = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 2\r\n", "w2")
    return first, second


def test_a_stage_revert_undoes_its_merges_newest_first_one_commit_each(
    repo: GitRepo, origin: Path, fast_tmp: Path
) -> None:
    first, second = _merge_two(origin, fast_tmp, repo)
    repo.fetch("main")
    result = repo.revert("stage-revert", "main", [second, first], "revert the stage", TRAILERS)
    assert result.sha is not None and not result.conflicts
    assert repo.read("envs/staging/app.yaml", result.sha) == FILES["envs/staging/app.yaml"]
    assert git(origin, "rev-list", "--count", f"refs/heads/main..{result.sha}") == "2"
    assert f"Reverts {second}." in git(origin, "log", "-1", "--format=%B", f"{result.sha}~1")
    assert f"Reverts {first}." in git(origin, "log", "-1", "--format=%B", result.sha)


def test_a_stage_revert_goes_through_git_when_a_person_edited_in_between(
    repo: GitRepo, origin: Path, fast_tmp: Path
) -> None:
    first = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 1\r\n", "w1")
    work = person_clone(origin, fast_tmp / "person")
    (work / "envs/staging/app.yaml").write_bytes(b"image: app:1.1\r\nreplicas: 1\r\n# by hand\r\n")
    git(work, "commit", "-qam", "a person's note")
    git(work, "push", "-q", "origin", "main")
    second = _merge_branch(origin, fast_tmp, repo, "image: app:1.1\r\nreplicas: 2\r\n# by hand\r\n", "w2")
    repo.fetch("main")
    result = repo.revert("stage-revert", "main", [second, first], "revert the stage", TRAILERS)
    assert result.sha is not None and not result.conflicts
    # both reverted, the person's line kept: what git revert makes of each merge in turn
    assert repo.read("envs/staging/app.yaml", result.sha) == "image: app:1.0\r\nreplicas: 1\r\n# by hand\r\n"


def test_candidates_are_the_yaml_files_that_name_it(repo: GitRepo) -> None:
    base = repo.fetch("main")
    assert repo.candidates(base, "app:1.0") == ["envs/prod/app.yaml", "envs/staging/app.yaml"]
    assert repo.candidates(base, "echo") == []  # run.sh is not YAML
    assert repo.candidates(base, "nothing-like-it") == []
