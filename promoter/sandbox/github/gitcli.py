"""Running the git command line against the bare repository, hermetically and with a bounded time.

Every call gets the same environment: no system or user configuration (a developer's ``diff.noprefix`` or
``color.ui`` would change what we parse), and identities only where a call passes them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from promoter.sandbox.github import errors


def run(
    repo: Path,
    args: Sequence[str],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
    timeout: float = 30.0,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git args`` in ``repo``; a return code outside ``ok`` or a timeout is a GitFailure."""
    command = ["git", "-c", f"safe.directory={repo}", "-c", "core.quotePath=false", *args]
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        **(env or {}),
    }
    try:
        result = subprocess.run(
            command, cwd=repo, env=environment, input=input, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise errors.GitFailure(f"git {args[0]} timed out after {timeout}s") from exc
    if result.returncode not in ok:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise errors.GitFailure(f"git {' '.join(args[:2])} failed ({result.returncode}): {message}")
    return result


def text(repo: Path, args: Sequence[str], timeout: float = 30.0) -> str:
    """The stripped standard output of a git call that must succeed."""
    return run(repo, args, timeout=timeout).stdout.decode("utf-8", "replace").strip()
