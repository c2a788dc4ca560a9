"""A clone of the project alone: the tests that read ``../shared`` skip with one reason; under ``CI``, an error.

The decision is a truth table; the behaviour is a real pytest run on a small copy of the test tree in a
directory with no ``shared`` beside it (the real conftest, checker and two real test modules).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[1]
COPIED = (
    "pyproject.toml",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/apispec.py",
    "tests/yamledit/__init__.py",
    "tests/yamledit/cli_runner.py",
    "tests/yamledit/test_corpus.py",  # reads the corpus at import: the module skips
    "tests/yamledit/test_traffic.py",  # four tests take the corpus fixture; the others run
)
CHECKER_TESTS = """\
import pytest

from tests import apispec


def test_a_response_check_passes_through_unchecked() -> None:
    assert apispec.check_github("GET", "/user", 200, {}) is None
    assert apispec.check_argocd("GET", "/api/v1/applications", 200, {}) is None


@pytest.mark.usefixtures("specs")
def test_conformance_itself() -> None:
    raise AssertionError("runs only with the API descriptions")
"""


@pytest.mark.parametrize(
    ("present", "ci", "expected"),
    [
        pytest.param(True, None, conftest.Shared.PRESENT, id="present"),
        pytest.param(True, "true", conftest.Shared.PRESENT, id="present-under-ci"),
        pytest.param(False, None, conftest.Shared.SKIP, id="missing"),
        pytest.param(False, "", conftest.Shared.SKIP, id="missing-ci-empty"),
        pytest.param(False, "true", conftest.Shared.ERROR, id="missing-under-ci"),
    ],
)
def test_what_a_run_does_about_shared(present: bool, ci: str | None, expected: conftest.Shared) -> None:
    assert conftest.shared_state(present, ci) is expected


@pytest.fixture
def alone(tmp_path: Path) -> Path:
    """A copy of part of the project at ``tmp/alone/promoter``, with no ``tmp/alone/shared``."""
    copy = tmp_path / "alone" / "promoter"
    for name in COPIED:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, copy / name)
    (copy / "tests/test_checker.py").write_text(CHECKER_TESTS, encoding="utf-8")
    return copy


def _pytest(copy: Path, ci: str | None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env["PYTHONPATH"] = str(copy)
    if ci is not None:
        env["CI"] = ci
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_clone_alone_skips_with_one_reason_and_fails_under_ci(alone: Path) -> None:
    reason = f"../shared (the corpus and API specs) is not beside this checkout: {alone.parent / 'shared'}"
    # Both runs at once: each is mostly interpreter start-up.
    without, under_ci = runs = _pytest(alone, None), _pytest(alone, "true")
    try:
        out, err = without.communicate(timeout=60)
        ci_out, ci_err = under_ci.communicate(timeout=60)
    finally:
        for run in runs:
            run.kill()  # nothing happens to a run that has finished
            run.wait()

    assert without.returncode == 0, out + err
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all(line.endswith(f": {reason}") for line in skipped), out
    assert any("tests/yamledit/test_corpus.py" in line for line in skipped), out
    assert any("tests/test_checker.py" in line for line in skipped), out
    assert (
        f"2 responses (Argo CD simulator 1, GitHub sandbox 1) were not checked against the API descriptions: {reason}"
        in out
    )
    assert "passed, 6 skipped" in out, out

    assert under_ci.returncode == pytest.ExitCode.USAGE_ERROR, ci_out + ci_err
    assert f"ERROR: {reason} (CI is set: this is an error there, not a skip)" in ci_err
