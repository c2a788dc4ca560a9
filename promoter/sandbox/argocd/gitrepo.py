"""Reading the config repository the simulator follows: one bare repo, through the git command line.

Every call is bounded by a timeout. Objects are immutable, so trees and blobs are cached by their sha; only
refs are read fresh (one ``for-each-ref`` per request), which is how new pushes are noticed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import posixpath
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeVar

_SHA = re.compile(r"^[0-9a-f]{4,40}$")
_CACHE_SIZE = 4096
_SIBLINGS = 64  # files read along with a requested one from the same folder
_T = TypeVar("_T")


class GitError(Exception):
    """git failed or timed out, or the repository is not what the simulator needs."""


@dataclasses.dataclass(frozen=True)
class Refs:
    """Every branch and tag at one moment, tags peeled to their commit."""

    shas: Mapping[str, str]  # full ref name -> commit sha
    default_branch: str  # full ref name, e.g. refs/heads/main

    def resolve(self, revision: str | None) -> str | None:
        """The commit a ``targetRevision`` names among the refs; None when it is no ref (maybe a sha)."""
        wanted = (revision or "").strip()
        if wanted in ("", "HEAD"):
            return self.shas.get(self.default_branch)
        for name in (wanted, f"refs/heads/{wanted}", f"refs/tags/{wanted}"):
            if name in self.shas:
                return self.shas[name]
        return None


@dataclasses.dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str  # "Name <email>", as Argo CD reports it
    date: dt.datetime
    message: str
    tags: tuple[str, ...]


class BareRepo:
    """A bare (or any) git repository on local disk, read-only."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path / ".git" if (path / ".git").is_dir() else path
        self._timeout = timeout
        self._trees: dict[str, dict[str, str]] = {}
        self._blobs: dict[str, str | None] = {}
        self._default_branch: str | None = None
        self._commits: dict[str, str] = {}  # abbreviated or full sha -> full sha

    def refs(self) -> Refs:
        out = self._git("for-each-ref", "--format=%(objectname) %(*objectname) %(refname)", "refs/heads", "refs/tags")
        shas: dict[str, str] = {}
        for line in out.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:  # a lightweight ref: the peeled column is empty
                shas[parts[2]] = parts[1] or parts[0]
        if self._default_branch is None:  # read once: a repository's default branch hardly ever changes
            self._default_branch = self._git("symbolic-ref", "-q", "HEAD", codes=(0, 1)).strip() or "refs/heads/main"
        return Refs(shas, self._default_branch)

    def resolve(self, refs: Refs, revision: str | None) -> str | None:
        """A branch, tag, ``HEAD`` or (abbreviated) commit sha, as a full commit sha; None if it names nothing."""
        found = refs.resolve(revision)
        if found is not None or revision is None or not _SHA.match(revision.strip()):
            return found
        wanted = revision.strip()
        if wanted not in self._commits:  # a commit never goes away once found; a miss is asked again
            sha = self._git("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}", codes=(0, 1)).strip()
            if not sha:
                return None
            _remember(self._commits, wanted, sha)
        return self._commits[wanted]

    def files(self, commit: str) -> Mapping[str, str]:
        """Every file of the commit: path -> blob sha (cached: commits never change)."""
        tree = self._trees.get(commit)
        if tree is None:
            out = self._git("ls-tree", "-r", "-z", "--full-tree", commit)
            tree = {}
            for entry in out.split("\0"):
                meta, _, path = entry.partition("\t")
                fields = meta.split(" ")
                if len(fields) == 3 and fields[1] == "blob":
                    tree[path] = fields[2]
            _remember(self._trees, commit, tree)
        return tree

    def text(self, blob: str) -> str | None:
        """A blob's text; None when it is not UTF-8 (binary files are no manifests)."""
        if blob not in self._blobs:
            self.read([blob])
        return self._blobs.get(blob)

    def cached(self, blob: str) -> bool:
        return blob in self._blobs

    def read(self, blobs: Iterable[str]) -> None:
        """Load blobs into the cache with one ``cat-file --batch`` (one process, not one per file)."""
        wanted = [blob for blob in dict.fromkeys(blobs) if blob not in self._blobs]
        if not wanted:
            return
        out = self._run("cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n")[1]
        at = 0
        while at < len(out):
            header_end = out.index(b"\n", at)
            sha, _, rest = out[at:header_end].decode().partition(" ")
            at = header_end + 1
            if rest == "missing":
                continue
            size = int(rest.rsplit(" ", 1)[1])
            data, at = out[at : at + size], at + size + 1  # the content is followed by a newline
            try:
                _remember(self._blobs, sha, data.decode("utf-8"))
            except UnicodeDecodeError:
                _remember(self._blobs, sha, None)

    def grep(self, commit: str, needle: str) -> list[str]:
        """The YAML files of the commit that contain ``needle`` (fixed string): a fast pre-filter for scans."""
        out = self._git("grep", "-l", "-z", "-F", "-e", needle, commit, "--", "*.yaml", "*.yml", "*.json", codes=(0, 1))
        return [hit.partition(":")[2] for hit in out.split("\0") if hit]

    def commit(self, revision: str) -> CommitInfo | None:
        """Author, date and message of a commit (for the revision metadata endpoint); None if unknown."""
        if revision.startswith("-"):
            return None  # not a revision, and git would read it as an option
        sha = self._git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", codes=(0, 1)).strip()
        if not sha:
            return None
        out = self._git("show", "-s", "--format=%an <%ae>%x00%aI%x00%B", sha)
        author, date, message = out.split("\0", 2)
        tags = self._git("tag", "--points-at", sha).split()
        return CommitInfo(sha, author, dt.datetime.fromisoformat(date), message.strip(), tuple(tags))

    def _git(self, *args: str, codes: tuple[int, ...] = (0,)) -> str:
        return self._run(*args, codes=codes)[1].decode("utf-8", errors="replace")

    def _run(self, *args: str, codes: tuple[int, ...] = (0,), stdin: bytes | None = None) -> tuple[int, bytes]:
        """git's exit code and stdout; GitError for a timeout or an exit code outside ``codes``."""
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        try:
            done = subprocess.run(
                ["git", "--git-dir", str(self.path), *args],
                input=stdin,
                capture_output=True,
                timeout=self._timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out after {self._timeout:g}s in {self.path}") from None
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from None
        if done.returncode not in codes:
            detail = done.stderr.decode("utf-8", errors="replace").strip()
            raise GitError(f"git {args[0]} failed in {self.path}: {detail}")
        return done.returncode, done.stdout


def _remember(cache: dict[str, _T], key: str, value: _T) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))  # the oldest entry: dicts keep insertion order
    cache[key] = value


class Snapshot:
    """The files of one commit, read lazily: what the renderer and the Application scan look at."""

    def __init__(self, repo: BareRepo, commit: str) -> None:
        self.repo = repo
        self.commit = commit

    def paths(self) -> Iterable[str]:
        return self.repo.files(self.commit).keys()

    def text(self, path: str) -> str | None:
        files = self.repo.files(self.commit)
        blob = files.get(path)
        if blob is None:
            return None
        if not self.repo.cached(blob):  # its neighbours are likely next (a kustomization and its resources)
            folder = posixpath.dirname(path)
            siblings = [b for p, b in files.items() if posixpath.dirname(p) == folder][:_SIBLINGS]
            self.repo.read([blob, *siblings])
        return self.repo.text(blob)

    def prefetch(self, paths: Iterable[str]) -> None:
        files = self.repo.files(self.commit)
        self.repo.read(files[p] for p in paths if p in files)
