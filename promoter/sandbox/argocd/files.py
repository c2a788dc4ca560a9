"""The read-only view of one commit's files that rendering needs (a git snapshot, or a dict in tests)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Protocol


class Files(Protocol):
    def paths(self) -> Iterable[str]: ...

    def text(self, path: str) -> str | None: ...


def join(directory: str, relative: str) -> str:
    """A repository path for ``relative`` seen from ``directory``; ``ValueError`` if it leaves the repository."""
    joined = posixpath.normpath(posixpath.join("" if directory == "." else directory, relative))
    if joined == ".." or joined.startswith(("../", "/")):
        raise ValueError(f"{relative!r} points outside the repository")
    return joined


def under(files: Files, directory: str, recurse: bool = True) -> list[str]:
    """The files inside ``directory`` (all depths, or only its own), sorted."""
    prefix = "" if directory == "." else directory.rstrip("/") + "/"
    found = []
    for path in files.paths():
        if path.startswith(prefix) and (recurse or "/" not in path[len(prefix) :]):
            found.append(path)
    return sorted(found)


def is_directory(files: Files, path: str) -> bool:
    prefix = "" if path == "." else path + "/"
    return any(p.startswith(prefix) for p in files.paths())
