"""The image scan of a checkout side by side with other work (``promoter apps --images``: the discovery).

A forked child reads every file's bytes first, and sends this process the news: which files may hold Argo CD
documents (the discovery then reads only those, not every file again), and the chunks it cut the files into,
runs of neighbours of about equal bytes, whose numbers it has queued in a pipe, the largest first (one large
file taken last would keep one process busy long after the other is done). Then it takes chunks from the queue
and scans them while this process does the other work. The child leaves the files that may hold Argo CD
documents to this process, whose work (the discovery reads each Application's file whole) has left their
readings cached: after the work this process scans those, then takes chunks too, until none is left. Both scan
the files' bytes, as a scan of its own would, so the result is the very one :func:`scan.scan` gives over all
the files in their order (a test holds them equal). Where there is no ``fork``, another thread runs, or the
child fails, this process scans everything after the work.

The child starts before the work and touches nothing shared but memory: no other thread runs then (the command
starts none before; where one does, there is no child), it only reads files, and it leaves by ``os._exit`` with
its result pickled down a pipe. What the work alone needs is best imported after the fork: the child has no
use for it, and this process imports it while the child reads.
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
_SHARES = 256  # chunks of the total's bytes: with one for each larger file, at most 2 * 256 + 1 of them
_SMALLEST = 16 * 1024  # bytes in a chunk, at least: fewer and taking turns costs more than it shares

Chunk = tuple[int, int]  # the files paths[start:end]


def maybe_argo(data: bytes) -> bool:
    """Whether the file may hold an Argo CD document (the discovery's own first test, on its bytes)."""
    return _GROUP in data and b"Application" in data


class Beside:
    """The scan of ``paths`` (read by ``read``) in a forked child, begun when made, while this process does
    other work; :meth:`argocd_files` for that work, then :meth:`result` after it: the very scan ``scan.scan``
    gives. A context manager: left without the result (the work failed), it stops the child, which would wait
    on its pipe for a reader that is gone."""

    def __init__(self, paths: Sequence[str], read: Callable[[str], bytes]) -> None:
        self._paths = paths
        self._read = read
        # Forked only from a process that runs no other thread: a fork copies no lock that another thread holds.
        alone = hasattr(os, "fork") and threading.active_count() == 1
        self._child = _fork(paths, read) if alone else None
        self._news: tuple[frozenset[str], list[Chunk]] | None = None
        self._taken = False

    def argocd_files(self) -> frozenset[str] | None:
        """The files that may hold Argo CD documents, as the child found them reading every file (a wait for
        its news); None without a child: then the work must read every file to find out."""
        if self._news is None and self._child is not None:
            self._news = self._child.told()
            if self._news is None:
                self._stop()  # it failed: nothing more will come
        return None if self._news is None else self._news[0]

    def result(self) -> scan.Scan:
        """The scan (once only): this process scans Argo CD's files and the chunks left, then adds the child's."""
        if self._taken:
            raise RuntimeError("the scan's result was taken already")
        self._taken = True
        self.argocd_files()
        read, paths, child = self._read, self._paths, self._child
        if child is None or self._news is None:
            return scan.scan((path, read(path)) for path in paths)
        argocd, chunks = self._news
        # Argo CD's files first: the child leaves them all to this process, whose work has their readings.
        mine = [scan.scan((path, read(path)) for path in paths if path in argocd)]
        mine.append(
            scan.scan(
                (paths[index], read(paths[index]))
                for chunk in child.taken()
                for index in range(*chunks[chunk])
                if paths[index] not in argocd
            )
        )
        theirs = child.answer_read()
        self._child = None
        if theirs is None:
            return scan.scan((path, read(path)) for path in paths)
        return merged(paths, *mine, theirs)

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *_: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None


def merged(paths: Sequence[str], *parts: scan.Scan) -> scan.Scan:
    """One scan of ``paths`` from scans of disjoint subsets: every file's findings in the files' order (a file's
    all come from one part, in its order: the sorts are stable)."""
    order = {path: index for index, path in enumerate(paths)}
    images = sorted((ref for part in parts for ref in part.images), key=lambda ref: order[ref.file])
    found = sorted((doc for part in parts for doc in part.applications), key=lambda doc: order[doc.file])
    problems = sorted((p for part in parts for p in part.problems), key=lambda problem: order[problem.file])
    return scan.Scan(tuple(images), tuple(found), tuple(problems))


def chunks_of(sizes: Sequence[int]) -> list[Chunk]:
    """Runs of neighbouring files of about a share of the bytes each (a larger file alone), largest first."""
    share = max(_SMALLEST, sum(sizes) // _SHARES)
    found: list[tuple[int, Chunk]] = []
    start, held = 0, 0
    for end, length in enumerate(sizes):
        if length >= share:  # alone: what comes before it is a chunk of its own
            if start < end:
                found.append((held, (start, end)))
            found.append((length, (end, end + 1)))
            start, held = end + 1, 0
            continue
        held += length
        if held >= share:
            found.append((held, (start, end + 1)))
            start, held = end + 1, 0
    if start < len(sizes):
        found.append((held, (start, len(sizes))))
    found.sort(key=lambda chunk: -chunk[0])  # (stable: neighbours of a size stay in order)
    return [chunk for _, chunk in found]


class _Child:
    """A forked child: its pid and the read ends of its pipes (the queue of chunks, its news, its answer), each
    closed once read to its end."""

    def __init__(self, pid: int, queue: int, news: int, answer: int) -> None:
        self.pid: int | None = pid  # None once reaped: its number may be another process's then
        self.queue: int | None = queue
        self.news: int | None = news
        self.answer: int | None = answer

    def told(self) -> tuple[frozenset[str], list[Chunk]] | None:
        """Its news (a wait for it), None if it failed before it told."""
        assert self.news is not None
        with os.fdopen(self.news, "rb") as pipe:
            self.news = None
            data = pipe.read()
        news: tuple[frozenset[str], list[Chunk]] | None = pickle.loads(data) if data else None  # noqa: S301 (ours)
        return news

    def taken(self) -> Iterator[int]:
        """The chunks this process takes from the queue, one at a time, until it is empty."""
        assert self.queue is not None
        while token := os.read(self.queue, _TOKEN):
            yield int.from_bytes(token, "big")
        os.close(self.queue)  # (left open when not read to its end: then ``stop`` closes it)
        self.queue = None

    def answer_read(self) -> scan.Scan | None:
        """Its scan (a wait for its end), or None if it failed."""
        assert self.answer is not None
        assert self.pid is not None
        with os.fdopen(self.answer, "rb") as pipe:
            self.answer = None
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status != 0 or not data:
            return None
        found: scan.Scan = pickle.loads(data)  # noqa: S301 - our own child's bytes, down our own pipe
        return found

    def stop(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None
        for fd in (self.queue, self.news, self.answer):
            if fd is not None:
                os.close(fd)
        self.queue = self.news = self.answer = None


def _fork(paths: Sequence[str], read: Callable[[str], bytes]) -> _Child | None:
    """A child reading every file, then scanning chunks; None if none started."""
    gc.freeze()  # what exists now stays shared: no collection in either process copies its pages
    opened: list[int] = []
    try:
        for _ in range(3):
            opened += os.pipe()
        pid = os.fork()
    except OSError:
        for fd in opened:
            os.close(fd)
        return None
    queue, feed, news, tell, answer, reply = opened
    if pid == 0:
        os.close(news)
        os.close(answer)
        status = 1
        try:
            gc.disable()  # short-lived: it frees nothing it would need to
            _scan_as_child(paths, read, queue, feed, tell, reply)
            status = 0
        finally:
            os._exit(status)
    for fd in (feed, tell, reply):  # the child's ends: a pipe reads as ended when it closes them (or exits)
        os.close(fd)
    return _Child(pid, queue, news, answer)


def _scan_as_child(
    paths: Sequence[str], read: Callable[[str], bytes], queue: int, feed: int, tell: int, reply: int
) -> None:
    data = [read(path) for path in paths]
    chunks = chunks_of([len(each) for each in data])
    # One write, under the pipe's atomic size (at most 513 chunks of 4 bytes): a reader sees all or nothing.
    os.write(feed, b"".join(n.to_bytes(_TOKEN, "big") for n in range(len(chunks))))
    os.close(feed)  # every chunk is queued: an empty queue reads as its end, in both processes
    argocd = frozenset(path for path, each in zip(paths, data, strict=True) if maybe_argo(each))
    with os.fdopen(tell, "wb") as out:
        out.write(pickle.dumps((argocd, chunks), protocol=pickle.HIGHEST_PROTOCOL))
    found = scan.scan(_others(paths, data, chunks, _taken(queue)))
    with os.fdopen(reply, "wb") as out:
        out.write(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))


def _taken(queue: int) -> Iterator[int]:
    """The chunks the child takes from the queue, one at a time, until it is empty."""
    while token := os.read(queue, _TOKEN):
        yield int.from_bytes(token, "big")


def _others(
    paths: Sequence[str], data: Sequence[bytes], chunks: Sequence[Chunk], taken: Iterator[int]
) -> Iterator[tuple[str, bytes]]:
    """The files of the chunks taken that cannot hold Argo CD documents (the others are the parent's)."""
    for chunk in taken:
        for index in range(*chunks[chunk]):
            if not maybe_argo(data[index]):
                yield paths[index], data[index]
