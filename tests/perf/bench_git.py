"""Git cost per step (fetch, edit, commit, push) on a generated 5,000-file config repo, against a fresh clone
per change (Argo CD Image Updater's way). Targets: <= 60 ms median, >= 5x faster than a fresh clone.

The remote is a bare repository on local disk: the push includes the receiving side's work (unpacking and
the connectivity check against its refs), which on GitHub happens on GitHub's servers.

Run: .venv/bin/python -m tests.perf.bench_git
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from promoter.adapters.gitrepo import GitRepo
from promoter.core.actions import FileChange
from promoter.yamledit import imageedit
from tests.perf.generated_repo import generate

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
}


def _step(repo: GitRepo, i: int) -> None:
    base = repo.fetch("main")
    path = f"envs/prod/svc-{i:04d}/deployment.yaml"
    text = repo.read(path, base)
    assert text is not None
    edited = imageedit.apply(text, imageedit.parse_request(f"ghcr.io/acme/svc-{i:04d}:2.{i}.0"), path)
    repo.commit_edit(
        f"promoter/bench/{i}/0-0", base, [FileChange(path, edited)], "promote", (("Promoter-Step", "0-0"),)
    )


def _fresh_clone_step(bare: Path, work: Path, i: int, depth: int | None) -> None:
    target = work / f"clone-{i}"
    args = ["git", "clone", "-q"] + (["--depth", str(depth)] if depth else []) + [bare.as_uri(), str(target)]
    subprocess.run(args, check=True, env=GIT_ENV)
    path = target / f"envs/prod/svc-{i:04d}/deployment.yaml"
    text = path.read_text()
    path.write_text(imageedit.apply(text, imageedit.parse_request(f"ghcr.io/acme/svc-{i:04d}:3.{i}.0"), path.name))
    subprocess.run(["git", "commit", "-qam", "promote"], cwd=target, check=True, env=GIT_ENV)
    subprocess.run(
        ["git", "push", "-q", "origin", f"HEAD:refs/heads/fresh/{depth}/{i}"], cwd=target, check=True, env=GIT_ENV
    )
    shutil.rmtree(target)


def run(steps: int = 40, clones: int = 8, files: int = 5000) -> dict[str, float]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        root = Path(tmp)
        bare = generate(root, files)
        repo = GitRepo(bare.as_uri(), root / "clone", ("bench", "bench@example.com"))
        repo.fetch("main")  # the persistent clone is made once
        _step(repo, 0)
        samples = []
        for i in range(1, steps + 1):
            start = time.perf_counter()
            _step(repo, i)
            samples.append((time.perf_counter() - start) * 1000)
            # Untimed: the step's branch is merged and deleted, as GitHub does with merged heads, so the
            # remote keeps its steady-state handful of branches instead of one more per step.
            subprocess.run(["git", "update-ref", "-d", f"refs/heads/promoter/bench/{i}/0-0"], cwd=bare, check=True)
        fresh: dict[str, list[float]] = {"full": [], "depth 1": []}
        for name, depth in (("full", None), ("depth 1", 1)):
            for i in range(clones):
                start = time.perf_counter()
                _fresh_clone_step(bare, root, 1 + i, depth)
                fresh[name].append((time.perf_counter() - start) * 1000)
    step = statistics.median(samples)
    full = statistics.median(fresh["full"])
    shallow = statistics.median(fresh["depth 1"])
    print(f"config repo: {files} files; {steps} steps, {clones} fresh clones of each kind")
    print(
        f"  persistent clone, per step (fetch, read, edit, commit, push): median {step:6.1f} ms  p95 "
        f"{sorted(samples)[int(len(samples) * 0.95) - 1]:6.1f} ms"
    )
    print(
        f"  fresh full clone per change:                                   median {full:6.1f} ms  ({full / step:4.1f}x slower)"
    )
    print(
        f"  fresh --depth 1 clone per change:                              median {shallow:6.1f} ms  ({shallow / step:4.1f}x slower)"
    )
    return {"step_ms": step, "fresh_full_ms": full, "fresh_shallow_ms": shallow}


if __name__ == "__main__":
    run()
