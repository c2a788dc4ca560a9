"""The files of one commit as the repo-reading code sees them: a read-only view, and repository paths.

A :class:`Files` is anything with ``paths()`` and ``text(path)``: the simulator's lazy git snapshot, or a
:class:`Tree` over a plain mapping (path -> text) for the bot and for tests. Paths are POSIX, relative to
the repository root, without a leading ``/``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping
from typing import Protocol


class Files(Protocol):
    def paths(self) -> Iterable[str]: ...

    def text(self, path: str) -> str | None: ...


class Tree:
    """A :class:`Files` over a mapping of path -> text (the whole checkout at one revision)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = files

    def paths(self) -> Iterable[str]:
        return self._files.keys()  # a set view: membership tests stay O(1)

    def text(self, path: str) -> str | None:
        return self._files.get(path)


def join(directory: str, relative: str) -> str:
    """A repository path for ``relative`` seen from ``directory``; ``ValueError`` if it leaves the repository."""
    joined = posixpath.normpath(posixpath.join("" if directory == "." else directory, relative))
    if joined == ".." or joined.startswith(("../", "/")):
        raise ValueError(f"{relative!r} points outside the repository")
    return joined


def inside(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` itself or lies beneath it (``.`` holds everything)."""
    return directory in (".", path) or path.startswith(directory.rstrip("/") + "/")


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


def chart_template(files: Collection[str], path: str) -> bool:
    """Whether ``path`` is under a Helm chart's ``templates/``: text for Go templates, no manifest of its own."""
    parts = path.split("/")
    return any(
        part == "templates" and "/".join([*parts[:index], "Chart.yaml"]) in files
        for index, part in enumerate(parts[:-1])
    )
