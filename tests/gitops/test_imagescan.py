"""The image scan beside the discovery (``promoter apps --images``): a forked child's half and this process's half
make exactly the scan of all the files, whatever the files, and a failed child costs only time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from promoter.cli import imagescan
from promoter.cli.apps import CheckoutFiles, image_paths
from promoter.gitops import scan
from tests.gitops.test_discovery import app
from tests.perf import bench_scan

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


def _scanned(root: Path) -> tuple[scan.Scan, scan.Scan]:
    files = CheckoutFiles(root)
    paths = image_paths(files)
    _, beside = imagescan.beside(paths, files.raw, lambda: None)
    return beside, scan.scan((path, files.raw(path)) for path in paths)


def test_beside_is_the_scan_of_every_file(tmp_path: Path) -> None:
    bench_scan.write({**bench_scan.repo(400, seed=3), **ODD}, tmp_path)
    beside, alone = _scanned(tmp_path)
    assert beside == alone
    assert alone.images and alone.applications and alone.problems  # the table's cases all show
    assert {p.file for p in alone.problems} >= {"web/latin1.yaml", "web/broken.yaml"}


def test_the_work_runs_here_while_the_child_scans_all_but_argo_cds_files(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    read_here: list[str] = []  # the child's own appends stay in its copy of the list
    began = tmp_path / "child-began"
    parent = os.getpid()

    def read(path: str) -> bytes:
        if os.getpid() != parent:
            began.touch()  # the child has taken the one chunk there is
        else:
            read_here.append(path)
        return files.raw(path)

    def work() -> int:
        deadline = time.monotonic() + 30
        while not began.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return os.getpid()

    done, found = imagescan.beside(image_paths(files), read, work)
    assert done == parent
    assert sorted(read_here) == ["apps/two.yaml", "apps/web.yaml"]  # what the child left: Argo CD's files
    assert found == scan.scan((path, files.raw(path)) for path in image_paths(files))


def test_both_processes_take_chunks_and_the_result_is_one_scans(tmp_path: Path) -> None:
    bench_scan.write(bench_scan.repo(600, seed=5), tmp_path)
    files = CheckoutFiles(tmp_path)
    paths = image_paths(files)
    assert len(imagescan._chunks(paths)) > 2  # several to share
    _, found = imagescan.beside(paths, files.raw, lambda: None)  # this process joins at once
    assert found == scan.scan((path, files.raw(path)) for path in paths)


def test_a_child_that_fails_costs_only_time(tmp_path: Path) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    parent = os.getpid()

    def read(path: str) -> bytes:
        if os.getpid() != parent:
            raise OSError("the child cannot read")  # it exits 1: this process scans everything
        return files.raw(path)

    paths = image_paths(files)
    _, found = imagescan.beside(paths, read, lambda: None)
    assert found == scan.scan((path, files.raw(path)) for path in paths)


def test_without_fork_everything_is_scanned_after_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench_scan.write(ODD, tmp_path)
    files = CheckoutFiles(tmp_path)
    order: list[str] = []

    def read(path: str) -> bytes:
        order.append("read")
        return files.raw(path)

    monkeypatch.delattr(os, "fork")
    paths = image_paths(files)
    _, found = imagescan.beside(paths, read, lambda: order.append("work"))
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
