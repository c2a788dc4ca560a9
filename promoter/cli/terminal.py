"""The terminal the tables are printed for: its width, and text cut to a column's room."""

from __future__ import annotations

import os
import shutil
import sys


def width() -> int:
    """The terminal's width; COLUMNS or 160 when output goes to a file or pipe."""
    if "COLUMNS" in os.environ or not sys.stdout.isatty():
        try:
            return int(os.environ.get("COLUMNS", "160"))
        except ValueError:
            return 160
    return shutil.get_terminal_size((160, 24)).columns


def cut(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters, an ellipsis ending what was cut (``--json`` has it all)."""
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"
