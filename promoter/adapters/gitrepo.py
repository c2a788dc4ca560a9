"""The config repository, through one persistent clone and the git command line (GitPython's ``repo.git``).

- One clone per config repo under the state directory; ``git fetch``, never a re-clone per change.
- A step's commit is built with plumbing on a temporary index (``read-tree``, ``hash-object``,
  ``update-index``, ``write-tree``, ``commit-tree``): no checkout, so it is fast on large repos and a crash
  leaves nothing half-done in a work tree. File bytes are stored exactly (``--no-filters``).
- A revert is a real ``git revert`` in the clone's work tree, detached at the base branch's head.
- Pushes never force. A branch that already exists on the remote is respected, not overwritten: it is the
  bot's own branch from before a crash, or a person's commits on it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import git

from promoter.core.actions import FileChange
from promoter.errors import PermanentError, TemporaryError
from promoter.ports import RevertResult

_TIMEOUT = 120


class GitRepo:
    def __init__(self, clone_url: str, path: Path, author: tuple[str, str], timeout: float = _TIMEOUT) -> None:
        self.clone_url = clone_url
        self.path = path
        self._author = author
        self._timeout = timeout
        self._repo: git.Repo | None = None

    # set-up ----------------------------------------------------------------------------------------

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            self._repo = self._open()
        return self._repo

    def _open(self) -> git.Repo:
        if (self.path / ".git").is_dir():
            repo = git.Repo(self.path)
            if repo.remotes.origin.url != self.clone_url:
                repo.git.remote("set-url", "origin", self.clone_url)
            return repo
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return git.Repo.clone_from(self.clone_url, self.path, no_checkout=True, env=self._env())
        except git.GitCommandError as exc:
            raise TemporaryError(f"cannot clone {self.clone_url}: {_stderr(exc)}") from None

    def _env(self) -> dict[str, str]:
        name, email = self._author
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_TERMINAL_PROMPT": "0",
        }

    def _git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        try:
            out: str = self.repo.git.execute(
                ["git", *args],
                env={**self._env(), **(env or {})},
                kill_after_timeout=self._timeout,
                with_extended_output=False,
                strip_newline_in_stdout=True,
            )
        except git.GitCommandError as exc:
            if check:
                raise TemporaryError(f"git {args[0]} failed: {_stderr(exc)}") from None
            return ""
        return out

    def _status(self, *args: str) -> int:
        """Run git for its exit status only."""
        try:
            self.repo.git.execute(["git", *args], env=self._env(), kill_after_timeout=self._timeout)
        except git.GitCommandError as exc:
            return int(exc.status) if isinstance(exc.status, int) else 1
        return 0

    # reading ---------------------------------------------------------------------------------------

    def fetch(self, base_branch: str) -> str:
        """Fetch every branch (pruning deleted ones); return the base branch's head."""
        self._fetch()
        head = self.branch_head(base_branch)
        if head is None:
            raise PermanentError(f"the base branch {base_branch!r} does not exist in {self.clone_url}")
        return head

    def _fetch(self) -> None:
        self._git("fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*")

    def read(self, path: str, ref: str) -> str | None:
        try:
            data: bytes = self.repo.git.execute(
                ["git", "cat-file", "blob", f"{ref}:{path}"],
                stdout_as_string=False,
                strip_newline_in_stdout=False,  # a file's final newline is part of its bytes
            )
        except git.GitCommandError:
            return None
        return data.decode("utf-8")

    def branch_head(self, branch: str) -> str | None:
        sha = self._git("rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{branch}^{{commit}}", check=False)
        return sha or None

    def contains(self, descendant: str, ancestor: str) -> bool:
        status = self._status("merge-base", "--is-ancestor", ancestor, descendant)
        if status == 128:  # a commit we have not fetched yet
            self._fetch()
            status = self._status("merge-base", "--is-ancestor", ancestor, descendant)
        return status == 0

    # writing ---------------------------------------------------------------------------------------

    def commit_edit(
        self,
        branch: str,
        base_sha: str,
        changes: Sequence[FileChange],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> str:
        existing = self.branch_head(branch)
        if existing is not None:
            return existing
        with self._index() as index:
            env = {"GIT_INDEX_FILE": index}
            self._git("read-tree", base_sha, env=env)
            for change in changes:
                blob = self._blob(change.text)
                mode = self._mode(base_sha, change.path)
                self._git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{change.path}", env=env)
            tree = self._git("write-tree", env=env)
        commit = self._git("commit-tree", tree, "-p", base_sha, "-m", _with_trailers(message, trailers))
        return self._push(commit, branch)

    def revert(
        self, branch: str, base_branch: str, merge_sha: str, message: str, trailers: Sequence[tuple[str, str]]
    ) -> RevertResult:
        existing = self.branch_head(branch)
        if existing is not None:
            return RevertResult(existing)
        self._clean_work_tree()
        self._git("checkout", "--quiet", "--force", "--detach", f"refs/remotes/origin/{base_branch}")
        parents = self._git("rev-list", "--parents", "-n", "1", merge_sha).split()[1:]
        mainline = ["-m", "1"] if len(parents) > 1 else []
        conflicts: tuple[str, ...] = ()
        if self._status("revert", "--no-commit", *mainline, merge_sha) != 0:
            conflicts = tuple(self._git("diff", "--name-only", "--diff-filter=U").splitlines())
            if not conflicts:
                self._clean_work_tree()
                raise TemporaryError(f"git revert of {merge_sha[:12]} failed without conflicts")
            # Keep the later commits' version of each conflicting file: the PR carries the rest of the
            # revert and a person finishes it. Nothing is forced, nothing rewritten.
            self._git("checkout", "--quiet", "HEAD", "--", *conflicts)
        if not conflicts and not self._git("diff", "--cached", "--name-only"):
            self._clean_work_tree()
            return RevertResult(None)  # already undone on the base branch
        if conflicts:
            listed = "\n".join(f"- {path}" for path in conflicts)
            message += f"\n\nThe revert conflicts with later commits in:\n{listed}\nFinish it by hand on this branch."
        # --allow-empty: when every change conflicts, the PR still opens as the place to finish it.
        self._git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", _with_trailers(message, trailers))
        commit = self._git("rev-parse", "HEAD")
        self._clean_work_tree()
        return RevertResult(self._push(commit, branch), conflicts)

    def _push(self, commit: str, branch: str) -> str:
        if self._status("push", "--quiet", "origin", f"{commit}:refs/heads/{branch}") != 0:
            # The branch appeared meanwhile (another replica, or a push that landed before a crash).
            self._fetch()
            head = self.branch_head(branch)
            if head is None:
                raise TemporaryError(f"git push of {branch} was refused")
            return head
        self._git("update-ref", f"refs/remotes/origin/{branch}", commit)
        return commit

    def _blob(self, text: str) -> str:
        with tempfile.NamedTemporaryFile(dir=self.repo.git_dir, prefix="promoter-blob-", delete=False) as handle:
            handle.write(text.encode("utf-8"))
        try:
            return self._git("hash-object", "-w", "--no-filters", handle.name)
        finally:
            os.unlink(handle.name)

    def _mode(self, ref: str, path: str) -> str:
        listing = self._git("ls-tree", ref, "--", path, check=False)
        return listing.split(" ", 1)[0] if listing else "100644"

    @contextlib.contextmanager
    def _index(self) -> Iterator[str]:
        index = os.path.join(self.repo.git_dir, f"promoter-index-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(index)
        try:
            yield index
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(index)

    def _clean_work_tree(self) -> None:
        """Undo whatever a crash left in the work tree (a half-done revert, a stale lock)."""
        lock = Path(self.repo.git_dir) / "index.lock"
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        self._status("revert", "--abort")
        self._status("reset", "--quiet", "--hard")


def _with_trailers(message: str, trailers: Sequence[tuple[str, str]]) -> str:
    lines = "\n".join(f"{key}: {value}" for key, value in trailers)
    return f"{message.rstrip()}\n\n{lines}\n" if trailers else message


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    return text.removeprefix("stderr:").strip().strip("'")[:500]
