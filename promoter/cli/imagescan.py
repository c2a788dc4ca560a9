"""The image scan of a checkout side by side with other work (``promoter apps --images``: the discovery).

A forked child scans the files that cannot hold Argo CD documents (most of a config repo), while this process
does the other work; it then scans the files the child left, where that work has left the caches warm (the
discovery reads each Application's file whole). Both halves read the files' bytes, as a scan of its own would, so the
result is the very one :func:`scan.scan` gives over all the files in their order (a test holds them equal). Where
there is no ``fork`` or the child fails, this process scans everything after the work.

The child starts before the work and touches nothing shared but memory: no threads run then (the command starts
none before), it only reads files, and it leaves by ``os._exit`` with its result pickled down a pipe.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from promoter.gitops import applications, scan

_T = TypeVar("_T")
_GROUP = applications.API_GROUP.encode()


def maybe_argo(data: bytes) -> bool:
    """Whether the file may hold an Argo CD document (the discovery's own first test)."""
    return _GROUP in data and b"Application" in data


def beside(paths: Sequence[str], read: Callable[[str], bytes], work: Callable[[], _T]) -> tuple[_T, scan.Scan]:
    """``work()``'s result, and the scan of ``paths`` (read by ``read``) as ``scan.scan`` gives it."""
    child = _fork(paths, read) if hasattr(os, "fork") else None
    done = work()
    answer = _collect(child) if child is not None else None
    if answer is None:
        return done, scan.scan((path, read(path)) for path in paths)
    theirs, left = answer
    return done, merged(paths, scan.scan((path, read(path)) for path in left), theirs)


def merged(paths: Sequence[str], *parts: scan.Scan) -> scan.Scan:
    """One scan of ``paths`` from scans of disjoint subsets: every file's findings in the files' order (a file's
    all come from one part, in its order: the sorts are stable)."""
    order = {path: index for index, path in enumerate(paths)}
    images = sorted((ref for part in parts for ref in part.images), key=lambda ref: order[ref.file])
    found = sorted((doc for part in parts for doc in part.applications), key=lambda doc: order[doc.file])
    problems = sorted((p for part in parts for p in part.problems), key=lambda problem: order[problem.file])
    return scan.Scan(tuple(images), tuple(found), tuple(problems))


def _fork(paths: Sequence[str], read: Callable[[str], bytes]) -> tuple[int, int] | None:
    """(pid, read end) of a child scanning the files that cannot hold Argo CD documents; None if none started."""
    gc.freeze()  # what exists now stays shared: no collection in either process copies its pages
    try:
        readable, writable = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        os.close(readable)
        status = 1
        try:
            gc.disable()  # short-lived: it frees nothing it would need to
            left: list[str] = []
            found = scan.scan(_others(paths, read, left))
            with os.fdopen(writable, "wb") as out:
                out.write(pickle.dumps((found, tuple(left)), protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    return pid, readable


def _others(paths: Iterable[str], read: Callable[[str], bytes], left: list[str]) -> Iterable[tuple[str, bytes]]:
    """The files that cannot hold Argo CD documents; the others' paths go to ``left``."""
    for path in paths:
        data = read(path)
        if maybe_argo(data):
            left.append(path)
        else:
            yield path, data


def _collect(child: tuple[int, int]) -> tuple[scan.Scan, tuple[str, ...]] | None:
    """The child's scan and the files it left for this process, or None if it failed (then this process scans
    every file)."""
    pid, readable = child
    with os.fdopen(readable, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    found, left = pickle.loads(data)  # noqa: S301 - our own child's bytes, down our own pipe
    return found, left
