"""The image scan beside the discovery (``promoter apps --images``): a forked child's half and this process's half
make exactly the scan of all the files, whatever the files, and a failed child costs only time."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promoter.cli import imagescan
from promoter.cli.checkoutfiles import CheckoutFiles, image_paths
from promoter.gitops import scan
from tests.gitops.test_discovery import app
from tests.perf import bench_scan

T = TypeVar("T")

ODD = {
    "apps/web.yaml": app("web", "web").encode(),
    "apps/two.yaml": (app("a", "a") + "---\n" + app("b", "b")).encode(),
    "web/deploy.yaml": b"kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: acme/web:1.0\n",
    "web/latin1.yaml": "image: acme/caf\xe9:1.0\n".encode("latin-1"),  # not UTF-8: a problem, with its byte
    "web/utf16.yaml": "image: acme/wide:2.0\n".encode("utf-16"),
    "web/broken.yaml": b"image: [acme/broken:1.0\n",
    "web/alias.yaml": b"base: &img acme/aliased:1.0\nimage: *img\n",
    "web/values.yaml": b"image:\n  repository: acme/chart\n  tag: 3.1.4\n",
    "charts/x/templates/deploy.yaml": b"image: {{ .Values.image }}\n",
    "notes.txt": b"image: acme/not-yaml:1.0\n",
}


def beside(paths: list[str], read: Callable[[str], bytes], work: Callable[[], T]) -> tuple[T, scan.Scan]:
    """As ``promoter apps --images`` runs it: the work, then the scan's result."""
    with imagescan.Beside(paths, read) as scanning:
        done = work()
        return done, scanning.result()


def _scanned(root: Path) -> tuple[scan.Scan, scan.Scan]:
    files = CheckoutFiles(root)
    paths = image_paths(files)
    _, beside_ = beside(paths, files.raw, lambda: None)
    return beside_, scan.scan((path, files.raw(path)) for path in paths)


def test_beside_is_the_scan_of_every_file(tmp_path: Path) -> None:
    bench_scan.write({**bench_scan.repo(400, seed=3), **ODD}, tmp_path)
    beside, alone = _scanned(tmp_path)
    assert beside == alone
    assert alone.images and alone.applications and alone.problems  # the table's cases all show
    assert {p.file for p in alone.problems} >= {"web/latin1.yaml", "web/broken.yaml"}


# The child is forked only from a process with one thread; pytest's may run servers of other tests in threads,
# so what needs the child runs in a process of its own.
_ALONE = """
import fcntl, json, os, sys, termios, time
from pathlib import Path
from promoter.cli import imagescan
from promoter.cli.checkoutfiles import CheckoutFiles, image_paths
from promoter.gitops import scan

root, mode = Path(sys.argv[1]), sys.argv[2]
files = CheckoutFiles(root)
parent = os.getpid()
read_here = []

def read(path):
    if os.getpid() != parent:
        if mode == "child-fails":
            raise OSError("the child cannot read")  # it exits 1: this process scans everything
    else:
        read_here.append(path)
    return files.raw(path)

def queued(fd):
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, bytes(4)), sys.byteorder)

def work():
    if mode == "work-fails":
        raise RuntimeError("the discovery failed")
    told = scanning.argocd_files()
    deadline = time.monotonic() + 30
    while mode == "child-first" and queued(scanning._child.queue) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the child has taken the one chunk there is
    return os.getpid(), None if told is None else sorted(told)

if mode == "work-fails":
    try:
        with imagescan.Beside(image_paths(files), read) as scanning:
            work()
    except RuntimeError:
        try:
            os.waitpid(-1, os.WNOHANG)  # a child running or not yet reaped answers here
            left = True
        except ChildProcessError:  # none at all: it was stopped and reaped
            left = False
        print(json.dumps({"children": left}))
    sys.exit(0)
with imagescan.Beside(image_paths(files), read) as scanning:
    (done, told) = work()
    found = scanning.result()
alone = scan.scan((path, files.raw(path)) for path in image_paths(files))
answer = {"here": done == parent, "read_here": sorted(read_here), "same": found == alone, "told": told}
print(json.dumps(answer))
"""


def _alone(root: Path, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _ALONE, str(root), mode], capture_output=True, text=True, check=True, timeout=120
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_the_work_runs_here_while_the_child_scans_all_but_argo_cds_files(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    answer = _alone(tmp_path, "child-first")
    assert answer["here"] and answer["same"]
    assert answer["told"] == ["apps/two.yaml", "apps/web.yaml"]  # the files the discovery need read
    assert answer["read_here"] == ["apps/two.yaml", "apps/web.yaml"]  # what the child left: Argo CD's files


def test_a_child_that_fails_costs_only_time(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    answer = _alone(tmp_path, "child-fails")
    assert answer["here"] and answer["same"]
    assert answer["told"] is None  # the discovery reads every file to find Argo CD's
    assert len(answer["read_here"]) > 2  # every file, here


def test_the_child_is_stopped_when_the_work_fails(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    assert _alone(tmp_path, "work-fails") == {"children": False}  # killed and reaped: nothing left behind


def test_with_another_thread_running_there_is_no_child(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    order: list[tuple[str, int]] = []
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, args=(30,))
    other.start()
    try:

        def read(path: str) -> bytes:
            order.append(("read", os.getpid()))
            return files.raw(path)

        paths = image_paths(files)
        _, found = beside(paths, read, lambda: order.append(("work", os.getpid())))
    finally:
        stop.set()
        other.join()
    assert order[0][0] == "work" and [kind for kind, _ in order].count("read") == len(paths)
    assert {pid for _, pid in order} == {os.getpid()}
    assert found == scan.scan((path, files.raw(path)) for path in paths)


def test_both_processes_take_chunks_and_the_result_is_one_scans(tmp_path: Path) -> None:
    bench_scan.write({**bench_scan.repo(600, seed=5), **ODD}, tmp_path)
    files = CheckoutFiles(tmp_path)
    assert len(imagescan.chunks_of([len(files.raw(path)) for path in image_paths(files)])) > 2  # several to share
    answer = _alone(tmp_path, "share")  # this process joins at once
    assert answer["here"] and answer["same"]


def test_without_fork_everything_is_scanned_after_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    order: list[str] = []

    def read(path: str) -> bytes:
        order.append("read")
        return files.raw(path)

    monkeypatch.delattr(os, "fork")
    paths = image_paths(files)
    _, found = beside(paths, read, lambda: order.append("work"))
    assert order[0] == "work" and order.count("read") == len(paths)
    assert found == scan.scan((path, files.raw(path)) for path in paths)


def test_merged_keeps_the_files_order_and_each_files_own() -> None:
    def ref(file: str, line: int) -> scan.ImageRef:
        return scan.ImageRef(file, 0, line, "image", f"acme/{file}:1", f"acme/{file}", "1", None, scan.Form.VALUE)

    first = scan.Scan((ref("b", 3), ref("b", 1)), (), (scan.Problem("d", 1, "broken"),))
    second = scan.Scan((ref("a", 9), ref("c", 2)), (), (scan.Problem("a", None, "not UTF-8 text"),))
    both = imagescan.merged(["a", "b", "c", "d"], first, second)
    assert [(r.file, r.line) for r in both.images] == [("a", 9), ("b", 3), ("b", 1), ("c", 2)]
    assert [p.file for p in both.problems] == ["a", "d"]


def test_chunks_are_runs_of_about_equal_bytes_the_largest_first() -> None:
    sizes = {f"a/{n:04}.yaml": 1000 for n in range(2000)}
    sizes |= {"z/crds.yaml": 600_000, "m/values.yaml": 150_000, "b/empty.yaml": 0}
    paths = sorted(sizes)
    chunks = imagescan.chunks_of([sizes[path] for path in paths])
    weights = [sum(sizes[path] for path in paths[start:end]) for start, end in chunks]
    assert sorted(index for start, end in chunks for index in range(start, end)) == list(range(len(paths)))
    assert weights == sorted(weights, reverse=True)  # the largest first: none is left for the end
    assert [paths[start:end] for start, end in chunks[:2]] == [["z/crds.yaml"], ["m/values.yaml"]]  # alone
    share = sum(sizes.values()) // imagescan._SHARES
    assert all(weight < 2 * share for weight in weights[2:])


@given(st.lists(st.integers(0, 10**6) | st.integers(0, 2000), max_size=3000))
def test_chunks_cover_every_file_once_and_fit_the_pipe_in_one_write(sizes: list[int]) -> None:
    chunks = imagescan.chunks_of(sizes)
    assert sorted(index for start, end in chunks for index in range(start, end)) == list(range(len(sizes)))
    assert all(start < end for start, end in chunks)
    assert len(chunks) * imagescan._TOKEN <= select.PIPE_BUF  # the queue's one write is atomic


def test_a_small_repo_is_one_chunk() -> None:
    assert imagescan.chunks_of([100] * 10) == [(0, 10)]


def test_the_result_is_taken_once(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    with imagescan.Beside(image_paths(files), files.raw) as scanning:
        scanning.result()
        with pytest.raises(RuntimeError, match="taken already"):
            scanning.result()


def test_the_listing_with_images_is_the_listing_without(tmp_path: Path) -> None:
    # With --images the discovery reads only the files the child found to name Argo CD: the same Applications.
    bench_scan.write({**bench_scan.repo(400, seed=3), **ODD}, tmp_path)

    def listed(*extra: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "promoter", "apps", str(tmp_path), "--json", "--offline", *extra]
        out: dict[str, Any] = json.loads(subprocess.run(command, capture_output=True, check=True, timeout=120).stdout)
        return out

    plain, with_images = listed(), listed("--images")
    assert with_images.pop("images")
    scan_problems = [p for p in with_images.pop("problems") if p not in plain["problems"]]
    assert {p["file"] for p in scan_problems} == {"web/broken.yaml", "web/latin1.yaml"}  # the image scan's own
    assert with_images == {key: value for key, value in plain.items() if key != "problems"}
    assert plain["applications"] and plain["applicationSets"]
