"""Running the real ``promoter`` command line in a subprocess, as users and scripts do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def promoter(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "promoter", *args], cwd=cwd, capture_output=True, timeout=60, check=False
    )
