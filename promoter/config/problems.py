"""What is wrong with a config, where: ``file:line:column: field: message``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from promoter.errors import PromoterError


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem. ``line`` and ``column`` are 1-based, None when the problem concerns a whole file;
    ``field`` is the dotted path to the offending key (``stages[0].targets[1].image``), empty for a file."""

    file: Path
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, int]:
        return (str(self.file), self.line or 0, self.column or 0)


class ConfigError(PromoterError):
    """The config cannot be used; ``problems`` lists every problem found, in file and line order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__("\n".join(str(p) for p in self.problems))
