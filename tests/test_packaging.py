"""Building the package prints no warning (the ``license`` table form, for one, is deprecated), and the wheel
holds what the commands need at run time. Offline: the build backend is the one in this virtualenv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "--no-index")
PIP_WHEEL += ("--disable-pip-version-check",)


def test_the_wheel_builds_without_a_warning_and_holds_the_package_data(tmp_path: Path) -> None:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PYTHONWARNINGS": "error"}  # this machine's pip.conf aside
    built = subprocess.run(
        [*PIP_WHEEL, "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output
    assert not re.search(r"warn|deprecat", output, re.IGNORECASE), output
    (wheel,) = tmp_path.glob("promoter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "promoter/py.typed" in names
    assert any(n.startswith("promoter/samples/") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    assert "Requires-Dist: tzdata" in text
