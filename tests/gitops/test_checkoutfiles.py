"""The checkout's file list: what ``os.walk`` finds, in half its time."""

from __future__ import annotations

import os
from pathlib import Path

from promoter.cli.checkoutfiles import CheckoutFiles


def _walked(root: Path) -> list[str]:
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d != ".git"]
        relative = Path(folder).relative_to(root).as_posix()
        found += [name if relative == "." else f"{relative}/{name}" for name in names]
    return sorted(found)


def test_the_files_are_those_os_walk_finds(tmp_path: Path) -> None:
    for path in ("a.yaml", "apps/web/deploy.yaml", "apps/web/.hidden.yaml", "z/y/x/w.json", ".git/config"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x: 1\n")
    (tmp_path / "nested/.git").mkdir(parents=True)
    (tmp_path / "nested/.git/HEAD").write_text("ref\n")
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree/.git").write_text("gitdir: /elsewhere\n")  # a worktree's .git is a file: listed
    (tmp_path / "empty").mkdir()
    (tmp_path / "link.yaml").symlink_to("a.yaml")  # a link to a file is a file
    (tmp_path / "dangling.yaml").symlink_to("gone.yaml")
    (tmp_path / "linked").symlink_to("apps")  # a link to a directory is not followed
    (tmp_path / "apps/loop").symlink_to("..")
    listed = list(CheckoutFiles(tmp_path))
    assert listed == _walked(tmp_path)
    assert "worktree/.git" in listed and "link.yaml" in listed and "dangling.yaml" in listed
    assert not any(path.startswith(("linked/", ".git/", "nested/.git/", "apps/loop")) for path in listed)
