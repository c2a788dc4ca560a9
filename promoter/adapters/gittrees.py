"""Git tree objects, read and written directly: the commit of a step touches only the trees on its paths.

A step changes a few files deep in a large repository. Instead of loading the whole tree into an index
(``read-tree``, ``update-index``, ``write-tree``: tens of milliseconds on 5,000 files), promoter reads the
trees along the changed paths, replaces the entries, and writes the new trees: object ids are computed here
(``<type> <size>\\0<body>`` hashed with the repository's object format) and checked against git's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
import zlib

DIRECTORY = "40000"
FILE = "100644"


@dataclasses.dataclass(frozen=True)
class Entry:
    mode: str
    name: str
    oid: bytes  # raw


def parse(body: bytes, width: int) -> list[Entry]:
    """The entries of a tree object's body (``width`` is 20 for SHA-1, 32 for SHA-256)."""
    entries = []
    position = 0
    while position < len(body):
        space = body.index(b" ", position)
        nul = body.index(b"\0", space)
        mode = body[position:space].decode()
        name = body[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries.append(Entry(mode, name, body[nul + 1 : nul + 1 + width]))
        position = nul + 1 + width
    return entries


def serialize(entries: list[Entry]) -> bytes:
    """A tree body in git's order: by name, a directory's name compared as if it ended with '/'."""
    ordered = sorted(
        entries, key=lambda e: e.name.encode("utf-8", "surrogateescape") + (b"/" if e.mode == DIRECTORY else b"")
    )
    return b"".join(e.mode.encode() + b" " + e.name.encode("utf-8", "surrogateescape") + b"\0" + e.oid for e in ordered)


def object_id(kind: str, body: bytes, algorithm: str) -> bytes:
    return hashlib.new(algorithm, f"{kind} {len(body)}\0".encode() + body).digest()


def parents(path: str) -> list[str]:
    """The directories above a file, root first: ``a/b/c.yaml`` -> ``["", "a", "a/b"]``."""
    parts = path.split("/")[:-1]
    return ["", *("/".join(parts[: i + 1]) for i in range(len(parts)))]


def write_loose(objects_dir: str, kind: str, body: bytes, algorithm: str) -> str:
    """Store an object as git does (zlib of ``<kind> <size>\\0<body>`` at ``objects/ab/cdef...``); return its id.

    Written to a temporary name and renamed, so a crash never leaves a half-written object; an object that
    already exists is left alone (objects are immutable).
    """
    data = f"{kind} {len(body)}\0".encode() + body
    oid = hashlib.new(algorithm, data).hexdigest()
    directory = os.path.join(objects_dir, oid[:2])
    path = os.path.join(directory, oid[2:])
    if os.path.exists(path):
        return oid
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="tmp_obj_")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(zlib.compress(data, 1))
        os.chmod(temporary, 0o444)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return oid


def commit_body(tree: str, parent: str, ident: str, message: str) -> bytes:
    """A commit object's body; ``ident`` is ``Name <email> <unix time> <+hhmm>``."""
    text = f"tree {tree}\nparent {parent}\nauthor {ident}\ncommitter {ident}\n\n{message.rstrip(chr(10))}\n"
    return text.encode("utf-8")
