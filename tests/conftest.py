"""Shared fixtures: real git repositories on local disk (``/dev/shm`` when available, it is fastest).

Also where ``../shared`` (the corpus and the API descriptions, beside the checkout) is found. A clone of
the project alone still runs its tests: the ones that read ``../shared`` skip, all with one reason
(:data:`MISSING_SHARED`). Under ``CI`` its absence fails the session instead, since CI always has it.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
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
SPECS = SHARED / "specs"
MISSING_SHARED = f"../shared (the corpus and API specs) is not beside this checkout: {SHARED}"


class Shared(enum.Enum):
    """What a run does about ``../shared``."""

    PRESENT = "present"
    SKIP = "skip"  # the tests that read it skip; every other test runs
    ERROR = "error"  # the session fails before collecting


def shared_state(present: bool, ci: str | None) -> Shared:
    """Purely computational: a missing ``../shared`` skips, except under ``CI`` (set and non-empty)."""
    if present:
        return Shared.PRESENT
    return Shared.ERROR if ci else Shared.SKIP


def shared_present() -> bool:
    return CORPUS.is_dir() and SPECS.is_dir()


def pytest_configure() -> None:
    if shared_state(shared_present(), os.environ.get("CI")) is Shared.ERROR:
        raise pytest.UsageError(f"{MISSING_SHARED} (CI is set: this is an error there, not a skip)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many responses went unchecked for want of the API descriptions: not checking is not silent."""
    # Only if some test imported the checker: importing it here would load the validators for nothing.
    apispec = sys.modules.get("tests.apispec")
    unchecked = getattr(apispec, "UNCHECKED", None)
    if unchecked:
        counts = ", ".join(f"{service} {count}" for service, count in sorted(unchecked.items()))
        what = f"{unchecked.total()} responses ({counts}) were not checked against the API descriptions"
        terminalreporter.write_line(f"{what}: {MISSING_SHARED}", yellow=True)


# Modules that read ../shared at import (for their parameters) skip themselves, so that the report names
# them: ``if not shared_present(): pytest.skip(MISSING_SHARED, allow_module_level=True)``.


@pytest.fixture
def corpus() -> Path:
    """``../shared/corpus``; the test skips when ``../shared`` is absent."""
    if not shared_present():
        pytest.skip(MISSING_SHARED)
    return CORPUS


@pytest.fixture
def specs() -> Path:
    """``../shared/specs``, for the tests that are about conformance itself; they skip without it."""
    if not shared_present():
        pytest.skip(MISSING_SHARED)
    return SPECS


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
