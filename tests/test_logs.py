"""The structured log: configured by the command line, structlog imported by the first line written."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import sys
from promoter import logs
log = logs.get("promoter.probe")
logs.configure("info", json=True)
before = "structlog" in sys.modules
log.debug("hidden", n=1)
log.info("shown", n=2)
try:
    raise ValueError("boom")
except ValueError:
    log.exception("failed", n=3)
print(before, "structlog" in sys.modules)
"""


def test_the_first_line_imports_structlog_and_applies_the_settings() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "True"]  # configured without it; imported by the first line
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["event"], line["level"], line["n"]) for line in lines] == [
        ("shown", "info", 2),
        ("failed", "error", 3),
    ]
    assert "ValueError: boom" in lines[1]["exception"] and lines[0]["timestamp"].endswith("Z")


def test_a_new_configuration_applies_to_the_next_line() -> None:
    probe = (
        "from promoter import logs\nlog = logs.get('p')\nlogs.configure('info', json=True)\nlog.info('one')\n"
        "logs.configure('warning', json=True)\nlog.info('two')\nlog.warning('three')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert [json.loads(line)["event"] for line in done.stderr.splitlines()] == ["one", "three"]
