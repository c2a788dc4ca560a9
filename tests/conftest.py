"""Shared fixtures: real git repositories on local disk (``/dev/shm`` when available, it is fastest)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Developers' runs explore new examples every time; CI replays a fixed sequence (derandomize), so a
# submission lands or not on its own merits, and what exploration finds is fixed before it reaches CI.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Person",
    "GIT_AUTHOR_EMAIL": "person@example.com",
    "GIT_COMMITTER_NAME": "Test Person",
    "GIT_COMMITTER_EMAIL": "person@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout (stripped)."""
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def fast_tmp() -> Iterator[Path]:
    """A temporary directory in memory (``/dev/shm``) when the machine has it."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="promoter-test-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_bare_repo(fast_tmp: Path) -> Callable[[dict[str, str]], Path]:
    """Create a bare repository whose ``main`` holds the given files (path -> text); return its path."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str]) -> Path:
        n = next(counter)
        work = fast_tmp / f"seed-{n}"
        bare = fast_tmp / f"origin-{n}.git"
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        for name, text in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "initial config")
        git(fast_tmp, "clone", "-q", "--bare", str(work), str(bare))
        shutil.rmtree(work)
        return bare

    return make
