"""A config repo checkout on disk as the repo-reading code reads it (every file by repository path, each read
when first asked for), and the files of it the image scan reads."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from promoter.gitops.files import chart_template
from promoter.gitops.scan import SUFFIXES


class CheckoutFiles(Mapping[str, str]):
    """Every file of the checkout by repository path; a text is read when first asked for (most never are)."""

    def __init__(self, root: Path) -> None:
        self._root = str(root)
        self._texts: dict[str, str] = {}
        self._paths = dict.fromkeys(sorted(_listed(self._root)))

    def __getitem__(self, path: str) -> str:
        if path not in self._paths:
            raise KeyError(path)
        text = self._texts.get(path)
        if text is None:
            try:  # (os.path, not pathlib: a 5,000-file repo reads a fifth faster)
                with open(os.path.join(self._root, path), encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                text = ""  # a dangling link, or a file gone since the walk: nothing to read
            self._texts[path] = text
        return text

    def raw(self, path: str) -> bytes:
        """The file's bytes, b"" if unreadable: what the image scan reads (it tells UTF-16 and bad UTF-8)."""
        try:
            with open(os.path.join(self._root, path), "rb") as handle:
                return handle.read()
        except OSError:
            return b""

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def keys(self) -> Any:
        return self._paths.keys()  # a set view: the repo-reading code tests membership often

    def __contains__(self, path: object) -> bool:
        return path in self._paths


def image_paths(files: CheckoutFiles) -> list[str]:
    """The files the image scan reads: YAML and JSON, a chart's templates left out."""
    return [path for path in files if path.lower().endswith(SUFFIXES) and not chart_template(files.keys(), path)]


def _listed(root: str) -> list[str]:
    """Every file's repository path, as ``os.walk`` finds them (``.git`` skipped; a link to a directory is not
    followed, one to a file is a file; an unreadable directory holds nothing), in half its time."""
    found: list[str] = []
    folders = [("", root)]
    while folders:
        relative, folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                folder_here = entry.is_dir() and not entry.is_symlink()
                linked_folder = not folder_here and entry.is_symlink() and entry.is_dir()
            except OSError:
                folder_here = linked_folder = False
            if folder_here:
                if entry.name != ".git":
                    folders.append((f"{relative}{entry.name}/", entry.path))
            elif not linked_folder:
                found.append(relative + entry.name)
    return found
