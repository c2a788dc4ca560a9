"""Writing git objects for the API's git data endpoints: blobs, trees built from path edits, tree listings.

Trees are built in a throwaway index file (``GIT_INDEX_FILE``), which git can fill from a base tree, edit
by path and write out, all without a working tree, so nested paths ("apps/web/values.yaml") need no
hand-made subtrees.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

from promoter.sandbox.github import gitcli, repository

MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


@dataclasses.dataclass(frozen=True)
class TreeEdit:
    """Put ``sha`` (of the kind ``mode`` implies) at ``path``; ``sha=None`` removes the path."""

    path: str
    mode: str
    sha: str | None


@dataclasses.dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    kind: str
    sha: str
    size: int | None


def write_blob(repo: repository.BareRepository, content: bytes) -> str:
    result = gitcli.run(repo.path, ["hash-object", "-w", "--stdin"], input=content, timeout=repo.timeout)
    return result.stdout.decode().strip()


def build_tree(repo: repository.BareRepository, base_tree: str | None, edits: Sequence[TreeEdit]) -> str:
    """The tree ``base_tree`` (or an empty one) with ``edits`` applied, written to the object store."""
    with tempfile.TemporaryDirectory(prefix="promoter-sandbox-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_LITERAL_PATHSPECS": "1"}

        def git(*args: str, stdin: bytes | None = None) -> bytes:
            return gitcli.run(repo.path, args, input=stdin, env=env, timeout=repo.timeout).stdout

        git("read-tree", base_tree or "--empty")
        for edit in edits:
            path = edit.path.strip("/")
            inside = git("ls-files", "-z", "--", path).split(b"\0")
            removals = b"".join(b"0 " + repository.ZERO.encode() + b"\t" + name + b"\n" for name in inside if name)
            if removals:
                git("update-index", "--index-info", stdin=removals)
            if edit.sha is None:
                continue
            if MODES[edit.mode] == "tree":
                git("read-tree", f"--prefix={path}/", edit.sha)
            else:
                git("update-index", "--index-info", stdin=f"{edit.mode} {edit.sha}\t{path}\n".encode())
        return git("write-tree").decode().strip()


def entries(repo: repository.BareRepository, tree: str, recursive: bool) -> list[TreeEntry]:
    """A tree's entries (with ``recursive``, every entry below it, subtrees included, as GitHub lists)."""
    args = ["ls-tree", "-z", "-l", *(["-r", "-t"] if recursive else []), tree]
    output = gitcli.run(repo.path, args, timeout=repo.timeout).stdout.decode("utf-8", "replace")
    found = []
    for record in output.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, sha, size = meta.split()
        found.append(
            TreeEntry(path, "040000" if kind == "tree" else mode, kind, sha, None if size == "-" else int(size))
        )
    return found
