"""The image scan of a checkout side by side with other work (``promoter apps --images``: the discovery).

The files are cut into chunks of about equal bytes whose numbers wait in a pipe, the largest first (one large
file taken last would keep one process busy long after the other is done). A forked child takes chunks from it
and scans them while this process does the other work; then this process takes chunks too, until none is
left. The child leaves the files that may hold Argo CD documents to this process, whose work (the discovery
reads each Application's file whole) has left their readings cached. Both read the files' bytes, as a scan of
its own would, so the result is the very one :func:`scan.scan` gives over all the files in their order (a test
holds them equal). Where there is no ``fork``, another thread runs, or the child fails, this process scans
everything after the work.

The child starts before the work and touches nothing shared but memory: no other thread runs then (the command
starts none before; where one does, there is no child), it only reads files, and it leaves by ``os._exit`` with
its result pickled down a pipe. What the work alone needs is best imported after the fork: the child has no
use for it, and this process imports it while the child scans.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence

from promoter.gitops import applications, scan

_GROUP = applications.API_GROUP.encode()
_TOKEN = 4  # bytes of a chunk's number in the queue: a pipe read of that size takes one whole, or nothing
_SHARES = 256  # chunks of the total's bytes: with one each for files larger, the queue fits in a pipe's buffer
_SMALLEST = 16 * 1024  # bytes in a chunk, at least: fewer and taking turns costs more than it shares


def maybe_argo(data: bytes) -> bool:
    """Whether the file may hold an Argo CD document (the discovery's own first test)."""
    return _GROUP in data and b"Application" in data


class Beside:
    """The scan of ``paths`` (read by ``read``, their sizes told by ``size``) in a forked child, begun when made,
    while this process does other work; :meth:`result`, after it, is the very scan ``scan.scan`` gives. A
    context manager: left without the result (the work failed), it stops the child, which would wait on its
    pipe for a reader that is gone."""

    def __init__(self, paths: Sequence[str], read: Callable[[str], bytes], size: Callable[[str], int]) -> None:
        self._paths = paths
        self._read = read
        self._chunks = _chunks(paths, size)
        # Forked only from a process that runs no other thread: a fork copies no lock that another thread holds.
        alone = hasattr(os, "fork") and threading.active_count() == 1
        self._child = _fork(self._chunks, read) if alone else None
        self._taken = False

    def result(self) -> scan.Scan:
        """The scan: this process takes the chunks left, then adds the child's (once only)."""
        if self._taken:
            raise RuntimeError("the scan's result was taken already")
        self._taken = True
        read, child, self._child = self._read, self._child, None
        if child is None:
            return scan.scan((path, read(path)) for path in self._paths)
        pid, queue, answer = child
        mine = scan.scan((path, read(path)) for chunk in _taken(queue) for path in self._chunks[chunk])
        theirs = _collect(pid, answer)
        if theirs is None:
            return scan.scan((path, read(path)) for path in self._paths)
        found, left = theirs
        return merged(self._paths, mine, found, scan.scan((path, read(path)) for path in left))

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *_: object) -> None:
        if self._child is not None:
            _stop(*self._child)
            self._child = None


def merged(paths: Sequence[str], *parts: scan.Scan) -> scan.Scan:
    """One scan of ``paths`` from scans of disjoint subsets: every file's findings in the files' order (a file's
    all come from one part, in its order: the sorts are stable)."""
    order = {path: index for index, path in enumerate(paths)}
    images = sorted((ref for part in parts for ref in part.images), key=lambda ref: order[ref.file])
    found = sorted((doc for part in parts for doc in part.applications), key=lambda doc: order[doc.file])
    problems = sorted((p for part in parts for p in part.problems), key=lambda problem: order[problem.file])
    return scan.Scan(tuple(images), tuple(found), tuple(problems))


def _chunks(paths: Sequence[str], size: Callable[[str], int]) -> list[Sequence[str]]:
    """Runs of neighbouring files of about a share of the bytes each (a larger file alone), largest first."""
    sizes = [size(path) for path in paths]
    share = max(_SMALLEST, sum(sizes) // _SHARES)
    chunks: list[tuple[int, Sequence[str]]] = []
    start, held = 0, 0
    for end, (path, length) in enumerate(zip(paths, sizes, strict=True)):
        if length >= share:  # alone: what comes before it is a chunk of its own
            if start < end:
                chunks.append((held, paths[start:end]))
            chunks.append((length, (path,)))
            start, held = end + 1, 0
            continue
        held += length
        if held >= share:
            chunks.append((held, paths[start : end + 1]))
            start, held = end + 1, 0
    if start < len(paths):
        chunks.append((held, paths[start:]))
    chunks.sort(key=lambda chunk: -chunk[0])  # (stable: neighbours of a size stay in order)
    return [files for _, files in chunks]


def _fork(chunks: Sequence[Sequence[str]], read: Callable[[str], bytes]) -> tuple[int, int, int] | None:
    """(pid, the queue's read end, the answer's read end) of a child scanning chunks; None if none started."""
    gc.freeze()  # what exists now stays shared: no collection in either process copies its pages
    try:
        queue, feed = os.pipe()
        answer, reply = os.pipe()
    except OSError:
        return None
    os.write(feed, b"".join(n.to_bytes(_TOKEN, "big") for n in range(len(chunks))))
    os.close(feed)  # every chunk is queued: an empty queue reads as its end, in both processes
    try:
        pid = os.fork()
    except OSError:
        for fd in (queue, answer, reply):
            os.close(fd)
        return None
    if pid == 0:
        os.close(answer)
        status = 1
        try:
            gc.disable()  # short-lived: it frees nothing it would need to
            left: list[str] = []
            found = scan.scan(_others(chunks, _taken(queue), read, left))
            with os.fdopen(reply, "wb") as out:
                out.write(pickle.dumps((found, tuple(left)), protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(reply)
    return pid, queue, answer


def _taken(queue: int) -> Iterator[int]:
    """The chunks this process takes from the queue, one at a time, until it is empty (then closed here)."""
    try:
        while token := os.read(queue, _TOKEN):
            yield int.from_bytes(token, "big")
    finally:
        os.close(queue)


def _others(
    chunks: Sequence[Sequence[str]], taken: Iterator[int], read: Callable[[str], bytes], left: list[str]
) -> Iterator[tuple[str, bytes]]:
    """The files of the chunks taken that cannot hold Argo CD documents; the others' paths go to ``left``."""
    for chunk in taken:
        for path in chunks[chunk]:
            data = read(path)
            if maybe_argo(data):
                left.append(path)
            else:
                yield path, data


def _stop(pid: int, queue: int, answer: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(queue)
    os.close(answer)


def _collect(pid: int, answer: int) -> tuple[scan.Scan, tuple[str, ...]] | None:
    """The child's scan and the files it left for this process, or None if it failed (then this process scans
    every file)."""
    with os.fdopen(answer, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    found, left = pickle.loads(data)  # noqa: S301 - our own child's bytes, down our own pipe
    return found, left
