"""Reading and writing config files on the local disk.

Writes are atomic (a temporary file in the same directory, flushed, then renamed over the original) and
keep the file's mode, so a crash leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from promoter.yamledit.errors import EditError


def read_text(path: Path) -> str:
    """The file's text, exactly (no newline translation); EditError if it is not UTF-8 text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EditError("no such file") from None
    except IsADirectoryError:
        raise EditError("is a directory, not a file") from None
    except PermissionError:
        raise EditError("permission denied") from None
    if b"\0" in data:
        raise EditError("a binary file, not YAML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EditError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line) from None


def helm_chart_of(path: Path) -> Path | None:
    """The chart directory when ``path`` is a Helm template (``<chart>/templates/...`` beside Chart.yaml)."""
    for parent in path.resolve().parents:
        if parent.name == "templates" and (parent.parent / "Chart.yaml").is_file():
            return parent.parent
    return None


def write_text_atomically(path: Path, text: str) -> None:
    """Replace the file's content; keep its mode (and owner, where allowed); never leave it half-written."""
    target = path.resolve()  # write through a symlink, keeping the link
    info = target.stat()
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".promoter", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, info.st_mode & 0o7777)
        with contextlib.suppress(PermissionError):
            os.chown(temporary, info.st_uid, info.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
