"""The hosted repository's git side: refs, commits, trees and blobs of a bare repository, read and written
with the git command line and never a working tree.

Nothing is cached: the bot pushes to the bare repository directly, so every answer is read from it at
request time, as GitHub reads its own storage.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Sequence
from pathlib import Path

from promoter.sandbox.github import gitcli

ZERO = "0" * 40
_SHA = re.compile(r"^[0-9a-f]{40}$")
_FIELDS = "%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B"


@dataclasses.dataclass(frozen=True)
class Signature:
    name: str
    email: str
    date: datetime.datetime

    def environment(self, role: str) -> dict[str, str]:
        """``GIT_AUTHOR_*`` or ``GIT_COMMITTER_*`` (``role`` is ``AUTHOR`` or ``COMMITTER``)."""
        return {
            f"GIT_{role}_NAME": self.name,
            f"GIT_{role}_EMAIL": self.email,
            f"GIT_{role}_DATE": f"@{int(self.date.timestamp())} +0000",
        }


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


@dataclasses.dataclass(frozen=True)
class Ref:
    name: str
    sha: str
    kind: str


@dataclasses.dataclass(frozen=True)
class Entry:
    """A file or directory at a path; ``content`` only for files."""

    path: str
    sha: str
    kind: str
    size: int
    content: bytes | None = None


@dataclasses.dataclass(frozen=True)
class MergeTree:
    """The result of merging two commits in memory: the tree, and the paths that conflict (if any)."""

    tree: str | None
    conflicts: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.tree is not None and not self.conflicts


class BareRepository:
    """A bare repository on local disk; ``timeout`` bounds each git call."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
            raise ValueError(f"{path} is not a bare git repository")

    def _text(self, *args: str) -> str:
        return gitcli.text(self.path, args, timeout=self.timeout)

    def resolve(self, rev: str) -> str | None:
        """The commit a branch name, ref, tag or sha names; None when it names none."""
        if not rev or rev.startswith("-") or "\0" in rev:
            return None
        result = gitcli.run(
            self.path,
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            ok=(0, 1, 128),
            timeout=self.timeout,
        )
        sha = result.stdout.decode().strip()
        return sha if result.returncode == 0 and _SHA.match(sha) else None

    def branch(self, name: str) -> str | None:
        """The tip of ``refs/heads/<name>``, not a tag or sha of the same spelling."""
        return self.resolve(f"refs/heads/{name}")

    def refs(self, prefix: str = "refs/") -> list[Ref]:
        """Every ref under ``prefix``, sorted by name."""
        output = self._text("for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)", prefix)
        return [Ref(*line.split("\0")) for line in output.splitlines() if line]

    def branches(self) -> dict[str, str]:
        """Branch name -> tip, in one call (a pull request list renders many heads)."""
        return {ref.name.removeprefix("refs/heads/"): ref.sha for ref in self.refs("refs/heads/")}

    def object_kind(self, sha: str) -> str | None:
        if not _SHA.match(sha):
            return None
        result = gitcli.run(self.path, ["cat-file", "-t", sha], ok=(0, 1, 128), timeout=self.timeout)
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def update_ref(self, ref: str, new: str, old: str) -> bool:
        """Move ``ref`` to ``new`` only if it is still at ``old`` (ZERO: must not exist); False if it moved."""
        result = gitcli.run(self.path, ["update-ref", ref, new, old], ok=(0, 1, 128), timeout=self.timeout)
        return result.returncode == 0

    def delete_ref(self, ref: str, old: str) -> bool:
        result = gitcli.run(self.path, ["update-ref", "-d", ref, old], ok=(0, 1, 128), timeout=self.timeout)
        return result.returncode == 0

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        result = gitcli.run(
            self.path, ["merge-base", "--is-ancestor", ancestor, descendant], ok=(0, 1), timeout=self.timeout
        )
        return result.returncode == 0

    def merge_base(self, one: str, two: str) -> str | None:
        result = gitcli.run(self.path, ["merge-base", one, two], ok=(0, 1), timeout=self.timeout)
        return result.stdout.decode().strip() or None

    def count(self, exclude: str, include: str) -> int:
        """How many commits ``include`` has that ``exclude`` does not."""
        return int(self._text("rev-list", "--count", include, f"^{exclude}"))

    def commit(self, sha: str) -> Commit | None:
        if self.object_kind(sha) != "commit":
            return None
        return self._log("--no-walk", sha)[0]

    def commits(self, exclude: str, include: str, limit: int | None = None) -> list[Commit]:
        """The commits of ``include`` not in ``exclude``, oldest first; with ``limit``, the newest that many."""
        bound = [f"--max-count={limit}"] if limit is not None else []
        return self._log("--reverse", *bound, include, f"^{exclude}")

    def _log(self, *args: str) -> list[Commit]:
        output = gitcli.run(self.path, ["log", "-z", f"--format={_FIELDS}", *args], timeout=self.timeout).stdout
        return [_commit(record.decode("utf-8", "replace")) for record in output.split(b"\0") if record]

    def tree(self, rev: str) -> str:
        return self._text("rev-parse", "--verify", f"{rev}^{{tree}}")

    def merge_tree(self, ours: str, theirs: str) -> MergeTree:
        """Merge two commits without a working tree; unrelated histories count as a conflict."""
        result = gitcli.run(
            self.path,
            ["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
            ok=(0, 1, 128),
            timeout=self.timeout,
        )
        lines = result.stdout.decode("utf-8", "replace").splitlines()
        if result.returncode == 0:
            return MergeTree(lines[0], ())
        if result.returncode == 1 and lines:
            return MergeTree(None, tuple(dict.fromkeys(line for line in lines[1:] if line)))
        return MergeTree(None, ("(unrelated histories)",))

    def commit_tree(
        self, tree: str, parents: Sequence[str], message: str, author: Signature, committer: Signature
    ) -> str:
        """Write a commit object (no ref moves); its sha."""
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {**author.environment("AUTHOR"), **committer.environment("COMMITTER")}
        result = gitcli.run(self.path, args, input=message.encode(), env=env, timeout=self.timeout)
        return result.stdout.decode().strip()

    def entry(self, rev: str, path: str) -> Entry | None:
        """The file or directory at ``path`` in commit ``rev`` (``""`` is the root)."""
        path = path.strip("/")
        if not path:
            tree = self._text("rev-parse", f"{rev}^{{tree}}")
            return Entry("", tree, "dir", 0)
        output = gitcli.run(self.path, ["ls-tree", "-z", "-l", rev, "--", path], timeout=self.timeout).stdout.decode(
            "utf-8", "replace"
        )
        for record in output.split("\0"):
            if record and record.split("\t", 1)[1] == path:
                return self._entry(record, parent="")
        return None

    def listing(self, tree: str, directory: str) -> list[Entry]:
        """The entries of a tree object, with paths under ``directory``."""
        output = self._text("ls-tree", "-z", "-l", tree)
        return [self._entry(record, parent=directory, read=False) for record in output.split("\0") if record]

    def _entry(self, record: str, parent: str, read: bool = True) -> Entry:
        meta, name = record.split("\t", 1)
        mode, kind, sha, size = meta.split()
        path = f"{parent}/{name}" if parent else name
        if kind == "tree":
            return Entry(path, sha, "dir", 0)
        if kind == "commit":
            return Entry(path, sha, "submodule", 0)
        kind = "symlink" if mode == "120000" else "file"
        if not read:
            return Entry(path, sha, kind, int(size))
        return Entry(path, sha, kind, int(size), self.blob(sha))

    def blob(self, sha: str) -> bytes:
        return gitcli.run(self.path, ["cat-file", "blob", sha], timeout=self.timeout).stdout

    def default_branch(self) -> str:
        """The branch the bare repository's HEAD names, as a clone would check out."""
        return self._text("symbolic-ref", "--short", "HEAD")

    def valid_ref_name(self, ref: str) -> bool:
        result = gitcli.run(self.path, ["check-ref-format", ref], ok=(0, 1), timeout=self.timeout)
        return result.returncode == 0


def _commit(record: str) -> Commit:
    sha, tree, parents, an, ae, ad, cn, ce, cd, message = record.lstrip("\n").split("\x1f", 9)
    return Commit(
        sha=sha,
        tree=tree,
        parents=tuple(parents.split()),
        author=Signature(an, ae, _utc(ad)),
        committer=Signature(cn, ce, _utc(cd)),
        message=message,
    )


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC)
