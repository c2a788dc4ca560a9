"""The one error the editor raises: a refusal that names the line and the reason."""

from __future__ import annotations


class EditError(Exception):
    """A refused edit. Nothing is written when it is raised.

    ``line`` and ``column`` are 1-based positions in the file (``None`` when the refusal concerns the
    whole file); the caller adds the file name when it reports the error.
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column

    def located(self, filename: str) -> str:
        """``file:line:column: reason``, the format compilers and editors understand."""
        where = filename
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"

    def __str__(self) -> str:
        return self.located("<text>")
