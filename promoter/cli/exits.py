"""The exit codes every command shares (DESIGN.md §12): 0 done, 1 failed (an outside system, or the work
itself), 2 refused (bad input: nothing was done)."""

from __future__ import annotations

FAILED = 1
REFUSED = 2
