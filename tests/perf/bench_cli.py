"""Command start-up benchmark: wall time of each command as a fresh process (DESIGN.md §13: bot commands start in
<= 0.5 s).

The config is the embedded default (``config/``) in a temporary directory, with its SQLite store already holding
a promotion of the pipeline (as on any day but the first: an empty store is rebuilt from the forge, which is
network time, not start-up). Each command runs as a user runs it, ``python -m promoter ...``, with bytecode
compiled (as an installed package has it); median of 7 runs. The commands that talk to GitHub, git and Argo CD
before their first output (``start``, ``plan``) are timed to their ``--help``: their module's imports,
which is their start-up; the rest of their time is the network's.

Run: .venv/bin/python -m tests.perf.bench_cli
"""

from __future__ import annotations

import compileall
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import promoter
from promoter.adapters.store import SQLStore

TARGET_SECONDS = 0.5
ROOT = Path(__file__).resolve().parents[2]
_ENV = {"PROMOTER_GITHUB_TOKEN": "bench", "PROMOTER_ARGOCD_TOKEN": "bench", "PROMOTER_LOG_LEVEL": "warning"}


def _config(tmp: Path) -> tuple[Path, str]:
    """The default config with a store that already knows its pipeline (one promotion in progress)."""
    config = tmp / "config"
    shutil.copytree(ROOT / "config", config)
    pipeline = sorted(p.stem for p in (config / "pipelines").glob("*.yaml"))[0]
    store = SQLStore(f"sqlite:///{tmp / '.promoter' / 'promoter.db'}")
    try:
        store.create_promotion(pipeline, "1.2.3", dt.datetime.now(dt.UTC))
    finally:
        store.close()
    return config, pipeline


def _timed(args: list[str], cwd: Path, repeat: int) -> float:
    samples = []
    env = {**os.environ, **_ENV}
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "promoter", *args], check=True, capture_output=True, cwd=cwd, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(repeat: int = 7) -> dict[str, float]:
    compileall.compile_dir(Path(promoter.__file__).parent, quiet=1)  # what pip install does; a no-op when done
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="promoter-bench-cli-") as name:
        tmp = Path(name)
        config, pipeline = _config(tmp)
        (tmp / "manifest.yaml").write_text("spec:\n  containers:\n    - name: app\n      image: acme/app:1.0\n")
        cases = {
            "promoter --help": ["--help"],
            "validate --offline": ["validate", "--offline", "--config", str(config)],
            "status": ["status", "--config", str(config)],
            "status --json": ["status", "--json", "--config", str(config)],
            f"pause {pipeline}": ["pause", pipeline, "--config", str(config)],
            f"resume {pipeline}": ["resume", pipeline, "--config", str(config)],
            f"windows {pipeline}": ["windows", pipeline, "--config", str(config)],
            "start --help (start, plan: imports)": ["start", "--help"],
            "edit image (not a bot command)": ["edit", "image", str(tmp / "manifest.yaml"), "acme/app:1.1"],
        }
        print(f"fresh processes, median of {repeat}; target for bot commands <= {TARGET_SECONDS} s")
        for label, args in cases.items():
            results[label] = _timed(args, tmp, repeat)
            print(f"  {label:45s} {results[label]:.3f} s")
    return results


if __name__ == "__main__":
    run()
