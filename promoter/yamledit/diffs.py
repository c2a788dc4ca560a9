"""Unified diffs of an edit, as ``git diff`` shows them (line breaks and a missing final newline kept)."""

from __future__ import annotations

import difflib
import re

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def unified(before: str, after: str, name: str, context: int = 1) -> str:
    """A unified diff with ``a/``/``b/`` headers; empty when nothing changed."""
    if before == after:
        return ""
    # Split on "\n" only: str.splitlines would also split on "\r", "\x0c" and "\u2028" inside values.
    old = _LINE.findall(before)
    new = _LINE.findall(after)
    out: list[str] = []
    for line in difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=context):
        if line.startswith(("---", "+++", "@@")):
            out.append(line if line.endswith("\n") else line + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
